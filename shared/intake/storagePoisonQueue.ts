import type { TokenCredential } from "@azure/core-auth";
import { QueueClient } from "@azure/storage-queue";
import type { StorageConfig } from "../config";
import { ONBOARDING_POISON_QUEUE } from "./queueMessage";
import type { PoisonedMessage, PoisonQueue } from "./replayPoisonedMessages";

/**
 * The onboarding poison queue on Azure Storage (or Azurite). Messages are base64 text, as the
 * Functions host writes them (host.json `messageEncoding`); a message that is not base64 is read
 * as it is.
 */
export function storagePoisonQueue(storage: StorageConfig, credential: () => TokenCredential): PoisonQueue {
  const client =
    storage.kind === "connectionString"
      ? new QueueClient(storage.connectionString, ONBOARDING_POISON_QUEUE)
      : new QueueClient(
          `${storage.queueServiceUri.replace(/\/+$/, "")}/${ONBOARDING_POISON_QUEUE}`,
          credential(),
        );
  return {
    async receive(count, hideSeconds) {
      // The host creates the poison queue with its first poisoned message; before that it is empty.
      if (!(await client.exists())) return [];
      const { receivedMessageItems } = await client.receiveMessages({
        numberOfMessages: count,
        visibilityTimeout: hideSeconds,
      });
      return receivedMessageItems.map((m): PoisonedMessage => ({
        messageId: m.messageId,
        popReceipt: m.popReceipt,
        text: decode(m.messageText),
        insertedOn: m.insertedOn.toISOString(),
      }));
    },
    async delete(message) {
      await client.deleteMessage(message.messageId, message.popReceipt);
    },
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decode(text: string): string {
  const compact = text.replace(/\s+/g, "");
  return compact.length % 4 === 0 && BASE64.test(compact)
    ? Buffer.from(compact, "base64").toString("utf8")
    : text;
}
