import type { WorkerSettings } from "../config";
import type { IntakeLedger, OnboardingRequest } from "../ledger/ledger";
import { ensureLinkWorker, type WorkerScheduler } from "../worker/ensureLinkWorker";

export interface AcceptResult {
  recorded: "created" | "exists";
  worker: "started" | "nudged" | "alreadyNudged";
}

/**
 * Records a validated request as Queued and makes sure its link's worker will pick it up.
 * A redelivered request is recorded once; the worker is nudged again, which is harmless.
 */
export async function acceptOnboardingRequest(
  deps: { ledger: IntakeLedger; scheduler: WorkerScheduler; settings: WorkerSettings },
  request: OnboardingRequest,
  now: string,
): Promise<AcceptResult> {
  // Whether to nudge a running worker is learnt in the same write as the request's marker.
  const { recorded, nudge } = await deps.ledger.recordRequestAndNudge(request, now);
  const worker = await ensureLinkWorker(deps.scheduler, request, deps.settings, () => Promise.resolve(nudge));
  return { recorded, worker };
}
