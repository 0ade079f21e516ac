import type { LinkRef } from "../domain/linkRef";
import { tableKey } from "../domain/tableName";
import { isTerminal } from "../domain/tableStatus";
import type { LinkTableRecord, RequestView } from "../ledger/ledger";
import type { WorkerDeps } from "./workerDeps";

export type IdleCheck =
  | { idle: true }
  /**
   * `queued`: a request waits to be claimed; `repaired`: open requests disagreed with the link's
   * records and were brought in line (complete them next); `busy`: something is still in flight.
   */
  | { idle: false; reason: "queued" | "repaired" | "busy" };

/**
 * The worker's last step before it finishes: it may finish only when the link has no queued or
 * open request and no table in flight, and no request was recorded since it looked. The open-link
 * entry is read first and removed only if unchanged, so a request recorded meanwhile (which
 * rewrites the entry) keeps the worker going instead of racing a finishing instance.
 */
export async function closeIfIdle(
  deps: Pick<WorkerDeps, "ledger">,
  link: LinkRef,
  now: string,
): Promise<IdleCheck> {
  const { ledger } = deps;
  const open = await ledger.getOpenLink(link);
  const [queued, openRequests, records] = await Promise.all([
    ledger.listQueuedRequests(link),
    ledger.listOpenRequestIds(link),
    ledger.listLinkTables(link),
  ]);
  if (queued.length > 0) return { idle: false, reason: "queued" };
  if (records.some((r) => !isTerminal(r.status))) return { idle: false, reason: "busy" };
  if (openRequests.length > 0) {
    const repaired = await repairOpenRequests(deps, link, openRequests, records, now);
    return { idle: false, reason: repaired > 0 ? "repaired" : "busy" };
  }
  if (!open || (await ledger.closeOpenLink(link, open.etag))) return { idle: true };
  return { idle: false, reason: "queued" }; // recorded after the entry was read
}

/**
 * Every table is final, yet requests are still open: a crash between writing the link's records
 * and mirroring them into a request (or between superseding a table and saving its replacement)
 * left a request behind. The link's records are the truth: mirror them again, and fail a table
 * whose record now belongs to other requests only. Returns the tables repaired.
 */
async function repairOpenRequests(
  deps: Pick<WorkerDeps, "ledger">,
  link: LinkRef,
  requestIds: readonly string[],
  records: readonly LinkTableRecord[],
  now: string,
): Promise<number> {
  const byKey = new Map(records.map((r) => [tableKey(r.source), r]));
  const remirror = new Map<string, LinkTableRecord>();
  let repaired = 0;
  for (const requestId of requestIds) {
    const view = await deps.ledger.getRequest(requestId);
    for (const table of view ? stale(view) : []) {
      const record = byKey.get(tableKey(table));
      if (record?.requestIds.includes(requestId)) {
        remirror.set(tableKey(table), record);
      } else {
        const error = "Superseded by a later request for the same table";
        await deps.ledger.setRequestTableStatus(requestId, { ...table, status: "Failed", error }, now);
      }
      repaired++;
    }
  }
  await deps.ledger.saveLinkTables(link, [...remirror.values()]);
  return repaired;
}

function stale(view: RequestView): RequestView["tables"] {
  return view.tables.filter((t) => !isTerminal(t.status));
}
