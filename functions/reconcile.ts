import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getDependencies } from "../shared/dependencies";
import { describeLink, linkWorkerInstanceId } from "../shared/domain/linkRef";
import { durableClientScheduler } from "../shared/worker/durableClientScheduler";
import { PENDING_STUCK_MINUTES, reconcileOpenLinks } from "../shared/worker/reconcileOpenLinks";

export const RECONCILE_SCHEDULE = "0 */5 * * * *";

/** Every five minutes: start a worker for every link with unfinished work whose worker is not running. */
export async function reconcile(
  _timer: Timer,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const { ledger, settings } = getDependencies();
  const { restarted, suspended, stuckPending } = await reconcileOpenLinks({
    ledger,
    settings,
    scheduler: durableClientScheduler(client),
    now: new Date().toISOString(),
  });
  if (restarted.length > 0) {
    context.warn(
      `restarted link workers: ${restarted.map((r) => `${describeLink(r.link)} (was ${r.was})`).join(", ")}`,
    );
  }
  if (stuckPending.length > 0) {
    context.error(
      `link workers Pending for over ${PENDING_STUCK_MINUTES} minutes with requests waiting (their start was lost; see docs/deploy.md "Alerts"): ${stuckPending
        .map(
          (s) =>
            `${describeLink(s.link)} (instance ${linkWorkerInstanceId(s.link)}, Pending since ${s.since})`,
        )
        .join(", ")}`,
    );
  }
  if (suspended.length > 0) {
    context.warn(
      `link workers suspended with requests waiting (resume them): ${suspended.map(describeLink).join(", ")}`,
    );
  }
}

df.app.client.timer("reconcile", { schedule: RECONCILE_SCHEDULE, handler: reconcile });
