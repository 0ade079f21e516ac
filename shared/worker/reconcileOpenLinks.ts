import type { WorkerSettings } from "../config";
import { linkWorkerInstanceId, type LinkRef } from "../domain/linkRef";
import type { OpenLinkIndex } from "../ledger/ledger";
import {
  ACTIVE_STATUSES,
  ensureLinkWorker,
  type WorkerInstances,
  type WorkerScheduler,
} from "./ensureLinkWorker";

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
  /**
   * Links with unfinished work whose worker has been Pending for over PENDING_STUCK_MINUTES: its
   * start was most likely lost (durable-extension #540, #2060). Nothing the app can call clears
   * it (a start with its id is refused, terminate is not processed), so it is said at every run,
   * with when it became Pending, for an operator to clear (docs/deploy.md, "Alerts").
   */
  stuckPending: { link: LinkRef; since: string }[];
}

/** A worker starts within seconds; one Pending for this long is not going to start by itself. */
export const PENDING_STUCK_MINUTES = 15;

/**
 * The backstop that keeps work from stranding: every link with unfinished work whose worker is not
 * Running or Pending (it failed, was terminated by a redeploy, completed while a request raced it,
 * or never started) gets a fresh worker, which picks everything up from the ledger. A worker
 * suspended, or Pending for too long, is named instead (see ReconcileResult). Reads only the
 * open-links partition, so its cost follows the open work, not the size of the ledger.
 */
export async function reconcileOpenLinks(deps: {
  ledger: OpenLinkIndex;
  scheduler: WorkerScheduler & WorkerInstances;
  settings: WorkerSettings;
  now: string;
}): Promise<ReconcileResult> {
  const open = await deps.ledger.listOpenLinks();
  const result: ReconcileResult = { checked: open.length, restarted: [], suspended: [], stuckPending: [] };
  for (const { link } of open) {
    const instance = await deps.scheduler.getInstance(linkWorkerInstanceId(link));
    const status = instance?.runtimeStatus;
    if (status === "Suspended") result.suspended.push(link);
    if (status === "Pending" && pendingTooLong(instance?.lastUpdatedTime, deps.now)) {
      result.stuckPending.push({ link, since: instance?.lastUpdatedTime ?? "" });
    }
    if (status && ACTIVE_STATUSES.has(status)) continue;
    await ensureLinkWorker(deps.scheduler, link, deps.settings);
    result.restarted.push({ link, was: status ?? "missing" });
  }
  return result;
}

function pendingTooLong(since: string | undefined, now: string): boolean {
  const at = since === undefined ? NaN : Date.parse(since);
  return Number.isFinite(at) && Date.parse(now) - at > PENDING_STUCK_MINUTES * 60_000;
}
