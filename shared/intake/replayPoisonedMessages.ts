import { endUnservable, handleQueueMessage, type QueueMessageDeps } from "./handleQueueMessage";

/** One message of the poison queue, its text decoded (the host base64-encodes what it enqueues). */
export interface PoisonedMessage {
  messageId: string;
  popReceipt: string;
  text: string;
  /** When it reached the poison queue (ISO 8601). */
  insertedOn: string;
}

/** The poison queue as the replay needs it (adapter: `storagePoisonQueue.ts`). */
export interface PoisonQueue {
  /** Up to `count` messages, hidden from other readers for `hideSeconds`. */
  receive(count: number, hideSeconds: number): Promise<PoisonedMessage[]>;
  delete(message: PoisonedMessage): Promise<void>;
}

export interface ReplayResult {
  /** Requests recorded now (their workers started or nudged): they met an outage, not a problem. */
  replayed: string[];
  /** Messages recorded as rejected (invalid, or not servable): what the consumer would have done. */
  rejected: number;
  /** Messages that failed again (storage still down, say): visible again at the next run. */
  failed: number;
  /**
   * Messages that kept failing for REPLAY_GIVE_UP_HOURS, removed: `rejected`, their requests show
   * Rejected with the last error (the message id when it names no request); `recorded`, the request
   * was recorded before the failure and is served like any other (reconcile starts the worker);
   * `ended`, the request was recorded before and has ended since.
   */
  gaveUp: { id: string; outcome: "rejected" | "recorded" | "ended" }[];
}

/** The most messages one run takes (32 a read): the rest waits for the next run. */
const REPLAY_MAX_PER_RUN = 320;
/** A message that fails again comes back to the next run (every 10 minutes). */
const RETRY_HIDE_SECONDS = 5 * 60;
/** Failures in a row that end a run: what failed is most likely still down. */
const FAILURES_ENDING_A_RUN = 3;
/**
 * How long a message that keeps failing is handed to the consumer again. Well within the 24 hours
 * a signed status URL shows an unrecorded request as Queued (ACCEPTANCE_VALID_MS), so its caller
 * sees the outcome.
 */
export const REPLAY_GIVE_UP_HOURS = 12;

/**
 * A valid message lands in the poison queue when the queue consumer failed on it five times in a
 * row (storage or the durable client down for a couple of minutes): nothing about the message
 * itself is wrong. Each run hands every poisoned message to the consumer's use case again. It is
 * idempotent (the request id is the message's, and a request delivered after a later one for the
 * same table does not undo it), so a request that met an outage is recorded and served once the
 * outage ends, instead of waiting for an operator. An invalid message is recorded as rejected
 * again (the consumer did so when it poisoned it, unless that write was what failed) and removed:
 * the ledger keeps its reason and body (`rejectedMessages`). Three failures in a row end the run:
 * whatever failed is most likely still down.
 */
export async function replayPoisonedMessages(
  deps: QueueMessageDeps & { poison: PoisonQueue },
  now: string,
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: [], rejected: 0, failed: 0, gaveUp: [] };
  let inARow = 0;
  for (let taken = 0; taken < REPLAY_MAX_PER_RUN;) {
    const batch = await deps.poison.receive(32, RETRY_HIDE_SECONDS);
    if (batch.length === 0) break;
    taken += batch.length;
    for (const message of batch) {
      try {
        const handled = await handleQueueMessage(deps, message.text, { messageId: message.messageId }, now);
        if (handled.kind === "accepted") result.replayed.push(handled.requestId);
        else result.rejected++;
        await deps.poison.delete(message);
        inARow = 0;
      } catch (error) {
        const ended = await giveUpIfDue(deps, message, error, now);
        if (ended !== undefined) {
          result.gaveUp.push(ended);
          inARow = 0;
          continue;
        }
        // Still failing: the message comes back after RETRY_HIDE_SECONDS. One message that always
        // fails must not hold up the others; three in a row end the run (and the rest of the batch
        // comes back with them).
        result.failed++;
        if (++inARow >= FAILURES_ENDING_A_RUN) return result;
      }
    }
  }
  return result;
}

/**
 * A message that has failed for REPLAY_GIVE_UP_HOURS is not an outage any more: it is ended
 * (`endUnservable`: rejected with the last error, or, when its request was recorded before the
 * failure, left to its worker) and removed. Undefined when it is not due or a write failed too
 * (then it stays, tried at the next run, until the queue's own expiry).
 */
async function giveUpIfDue(
  deps: QueueMessageDeps & { poison: PoisonQueue },
  message: PoisonedMessage,
  error: unknown,
  now: string,
): Promise<ReplayResult["gaveUp"][number] | undefined> {
  const poisonedFor = Date.parse(now) - Date.parse(message.insertedOn);
  if (!(poisonedFor >= REPLAY_GIVE_UP_HOURS * 3600_000)) return undefined;
  const why = error instanceof Error ? error.message : String(error);
  const reason = `could not be recorded within ${REPLAY_GIVE_UP_HOURS} hours of retries: ${why}`;
  try {
    const ended = await endUnservable(deps, message.text, { messageId: message.messageId }, reason, now);
    await deps.poison.delete(message);
    return { id: ended.requestId ?? message.messageId, outcome: ended.kind };
  } catch {
    return undefined;
  }
}
