import { handleQueueMessage, type QueueMessageDeps } from "./handleQueueMessage";
import { queueMessageSchema } from "./queueMessage";

/** One message of the poison queue, its text decoded (the host base64-encodes what it enqueues). */
export interface PoisonedMessage {
  messageId: string;
  popReceipt: string;
  text: string;
}

/** The poison queue as the replay needs it (adapter: `storagePoisonQueue.ts`). */
export interface PoisonQueue {
  /** Up to `count` messages, hidden from other readers for `hideSeconds`. */
  receive(count: number, hideSeconds: number): Promise<PoisonedMessage[]>;
  delete(message: PoisonedMessage): Promise<void>;
  /** Keeps a message for operators without reading it again for `seconds`. */
  hide(message: PoisonedMessage, seconds: number): Promise<void>;
}

export interface ReplayResult {
  /** Valid messages handled now: their requests are recorded and their workers started. */
  replayed: string[];
  /** Valid messages that failed again (storage still down, say): visible again at the next run. */
  failed: number;
  /** Invalid messages: already recorded as rejected when they were poisoned; kept for operators. */
  invalid: number;
}

/** The most messages one run takes (32 a read): the rest waits for the next run. */
export const REPLAY_MAX_PER_RUN = 320;
/** A message that fails again comes back to the next run (every 10 minutes). */
const RETRY_HIDE_SECONDS = 5 * 60;
/** An invalid message is kept for operators and not read again: the queue keeps messages 7 days. */
const INVALID_HIDE_SECONDS = 7 * 24 * 3600;

/**
 * A valid message lands in the poison queue only when the queue consumer failed on it five times in
 * a row (storage or the durable client down for a couple of minutes): nothing about the message
 * itself is wrong. Each run hands such messages to the consumer's use case again (it is
 * idempotent: the request id is the message's), so a request that met an outage is recorded and
 * served once the outage ends, instead of waiting for an operator to re-queue it. Invalid
 * messages, which the consumer recorded as rejected when it poisoned them, stay for operators.
 */
export async function replayPoisonedMessages(
  deps: QueueMessageDeps & { poison: PoisonQueue },
  now: string,
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: [], failed: 0, invalid: 0 };
  for (let taken = 0; taken < REPLAY_MAX_PER_RUN;) {
    const batch = await deps.poison.receive(32, RETRY_HIDE_SECONDS);
    if (batch.length === 0) break;
    taken += batch.length;
    for (const message of batch) {
      if (!isValidMessage(message.text)) {
        result.invalid++;
        await deps.poison.hide(message, INVALID_HIDE_SECONDS);
        continue;
      }
      try {
        const handled = await handleQueueMessage(deps, message.text, { messageId: message.messageId }, now);
        if (handled.kind !== "poison") result.replayed.push(handled.requestId);
        await deps.poison.delete(message);
      } catch {
        // Still failing: the message comes back after RETRY_HIDE_SECONDS, for the next run.
        result.failed++;
      }
    }
  }
  return result;
}

function isValidMessage(text: string): boolean {
  try {
    return queueMessageSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}
