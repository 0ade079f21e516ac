import type { LinkRef } from "../domain/linkRef";
import { isTerminal } from "../domain/tableStatus";
import type { WorkerDeps } from "./workerDeps";

/**
 * The worker's last step before it finishes: it may finish only when the link has no queued or
 * open request and no table in flight, and no request was recorded since it looked. The open-link
 * entry is read first and removed only if unchanged, so a request recorded meanwhile (which
 * rewrites the entry) keeps the worker going instead of racing a finishing instance.
 */
export async function closeIfIdle(
  deps: Pick<WorkerDeps, "ledger">,
  link: LinkRef,
): Promise<{ idle: boolean }> {
  const { ledger } = deps;
  const open = await ledger.getOpenLink(link);
  const [queued, openRequests, records] = await Promise.all([
    ledger.listQueuedRequests(link),
    ledger.listOpenRequestIds(link),
    ledger.listLinkTables(link),
  ]);
  const busy = queued.length > 0 || openRequests.length > 0 || records.some((r) => !isTerminal(r.status));
  if (busy) return { idle: false };
  return { idle: open ? await ledger.closeOpenLink(link, open.etag) : true };
}
