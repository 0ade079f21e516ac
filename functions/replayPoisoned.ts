import type { InvocationContext, Timer } from "@azure/functions";
import * as df from "durable-functions";
import { getDependencies } from "../shared/dependencies";
import { REPLAY_GIVE_UP_HOURS, replayPoisonedMessages } from "../shared/intake/replayPoisonedMessages";
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
  const { replayed, rejected, failed, gaveUp } = await replayPoisonedMessages(
    {
      ledger: deps.ledger,
      settings: deps.settings,
      scheduler: durableClientScheduler(client),
      workspaces: deps.workspaces,
      poison: deps.poisonQueue(),
    },
    new Date().toISOString(),
  );
  // The poison alert matches the queue's name in traces: these lines say "poison queue" instead.
  if (replayed.length > 0)
    context.warn(`recorded from the poison queue after an outage: ${replayed.join(", ")}`);
  if (rejected > 0)
    context.log(`${rejected} message(s) from the poison queue recorded as rejected and removed`);
  const ids = (outcome: string) => gaveUp.filter((g) => g.outcome === outcome).map((g) => g.id);
  if (ids("rejected").length > 0)
    context.error(
      `gave up on message(s) from the poison queue after ${REPLAY_GIVE_UP_HOURS} hours of retries; their requests are Rejected with the last error: ${ids("rejected").join(", ")}`,
    );
  if (ids("ended").length > 0)
    context.log(
      `message(s) from the poison queue whose requests were recorded and have ended since: removed: ${ids("ended").join(", ")}`,
    );
  if (ids("recorded").length > 0)
    context.warn(
      `message(s) from the poison queue still failing after ${REPLAY_GIVE_UP_HOURS} hours, whose requests were recorded before: removed, the requests left to their workers: ${ids("recorded").join(", ")}`,
    );
  if (failed > 0)
    context.warn("a message from the poison queue failed again; the next run tries in 10 minutes");
}

df.app.client.timer("replayPoisoned", { schedule: REPLAY_POISONED_SCHEDULE, handler: replayPoisoned });
