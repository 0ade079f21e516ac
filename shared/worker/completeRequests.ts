import type { LinkRef } from "../domain/linkRef";
import { tableKey } from "../domain/tableName";
import { NON_TERMINAL_STATUSES, TERMINAL_STATUSES, isTerminal, requestStatusOf } from "../domain/tableStatus";
import type { LinkTableRecord, QueuedRequest, RequestTableView, RequestView } from "../ledger/ledger";
import { publishRequestOutcomes } from "../outcomes/outcomePublisher";
import type { WorkerDeps } from "./workerDeps";

export interface CompletionResult {
  completedRequestIds: string[];
  /** Claimed requests still open, when counted (a sweep counts them; a pass over what changed does not). */
  openRequests?: number;
}

/** Tables named by keyed reads (about 15 queries); beyond, the link's records are read in pages of 1,000. */
const KEYED_READ_MAX = 200;

const SUPERSEDED = "Superseded by a later request for the same table";

/**
 * A claimed request's tables as the link's records say: the records are the truth, and the
 * request's own rows only mirror them (a crash between the two writes leaves the mirror behind).
 * A table whose record no longer names the request was handed to a different operation; it keeps
 * the final status written when that happened, or fails as superseded when that write was lost.
 */
function finalTables(
  request: RequestView,
  records: ReadonlyMap<string, LinkTableRecord>,
): RequestTableView[] {
  return request.tables.map((table): RequestTableView => {
    const record = records.get(tableKey(table));
    const name = { schema: table.schema, name: table.name };
    if (record?.requestIds.includes(request.requestId)) {
      return { ...name, status: record.status, ...(record.error ? { error: record.error } : {}) };
    }
    if (isTerminal(table.status)) return table;
    return { ...name, status: "Failed", error: SUPERSEDED };
  });
}

/**
 * Closes every claimed request that no table in flight waits on, then reports them.
 *
 * A sweep (no `changedSince`) reads the link's open requests and its tables in flight (filtered
 * by the store). A pass over what changed reads only the records that reached a final status
 * since `changedSince` (the previous completion's time) and the open requests they name: the
 * worker's per-poll completion follows what changed, not how many requests are open. The worker
 * sweeps at the start of each execution, after a claim that took tables from requests (they may
 * be done without any record changing) and before it closes, so a change a pass missed (a save by
 * a duplicate of an older activity) is found by the next sweep.
 *
 * Then, for the candidates, the link's other records only when some request may be done, and a
 * request's own partition only when one of its tables left it (superseded). Each is closed with
 * its tables' final statuses in one write, so a request's status never disagrees with its tables,
 * and a re-run after a crash finishes what was left, reporting again what it may not have reported
 * (at least once). Reports go out together: one slow callback receiver must not hold up the others.
 */
export async function completeRequests(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
  changedSince?: string,
): Promise<CompletionResult> {
  const { ledger } = deps;
  if (changedSince !== undefined) {
    const settled = await ledger.listLinkTablesSavedSince(link, TERMINAL_STATUSES, changedSince);
    const named = [...new Set(settled.flatMap((r) => r.requestIds))];
    // Requests with a table still in flight are skipped below, when their records are read.
    const candidates = await ledger.getOpenRequests(link, named);
    const completed = await closeDone(deps, link, now, candidates);
    return { completedRequestIds: completed };
  }
  const open = await ledger.listOpenRequests(link);
  if (open.length === 0) return { completedRequestIds: [], openRequests: 0 };
  const inFlight = new Set(
    (await ledger.listLinkTables(link, NON_TERMINAL_STATUSES)).flatMap((r) => r.requestIds),
  );
  const candidates = open.filter((r) => !inFlight.has(r.requestId));
  if (candidates.length === 0) return { completedRequestIds: [], openRequests: open.length };
  const completed = await closeDone(deps, link, now, candidates);
  return { completedRequestIds: completed, openRequests: open.length - completed.length };
}

/** Closes and reports the candidates whose tables are all final; returns their ids. */
async function closeDone(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
  candidates: readonly QueuedRequest[],
): Promise<string[]> {
  if (candidates.length === 0) return [];
  const { ledger, outcomes } = deps;
  // Only the candidates' tables: rows read follow the requests about to close, not the link. Keyed
  // reads name 14 rows a query and each is a scan of the partition on the service, so past
  // KEYED_READ_MAX tables one read of the link's records is fewer round trips for the same rows.
  const wanted = new Map(
    candidates.flatMap((r) => r.tables.map((t) => [tableKey(t.source), t.source] as const)),
  );
  const read =
    wanted.size > KEYED_READ_MAX
      ? await ledger.listLinkTables(link)
      : await ledger.getLinkTables(link, [...wanted.values()]);
  const records = new Map(read.map((r) => [tableKey(r.source), r]));

  const completed: RequestView[] = [];
  for (const request of candidates) {
    const named = request.tables.every((t) =>
      records.get(tableKey(t.source))?.requestIds.includes(request.requestId),
    );
    // Every table still names the request: the records say it all. Otherwise its own rows keep
    // the status a superseded table was left with.
    const view = named ? viewOf(request) : await ledger.getRequest(request.requestId);
    if (!view) continue;
    const tables = finalTables(view, records);
    if (!tables.every((t) => isTerminal(t.status))) continue;
    completed.push({ ...view, status: requestStatusOf(tables.map((t) => t.status)), tables, updatedAt: now });
  }
  await ledger.completeRequestBatch(
    link,
    completed.map((v) => ({ requestId: v.requestId, status: v.status, tables: v.tables })),
    now,
    // Once the requests' own rows hold their outcome (a status read after the callback agrees) and
    // while they are still open: a crash before they close reports them again at the next poll,
    // with the same event id and webhook-id. The publisher logs its own failures.
    async () => {
      await publishRequestOutcomes(outcomes, completed);
    },
  );
  return completed.map((view) => view.requestId);
}

/** A claimed request as its view, before its tables' statuses are filled in from the records. */
function viewOf(request: QueuedRequest): RequestView {
  return {
    requestId: request.requestId,
    workspace: request.workspace,
    linkConnection: request.linkConnection,
    action: request.action,
    status: "InProgress",
    tables: request.tables.map((t) => ({ ...t.source, status: "Pending" })),
    createdAt: request.createdAt,
    updatedAt: request.createdAt,
    ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
  };
}
