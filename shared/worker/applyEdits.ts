import type { LinkRef } from "../domain/linkRef";
import { tableKey } from "../domain/tableName";
import type { LinkTableRecord } from "../ledger/ledger";
import { isEnabledOnceError } from "../synapse/serviceStrings";
import { SynapseRequestError } from "../synapse/synapseLinkClient";
import type { PlannedEdit } from "./plannedEdit";
import type { WorkerDeps } from "./workerDeps";

export type ApplyEditsResult =
  | { kind: "sent"; added: number; removed: number; failed: number }
  /** The documented "enabled once" transient after a recent removal: try the batch again later. */
  | { kind: "retryLater"; reason: string };

/** A 4xx other than throttling is the service refusing the edit itself, not a fault to retry. */
function isRejection(error: unknown): error is SynapseRequestError {
  return (
    error instanceof SynapseRequestError &&
    error.statusCode !== undefined &&
    error.statusCode >= 400 &&
    error.statusCode < 500 &&
    error.statusCode !== 408 &&
    error.statusCode !== 429
  );
}

/**
 * Sends the planned batch as one `edittables` call and records what was sent. Throttling and
 * server errors surface as exceptions (the SDK already retried; the orchestrator's retry policy
 * takes over). A refused batch of several tables is retried table by table so that one bad table
 * fails alone. An activity re-run after a crash first looks at `linktables` and does not re-send
 * what already landed.
 */
export async function applyEdits(
  deps: WorkerDeps,
  link: LinkRef,
  edits: readonly PlannedEdit[],
  now: string,
): Promise<ApplyEditsResult> {
  const { ledger, synapse } = deps;
  const records = new Map((await ledger.listLinkTables(link)).map((r) => [tableKey(r.source), r]));
  const failures = new Map<string, string>();
  const notSent = new Set<string>();
  const linked = new Map(
    (await synapse.listLinkTables(link)).map((t) => [tableKey(t.source), t.id.toLowerCase()]),
  );
  const pending = edits.filter((e) =>
    e.operation === "add"
      ? linked.get(tableKey(e.source)) !== e.id.toLowerCase()
      : linked.has(tableKey(e.source)),
  );

  try {
    if (pending.length > 0) await synapse.editTables(link, pending);
  } catch (error) {
    if (!isRejection(error)) throw error;
    if (isEnabledOnceError(error.message)) return enabledOnce(deps, link, pending, records, error, now);
    const [only] = pending;
    if (pending.length === 1 && only) {
      failures.set(tableKey(only.source), error.message);
    } else {
      for (const edit of pending) {
        try {
          await synapse.editTables(link, [edit]);
        } catch (single) {
          if (!isRejection(single)) throw single;
          if (isEnabledOnceError(single.message)) {
            await enabledOnce(deps, link, [edit], records, single, now);
            notSent.add(tableKey(edit.source));
          } else {
            failures.set(tableKey(edit.source), single.message);
          }
        }
      }
    }
  }

  const changed: LinkTableRecord[] = [];
  let added = 0;
  let removed = 0;
  for (const edit of edits) {
    const record = records.get(tableKey(edit.source));
    if (!record || record.status !== "Pending" || notSent.has(tableKey(edit.source))) continue;
    const failure = failures.get(tableKey(edit.source));
    if (failure) {
      changed.push({ ...record, status: "Failed", error: failure, updatedAt: now });
    } else if (edit.operation === "add") {
      added++;
      changed.push({
        ...record,
        action: "add",
        status: "Adding",
        linkTableId: edit.id,
        editedAt: now,
        enabledOnceRetries: 0,
        updatedAt: now,
      });
    } else {
      removed++;
      changed.push({ ...record, status: "Removing", updatedAt: now });
    }
  }
  await ledger.saveLinkTables(link, changed);
  return { kind: "sent", added, removed, failed: failures.size };
}

/** Counts the retry on each add in the batch; a table past the configured retries fails with the service's text. */
async function enabledOnce(
  deps: WorkerDeps,
  link: LinkRef,
  edits: readonly PlannedEdit[],
  records: Map<string, LinkTableRecord>,
  error: SynapseRequestError,
  now: string,
): Promise<ApplyEditsResult> {
  const changed: LinkTableRecord[] = [];
  for (const edit of edits) {
    const record = records.get(tableKey(edit.source));
    if (!record || edit.operation !== "add") continue;
    const retries = record.enabledOnceRetries + 1;
    const givingUp = retries > deps.settings.enabledOnceMaxRetries;
    const updated: LinkTableRecord = givingUp
      ? {
          ...record,
          status: "Failed",
          error: `${error.message} (still failing after ${retries - 1} retries over the removal clean-up window)`,
          updatedAt: now,
        }
      : { ...record, enabledOnceRetries: retries, error: error.message, updatedAt: now };
    records.set(tableKey(edit.source), updated);
    changed.push(updated);
  }
  await deps.ledger.saveLinkTables(link, changed);
  return { kind: "retryLater", reason: error.message };
}
