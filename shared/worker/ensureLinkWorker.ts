import type { WorkerSettings } from "../config";
import { linkWorkerInstanceId, type LinkRef } from "../domain/linkRef";
import { LINK_WORKER_REVISION, type LinkWorkerInput } from "./linkWorkerInput";

export const LINK_WORKER_ORCHESTRATION = "linkWorker";
/** Raised on a running worker when a request for its link was recorded. */
export const REQUEST_QUEUED_EVENT = "requestQueued";

export type WorkerRuntimeStatus =
  "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated" | "Canceled" | "Suspended";

/** The durable client as the intake needs it (adapter over durable-functions' DurableClient). */
export interface WorkerScheduler {
  /** undefined when no instance has that id (the JS client throws on 404; the adapter maps it). */
  getRuntimeStatus(instanceId: string): Promise<WorkerRuntimeStatus | undefined>;
  start(instanceId: string, input: LinkWorkerInput): Promise<void>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

/** What reconcile reads of a worker instance: its status, and when that last changed (ISO 8601). */
export interface WorkerInstance {
  runtimeStatus: WorkerRuntimeStatus;
  lastUpdatedTime: string;
}

/** The durable client as reconcile needs it, besides {@link WorkerScheduler}. */
export interface WorkerInstances {
  /** undefined when no instance has that id. */
  getInstance(instanceId: string): Promise<WorkerInstance | undefined>;
}

/** Statuses in which the instance will still see the ledger: no restart needed. */
export const ACTIVE_STATUSES: ReadonlySet<WorkerRuntimeStatus> = new Set([
  "Pending",
  "Running",
  "ContinuedAsNew",
  "Suspended",
]);

/**
 * Makes sure the link's worker will see a newly recorded request: nudge it when it runs, start it
 * when it does not. Two callers racing to start: the loser's start fails while the winner runs,
 * which is as good as a nudge (the worker claims from the ledger, not from the event).
 */
export async function ensureLinkWorker(
  scheduler: WorkerScheduler,
  link: LinkRef,
  settings: WorkerSettings,
  /** Decides whether to raise the event on a running worker (coalescing); absent: always. */
  shouldNudge?: () => Promise<boolean>,
): Promise<"started" | "nudged" | "alreadyNudged"> {
  const instanceId = linkWorkerInstanceId(link);
  const status = await scheduler.getRuntimeStatus(instanceId);
  if (status && ACTIVE_STATUSES.has(status)) {
    // One nudge per claim is enough: the worker claims every queued request at once, and each
    // raised event costs the orchestration history an event and an episode.
    if (shouldNudge && !(await shouldNudge())) return "alreadyNudged";
    await scheduler.raiseEvent(instanceId, REQUEST_QUEUED_EVENT, null);
    return "nudged";
  }
  try {
    // Only the link: callers often pass a whole request (tables, callback URL), which must not
    // end up in the orchestration's input and history.
    const ref: LinkRef = { workspace: link.workspace, linkConnection: link.linkConnection };
    await scheduler.start(instanceId, { link: ref, settings, execution: 1, revision: LINK_WORKER_REVISION });
    return "started";
  } catch (error) {
    const after = await scheduler.getRuntimeStatus(instanceId);
    if (after && ACTIVE_STATUSES.has(after)) {
      await scheduler.raiseEvent(instanceId, REQUEST_QUEUED_EVENT, null);
      return "nudged";
    }
    throw error;
  }
}
