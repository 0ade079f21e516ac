import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getDependencies } from "../shared/dependencies";
import { ONBOARDING_POISON_QUEUE } from "../shared/intake/queueMessage";
import { replayPoisonedMessages } from "../shared/intake/replayPoisonedMessages";
import { durableClientScheduler } from "../shared/worker/durableClientScheduler";

export const REPLAY_POISONED_SCHEDULE = "0 */10 * * * *";

/**
 * Every ten minutes: valid onboarding messages the queue consumer poisoned during an outage are
 * handled again, so their requests are recorded and served without an operator (docs/design.md).
 */
export async function replayPoisoned(
  _timer: Timer,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const deps = getDependencies();
  const { replayed, failed, invalid } = await replayPoisonedMessages(
    {
      ledger: deps.ledger,
      settings: deps.settings,
      scheduler: durableClientScheduler(client),
      workspaces: deps.workspaces,
      poison: deps.poisonQueue(),
    },
    new Date().toISOString(),
  );
  if (replayed.length > 0) context.warn(`replayed from ${ONBOARDING_POISON_QUEUE}: ${replayed.join(", ")}`);
  if (failed > 0)
    context.error(`${failed} message(s) in ${ONBOARDING_POISON_QUEUE} failed again; next run in 10 minutes`);
  if (invalid > 0)
    context.log(`${invalid} invalid message(s) in ${ONBOARDING_POISON_QUEUE} kept for operators`);
}

df.app.client.timer("replayPoisoned", { schedule: REPLAY_POISONED_SCHEDULE, handler: replayPoisoned });
