import { describeLink, type LinkRef } from "../domain/linkRef";
import { qualifiedName } from "../domain/tableName";
import type { TableStatus } from "../domain/tableStatus";
import type { LinkTableRecord } from "../ledger/ledger";
import type { LinkTableState } from "../synapse/synapseLinkClient";
import type { WorkerDeps } from "./workerDeps";

export interface MonitorSummary {
  /** Tables the worker still waits for (sent, not yet Replicating / Removed / Failed). */
  active: number;
  /** Tables waiting for an edit (remediation, deferred batch). */
  pending: number;
  counts: Partial<Record<TableStatus, number>>;
  /** Statuses changed since the previous poll (keeps the poll interval short). */
  changed: number;
}

const WATCHED: ReadonlySet<TableStatus> = new Set(["Adding", "Waiting", "Snapshotting", "Suspended"]);

function serviceError(state: LinkTableState): string {
  return [state.errorCode, state.errorMessage].filter(Boolean).join(": ") || `status ${state.rawStatus}`;
}

/** A failure caused by data already in the target table: removing and re-adding cannot cure it. */
function blamesTargetTable(text: string): boolean {
  return /target table/i.test(text);
}

/**
 * One monitoring poll: reads every page of `querytablestatus`, moves each watched table to the
 * service's status, remediates Failed tables (remove, then add again) up to the configured number
 * of attempts, and fails tables that overran the deadline. A failure over a non-empty target table
 * under `FailOnNonEmptyTable` fails at once: re-adding cannot cure it, and the error says what can.
 */
export async function monitorTables(deps: WorkerDeps, link: LinkRef, now: string): Promise<MonitorSummary> {
  const { ledger, synapse, settings, outcomes } = deps;
  const records = await ledger.listLinkTables(link);
  const watched = records.filter((r) => WATCHED.has(r.status));
  const changed: LinkTableRecord[] = [];

  if (watched.length > 0) {
    const states = new Map((await synapse.queryTableStatus(link)).map((s) => [s.id.toLowerCase(), s]));
    let existingTargetHint: string | undefined;
    const hintFor = async () => {
      if (existingTargetHint === undefined) {
        const info = await synapse.getLinkConnection(link);
        const action = info?.actionOnExistingTargetTable ?? "FailOnNonEmptyTable";
        existingTargetHint =
          action === "FailOnNonEmptyTable"
            ? `link ${describeLink(link)} has actionOnExistingTargetTable=FailOnNonEmptyTable: a non-empty target table ` +
              "makes the add fail; empty or drop it, or set DropAndRecreateTable or MergeWithExistingData on the link"
            : "";
      }
      return existingTargetHint || undefined;
    };

    for (const record of watched) {
      const state = record.linkTableId ? states.get(record.linkTableId.toLowerCase()) : undefined;
      const deadline =
        Date.parse(record.editedAt ?? record.updatedAt) + settings.tableDeadlineMinutes * 60_000;
      let next: LinkTableRecord | undefined;
      if (state?.status === "Failed") {
        const text = serviceError(state);
        const hint = blamesTargetTable(text) ? await hintFor() : undefined;
        const error = hint ? `${text} (${hint})` : text;
        next =
          record.attempts < settings.remediationMaxAttempts && !hint
            ? // Documented remedy for Failed: remove the table from the link and add it back.
              { ...record, action: "readd", status: "Pending", attempts: record.attempts + 1, error }
            : {
                ...record,
                status: "Failed",
                error:
                  record.attempts > 0
                    ? `${error} (after ${record.attempts} remove-and-re-add attempts)`
                    : error,
              };
      } else if (Date.parse(now) > deadline) {
        next = {
          ...record,
          status: "Failed",
          error: `${qualifiedName(record.source)} did not reach Replicating within ${settings.tableDeadlineMinutes} minutes (last status ${state?.rawStatus ?? record.status}; TABLE_DEADLINE_MINUTES)`,
        };
      } else if (state && state.status !== "Unknown" && state.status !== record.status) {
        next = { ...record, status: state.status };
        if (state.status === "Replicating") delete next.error;
      }
      if (next) {
        next.updatedAt = now;
        changed.push(next);
        Object.assign(record, next);
      }
    }
    await ledger.saveLinkTables(link, changed);
    for (const record of changed) {
      const outcome = { ...link, table: record.source, requestIds: record.requestIds };
      if (record.status === "Replicating") await outcomes.tableReplicating(outcome);
      if (record.status === "Failed") await outcomes.tableFailed({ ...outcome, error: record.error ?? "" });
    }
  }

  const counts: Partial<Record<TableStatus, number>> = {};
  for (const r of records) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return {
    active: records.filter((r) => WATCHED.has(r.status) || r.status === "Removing").length,
    pending: records.filter((r) => r.status === "Pending").length,
    counts,
    changed: changed.length,
  };
}
