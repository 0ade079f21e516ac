import type { LinkRef } from "../domain/linkRef";
import type { LinkTableRecord } from "../ledger/ledger";
import { publishTableOutcomes, type SettledTable } from "../outcomes/outcomePublisher";
import type { WorkerDeps } from "./workerDeps";

/** A record that reached Replicating or Failed, as the outcome publisher reports it. */
export function settledTable(
  link: LinkRef,
  record: LinkTableRecord & { status: "Replicating" | "Failed" },
): SettledTable {
  return {
    ...link,
    table: record.source,
    requestIds: record.requestIds,
    status: record.status,
    remediationAttempts: record.attempts,
    ...(record.requestedAt ? { requestedAt: record.requestedAt } : {}),
    ...(record.status === "Failed" ? { error: record.error ?? "" } : {}),
  };
}

/**
 * Reports the saved records that are Failed as a poll reports the tables it settled: a table that
 * fails outside a poll (an edit the service refused, a removal that never landed, a SQL pool that
 * stayed down) is announced like one that failed while watched (docs/events.md, "Outcome events").
 */
export async function reportFailedTables(
  deps: Pick<WorkerDeps, "outcomes">,
  link: LinkRef,
  records: readonly LinkTableRecord[],
): Promise<void> {
  await publishTableOutcomes(
    deps.outcomes,
    records.flatMap((r) => (r.status === "Failed" ? [settledTable(link, { ...r, status: "Failed" })] : [])),
  );
}

/**
 * Fails `records` with their error and reports them as a poll reports the tables it settled (one
 * Event Grid batch, metrics, the "failed for good" alert).
 */
export async function failTables(
  deps: { ledger: Pick<WorkerDeps["ledger"], "saveLinkTables">; outcomes: WorkerDeps["outcomes"] },
  link: LinkRef,
  now: string,
  records: readonly LinkTableRecord[],
  errorOf: (record: LinkTableRecord) => string,
): Promise<void> {
  if (records.length === 0) return;
  const failed = records.map((r): LinkTableRecord => ({
    ...r,
    status: "Failed",
    error: errorOf(r),
    updatedAt: now,
  }));
  await deps.ledger.saveLinkTables(link, failed);
  await reportFailedTables(deps, link, failed);
}
