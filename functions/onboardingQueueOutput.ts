import { output } from "@azure/functions";
import { ONBOARDING_QUEUE } from "../shared/intake/queueMessage";

/** The queue output binding the HTTP and event triggers enqueue onboarding requests with. */
export const onboardingQueueOutput = output.storageQueue({
  queueName: ONBOARDING_QUEUE,
  connection: "AzureWebJobsStorage",
});
