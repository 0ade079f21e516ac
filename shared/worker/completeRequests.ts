import type { LinkRef } from "../domain/linkRef";
import { isTerminal, requestStatusOf } from "../domain/tableStatus";
import type { RequestView } from "../ledger/ledger";
import type { WorkerDeps } from "./workerDeps";

export interface CompletionResult {
  completedRequestIds: string[];
  openRequests: number;
}

/**
 * Closes every claimed request whose tables have all reached a final status, then reports them.
 * Only requests that no table in flight waits on are read (one partition each), so a poll costs
 * what is about to complete, not every open request. Reports go out together: one slow callback
 * receiver must not hold up the others.
 */
export async function completeRequests(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
): Promise<CompletionResult> {
  const { ledger, outcomes } = deps;
  const completed: RequestView[] = [];
  const open = await ledger.listOpenRequestIds(link);
  const inFlight = new Set(
    open.length === 0
      ? []
      : (await ledger.listLinkTables(link)).filter((r) => !isTerminal(r.status)).flatMap((r) => r.requestIds),
  );
  for (const requestId of open.filter((id) => !inFlight.has(id))) {
    const request = await ledger.getRequest(requestId);
    if (!request) continue;
    const statuses = request.tables.map((t) => t.status);
    if (!statuses.every(isTerminal)) continue;
    const status = requestStatusOf(statuses);
    await ledger.completeRequest(link, requestId, status, now);
    completed.push({ ...request, status, updatedAt: now });
  }
  // The publisher logs its own failures; the ledger already holds the outcome.
  await Promise.all(completed.map((view) => outcomes.requestCompleted(view)));
  return {
    completedRequestIds: completed.map((view) => view.requestId),
    openRequests: open.length - completed.length,
  };
}
