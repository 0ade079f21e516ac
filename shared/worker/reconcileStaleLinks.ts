import type { WorkerSettings } from "../config";
import type { LinkRef } from "../domain/linkRef";
import type { Ledger } from "../ledger/ledger";
import { ensureLinkWorker, type WorkerScheduler } from "./ensureLinkWorker";

/**
 * Backstop for a lost nudge (a raised event can race a finishing worker): every link with Queued
 * requests older than `staleMinutes` gets its worker started or nudged again.
 */
export async function reconcileStaleLinks(
  deps: {
    ledger: Pick<Ledger, "listLinksWithStaleQueuedRequests">;
    scheduler: WorkerScheduler;
    settings: WorkerSettings;
  },
  now: Date,
  staleMinutes: number,
): Promise<LinkRef[]> {
  const olderThan = new Date(now.getTime() - staleMinutes * 60_000).toISOString();
  const links = await deps.ledger.listLinksWithStaleQueuedRequests(olderThan);
  for (const link of links) await ensureLinkWorker(deps.scheduler, link, deps.settings);
  return links;
}
