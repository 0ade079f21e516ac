import { QueueClient } from "@azure/storage-queue";
import type { RegisteredFunction } from "../../dev/durable";
import {
  decodeQueueMessageText,
  invokeFunction,
  QueueClients,
  queueTriggerInput,
  writeQueueOutputs,
  type InvocationResult,
} from "../../dev/host";
import { ONBOARDING_QUEUE } from "../../shared/intake/queueMessage";

/**
 * The Functions host's queue side for end-to-end tests, through the dev host's own code (the path
 * `npm start` takes): what an invocation wrote to its queue outputs goes to Azurite as the host
 * sends it (base64, in order), and each waiting message reaches the queue trigger's function
 * decoded as the host's poller decodes it, then is deleted.
 */
export class QueueRelay {
  private readonly clients: QueueClients;
  private readonly queue: QueueClient;

  constructor(connectionString: string, queueName: string = ONBOARDING_QUEUE) {
    this.clients = new QueueClients({ defaultConnectionString: connectionString });
    this.queue = new QueueClient(connectionString, queueName);
  }

  /** Sends an invocation's queue outputs; returns how many messages went out. */
  async send(
    fn: RegisteredFunction,
    invocation: Pick<InvocationResult, "outputs" | "result">,
  ): Promise<number> {
    return (await writeQueueOutputs(this.clients, fn.metadata, invocation, "base64")).length;
  }

  /** Runs `consumer` for every waiting message until the queue is empty; returns how many it handled. */
  async drain(consumer: RegisteredFunction, durableClientData: unknown): Promise<number> {
    await this.queue.createIfNotExists();
    let handled = 0;
    for (;;) {
      const { receivedMessageItems } = await this.queue.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) return handled;
      for (const item of receivedMessageItems) {
        await invokeFunction(consumer, queueTriggerInput(decodeQueueMessageText(item.messageText)), {
          durableClientData,
          triggerMetadata: { id: item.messageId, dequeueCount: item.dequeueCount },
        });
        await this.queue.deleteMessage(item.messageId, item.popReceipt);
        handled++;
      }
    }
  }
}
