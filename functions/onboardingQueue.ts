import { output, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { getDependencies } from "../shared/dependencies";
import { handleQueueMessage } from "../shared/intake/handleQueueMessage";
import { ONBOARDING_POISON_QUEUE, ONBOARDING_QUEUE } from "../shared/intake/queueMessage";
import { durableClientScheduler } from "../shared/worker/durableClientScheduler";

const poisonQueue = output.storageQueue({
  queueName: ONBOARDING_POISON_QUEUE,
  connection: "AzureWebJobsStorage",
});

/**
 * onboarding-requests → ledger row "Queued" → start or nudge the link's worker. An invalid message
 * is copied to the poison queue at once (retrying cannot fix it) with a ledger record of why.
 * Infrastructure errors throw, so the host retries and poisons after maxDequeueCount.
 */
export async function onboardingQueue(
  message: unknown,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const { ledger, settings, workspaces } = getDependencies();
  const messageId =
    typeof context.triggerMetadata?.id === "string" ? context.triggerMetadata.id : context.invocationId;
  const result = await handleQueueMessage(
    {
      ledger,
      settings,
      scheduler: durableClientScheduler(client),
      workspaces,
    },
    message,
    { messageId },
    new Date().toISOString(),
  );
  if (result.kind === "poison") {
    context.error(`message ${messageId} moved to ${ONBOARDING_POISON_QUEUE}: ${result.reason}`);
    context.extraOutputs.set(poisonQueue, result.body);
    return;
  }
  if (result.kind === "rejected") {
    context.warn(`request ${result.requestId} recorded as Rejected: ${result.reason}`);
    return;
  }
  context.log(`request ${result.requestId} ${result.recorded}; link worker ${result.worker}`);
}

df.app.client.storageQueue("onboardingQueue", {
  queueName: ONBOARDING_QUEUE,
  connection: "AzureWebJobsStorage",
  extraOutputs: [poisonQueue],
  handler: onboardingQueue,
});
