/**
 * The Storage Queues extension's listener for one `queueTrigger` function (docs/durable-protocol.md §11.3 / §11.5,
 * `QueueListener` + `QueueProcessor` of the WebJobs SDK), polling Azurite with `@azure/storage-queue`:
 *
 * - receives up to `batchSize` messages, runs them concurrently, and polls again when the whole batch is done
 *   (one batch at a time per queue); idle → waits `pollIntervalMs`;
 * - a received message stays invisible for 10 minutes while it runs (the extension's receive timeout);
 * - decodes the body (base64 by default), passes a JSON object / array parsed and anything else as the string,
 *   with `triggerMetadata` `{ id, dequeueCount, insertionTime, expirationTime, nextVisibleTime, popReceipt,
 *   queueTrigger }` (what the v4 library makes of the host's binding data);
 * - success → delete; failure → visible again after `visibilityTimeoutMs`, or, when
 *   `dequeueCount >= maxDequeueCount`, the body is copied to `<queue>-poison` (created if missing) and deleted.
 *   A message received with `dequeueCount > maxDequeueCount` is poisoned without running. A queue whose name
 *   already ends in `-poison` has no poison queue: a failed message simply stays invisible (extension behaviour);
 * - a failing handler, a failing storage call or a dead Azurite never stops the poller (it logs and backs off).
 */
import type { DequeuedMessageItem, QueueClient } from "@azure/storage-queue";
import type { QueueMessageEncoding } from "./hostConfig";
import { decodeQueueMessageText, queueTriggerInput } from "./queueMessages";

/** `context.triggerMetadata` of a queue-triggered invocation. */
export interface QueueTriggerMetadata {
  id: string;
  dequeueCount: number;
  insertionTime: string;
  expirationTime: string;
  nextVisibleTime: string;
  popReceipt: string;
  queueTrigger: string;
  [key: string]: unknown;
}

export interface QueueTriggerPollerOptions {
  functionName: string;
  /** The trigger queue (created if missing). */
  queue: QueueClient;
  /** `<queue>-poison` (created when first needed); undefined when the trigger queue is itself a poison queue. */
  poisonQueue?: QueueClient;
  batchSize?: number;
  maxDequeueCount?: number;
  visibilityTimeoutMs?: number;
  messageEncoding?: QueueMessageEncoding;
  /** Idle wait between polls, default 500 ms. */
  pollIntervalMs?: number;
  /** Runs the function; a rejection is a failed invocation. */
  handle: (input: unknown, triggerMetadata: QueueTriggerMetadata) => Promise<unknown>;
  log?: (line: string) => void;
}

/** How long a received message stays invisible while its invocation runs (the extension's default, 10 min). */
export const RECEIVE_VISIBILITY_SECONDS = 600;
const ERROR_BACKOFF_MS = 2000;

