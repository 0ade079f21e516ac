import type { LinkRef } from "../domain/linkRef";
import { NON_TERMINAL_STATUSES } from "../domain/tableStatus";
import type { WorkerDeps } from "./workerDeps";

export type IdleCheck =
  | { idle: true }
  /** `queued`: a request waits to be claimed; `busy`: something is still in flight or open. */
  | { idle: false; reason: "queued" | "busy" };

/**
 * The worker's last step before it finishes: it may finish only when the link has no queued or
 * open request and no table in flight, and no request was recorded since it looked. The open-link
 * entry is read first and removed only if unchanged, so a request recorded meanwhile (which
 * rewrites the entry) keeps the worker going instead of racing a finishing instance.
 */
export async function closeIfIdle(deps: Pick<WorkerDeps, "ledger">, link: LinkRef): Promise<IdleCheck> {
  const { ledger } = deps;
  const open = await ledger.getOpenLink(link);
  const [requests, records] = await Promise.all([
    ledger.countRequests(link),
    ledger.listLinkTables(link, NON_TERMINAL_STATUSES),
  ]);
  if (requests.queued > 0) return { idle: false, reason: "queued" };
  if (records.length > 0) return { idle: false, reason: "busy" };
  // completeRequests closes every request nothing waits on, from the link's records; one still
  // open here is finished by the next poll.
  if (requests.open > 0) return { idle: false, reason: "busy" };
  if (!open || (await ledger.closeOpenLink(link, open.etag))) return { idle: true };
  return { idle: false, reason: "queued" }; // recorded after the entry was read
}
