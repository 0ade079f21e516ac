import type { LinkRef } from "../domain/linkRef";
import { isTerminal, requestStatusOf } from "../domain/tableStatus";
import type { WorkerDeps } from "./workerDeps";

export interface CompletionResult {
  completedRequestIds: string[];
  openRequests: number;
}

/** Closes every claimed request whose tables have all reached a final status, and reports it. */
export async function completeRequests(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
): Promise<CompletionResult> {
  const { ledger, outcomes } = deps;
  const completed: string[] = [];
  const open = await ledger.listOpenRequestIds(link);
  for (const requestId of open) {
    const request = await ledger.getRequest(requestId);
    if (!request) continue;
    const statuses = request.tables.map((t) => t.status);
    if (!statuses.every(isTerminal)) continue;
    const status = requestStatusOf(statuses);
    await ledger.completeRequest(link, requestId, status, now);
    await outcomes.requestCompleted({ ...request, status, updatedAt: now });
    completed.push(requestId);
  }
  return { completedRequestIds: completed, openRequests: open.length - completed.length };
}