function iso(date: Date | undefined): string {
  return date === undefined ? "" : date.toISOString();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class QueueTriggerPoller {
  readonly functionName: string;
  /** Counters, for tests and the status endpoint. */
  readonly stats = { received: 0, succeeded: 0, failed: 0, poisoned: 0 };

  private readonly queue: QueueClient;
  private readonly poisonQueue: QueueClient | undefined;
  private readonly batchSize: number;
  private readonly maxDequeueCount: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly encoding: QueueMessageEncoding;
  private readonly pollIntervalMs: number;
  private readonly handle: QueueTriggerPollerOptions["handle"];
  private readonly log: (line: string) => void;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private queueReady = false;
  private poisonReady = false;

  constructor(options: QueueTriggerPollerOptions) {
    this.functionName = options.functionName;
    this.queue = options.queue;
    this.poisonQueue = options.poisonQueue;
    this.batchSize = Math.min(32, Math.max(1, options.batchSize ?? 16));
    this.maxDequeueCount = options.maxDequeueCount ?? 5;
    this.visibilityTimeoutSeconds = Math.max(0, Math.round((options.visibilityTimeoutMs ?? 0) / 1000));
    this.encoding = options.messageEncoding ?? "base64";
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.handle = options.handle;
    this.log =
      options.log ??
      ((line: string) => {
        console.log(line);
      });
  }

  get queueName(): string {
    return this.queue.name;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Stops polling: aborts a waiting receive, lets the running batch finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  /** Wakes an idle poller now (e.g. after the host enqueued to its queue). */
  poke(): void {
    this.wake?.();
  }

  /** A method, so the flow analysis does not narrow `stopped` across awaits. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let idle = false;
      try {
        if (!this.queueReady) {
          await this.queue.createIfNotExists();
          this.queueReady = true;
        }
        this.abort = new AbortController();
        const response = await this.queue.receiveMessages({
          numberOfMessages: this.batchSize,
          visibilityTimeout: RECEIVE_VISIBILITY_SECONDS,
          abortSignal: this.abort.signal,
        });
        this.abort = undefined;
        const messages = response.receivedMessageItems;
        if (messages.length === 0) idle = true;
        else await Promise.all(messages.map((m) => this.process(m)));
      } catch (error) {
        this.abort = undefined;
        if (this.isStopped()) break;
        if ((error as { statusCode?: number }).statusCode === 404) this.queueReady = false;
        this.log(`[queue ${this.queue.name}] polling for '${this.functionName}' failed: ${errorText(error)}`);
        await this.sleep(ERROR_BACKOFF_MS);
        continue;
      }
      if (idle && !this.isStopped()) await this.sleep(this.pollIntervalMs);
    }
  }

  /** One message: run (or poison) it, then delete / release / poison. Never throws. */
  private async process(message: DequeuedMessageItem): Promise<void> {
    this.stats.received++;
    if (this.poisonQueue !== undefined && message.dequeueCount > this.maxDequeueCount) {
      await this.moveToPoison(message, "dequeue count above maxDequeueCount before processing");
      return;
    }
    let failure: unknown;
    try {
      let body: string;
      try {
        body = decodeQueueMessageText(message.messageText, this.encoding);
      } catch (error) {
        this.log(
          `[queue ${this.queue.name}] message ${message.messageId} for '${this.functionName}': ${errorText(error)}`,
        );
        throw error;
      }
      const metadata: QueueTriggerMetadata = {
        id: message.messageId,
        dequeueCount: message.dequeueCount,
        insertionTime: iso(message.insertedOn),
        expirationTime: iso(message.expiresOn),
        nextVisibleTime: iso(message.nextVisibleOn),
        popReceipt: message.popReceipt,
        queueTrigger: body,
      };
      await this.handle(queueTriggerInput(body), metadata);
    } catch (error) {
      failure = error ?? new Error("failed");
    }
    if (failure === undefined) {
      this.stats.succeeded++;
      await this.storageCall("delete", () => this.queue.deleteMessage(message.messageId, message.popReceipt));
      return;
    }
    this.stats.failed++;
    if (this.poisonQueue === undefined) {
      // No poison queue: leave the message invisible (no fast infinite loop), as the extension does.
      return;
    }
    if (message.dequeueCount >= this.maxDequeueCount) {
      await this.moveToPoison(message, `failed ${message.dequeueCount} time(s): ${errorText(failure)}`);
      return;
    }
    await this.storageCall("release", () =>
      this.queue.updateMessage(
        message.messageId,
        message.popReceipt,
        undefined,
        this.visibilityTimeoutSeconds,
      ),
    );
  }

  private async moveToPoison(message: DequeuedMessageItem, reason: string): Promise<void> {
    const poison = this.poisonQueue!;
    const copied = await this.storageCall("copy to poison queue", async () => {
      if (!this.poisonReady) {
        await poison.createIfNotExists();
        this.poisonReady = true;
      }
      // The body as received: still encoded, so the poison queue holds exactly what the trigger queue held.
      await poison.sendMessage(message.messageText);
    });
    if (!copied) return; // stays in the source queue; retried when it becomes visible
    this.stats.poisoned++;
    this.log(`[queue ${this.queue.name}] message ${message.messageId} moved to ${poison.name} (${reason})`);
    await this.storageCall("delete", () => this.queue.deleteMessage(message.messageId, message.popReceipt));
  }

  private async storageCall(what: string, call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      this.log(`[queue ${this.queue.name}] ${what} failed for '${this.functionName}': ${errorText(error)}`);
      return false;
    }
  }
}
