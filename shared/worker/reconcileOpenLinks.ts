import type { WorkerSettings } from "../config";
import { linkWorkerInstanceId, type LinkRef } from "../domain/linkRef";
import type { OpenLinkIndex } from "../ledger/ledger";
import { ACTIVE_STATUSES, ensureLinkWorker, type WorkerScheduler } from "./ensureLinkWorker";

export interface ReconcileResult {
  /** Links with unfinished work that were looked at. */
  checked: number;
  /** Links whose worker was not running (failed, terminated, completed or missing) and was started. */
  restarted: { link: LinkRef; was: string }[];
  /**
   * Links with unfinished work whose worker someone suspended: it is left alone (resuming is the
   * operator's call), and said at every run, since its requests wait until it is resumed.
   */
  suspended: LinkRef[];
}

/**
 * The backstop that keeps work from stranding: every link with unfinished work whose worker is not
 * Running or Pending (it failed, was terminated by a redeploy, completed while a request raced it,
 * or never started) gets a fresh worker, which picks everything up from the ledger. Reads only the
 * open-links partition, so its cost follows the open work, not the size of the ledger.
 */
export async function reconcileOpenLinks(deps: {
  ledger: OpenLinkIndex;
  scheduler: WorkerScheduler;
  settings: WorkerSettings;
}): Promise<ReconcileResult> {
  const open = await deps.ledger.listOpenLinks();
  const restarted: ReconcileResult["restarted"] = [];
  const suspended: LinkRef[] = [];
  for (const { link } of open) {
    const status = await deps.scheduler.getRuntimeStatus(linkWorkerInstanceId(link));
    if (status === "Suspended") suspended.push(link);
    if (status && ACTIVE_STATUSES.has(status)) continue;
    await ensureLinkWorker(deps.scheduler, link, deps.settings);
    restarted.push({ link, was: status ?? "missing" });
  }
  return { checked: open.length, restarted, suspended };
}
