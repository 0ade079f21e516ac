import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getDependencies } from "../shared/dependencies";
import { durableClientScheduler } from "../shared/worker/durableClientScheduler";
import { reconcileStaleLinks } from "../shared/worker/reconcileStaleLinks";

export const RECONCILE_SCHEDULE = "0 */5 * * * *";

/** Every five minutes: re-kick link workers whose Queued requests were not picked up. */
export async function reconcile(
  _timer: Timer,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const { config, ledger, settings } = getDependencies();
  const links = await reconcileStaleLinks(
    { ledger, settings, scheduler: durableClientScheduler(client) },
    new Date(),
    config.reconcile.staleMinutes,
  );
  if (links.length > 0) {
    context.warn(
      `re-kicked link workers for ${links.map((l) => `${l.workspace}/${l.linkConnection}`).join(", ")}`,
    );
  }
}

df.app.client.timer("reconcile", { schedule: RECONCILE_SCHEDULE, handler: reconcile });
