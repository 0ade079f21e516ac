import type { LinkRef } from "../domain/linkRef";
import { tableKey } from "../domain/tableName";
import { isTerminal, requestStatusOf } from "../domain/tableStatus";
import type { LinkTableRecord, RequestTableView, RequestView } from "../ledger/ledger";
import type { WorkerDeps } from "./workerDeps";

export interface CompletionResult {
  completedRequestIds: string[];
  openRequests: number;
}

const SUPERSEDED = "Superseded by a later request for the same table";

/**
 * A claimed request's tables as the link's records say: the records are the truth, and the
 * request's own rows only mirror them (a crash between the two writes leaves the mirror behind).
 * A table whose record no longer names the request was handed to a different operation; it keeps
 * the final status written when that happened, or fails as superseded when that write was lost.
 */
export function finalTables(
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
 * Closes every claimed request that no table in flight waits on, then reports them. Only those
 * requests are read (one partition each), so a poll costs what is about to complete, not every
 * open request. Each is closed with its tables' final statuses in one write, so a request's status
 * never disagrees with its tables, and a re-run after a crash finishes what was left. Reports go
 * out together: one slow callback receiver must not hold up the others.
 */
export async function completeRequests(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
): Promise<CompletionResult> {
  const { ledger, outcomes } = deps;
  const completed: RequestView[] = [];
  const open = await ledger.listOpenRequestIds(link);
  const records = new Map(
    open.length === 0 ? [] : (await ledger.listLinkTables(link)).map((r) => [tableKey(r.source), r]),
  );
  const inFlight = new Set(
    [...records.values()].filter((r) => !isTerminal(r.status)).flatMap((r) => r.requestIds),
  );
  for (const requestId of open.filter((id) => !inFlight.has(id))) {
    const request = await ledger.getRequest(requestId);
    if (!request) continue;
    const tables = finalTables(request, records);
    if (!tables.every((t) => isTerminal(t.status))) continue;
    const status = requestStatusOf(tables.map((t) => t.status));
    await ledger.completeRequest(link, requestId, status, tables, now);
    completed.push({ ...request, status, tables, updatedAt: now });
  }
  // The publisher logs its own failures; the ledger already holds the outcome.
  await Promise.all(completed.map((view) => outcomes.requestCompleted(view)));
  return {
    completedRequestIds: completed.map((view) => view.requestId),
    openRequests: open.length - completed.length,
  };
}
