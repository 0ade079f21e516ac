import { AzureKeyCredential, type TokenCredential } from "@azure/core-auth";
import type { EventGridPublisherClient, EventGridPublisherClientOptions } from "@azure/eventgrid";
import type { RequestView } from "../ledger/ledger";
import { requestCompletedEvent, tableOutcomeEvent, type OutcomeEvent } from "./outcomeEvents";
import type { OutcomePublisher, SettledTable, TableOutcome } from "./outcomePublisher";

export interface EventGridOutcomePublisherOptions {
  /** The topic endpoint, e.g. `https://<topic>.<region>-1.eventgrid.azure.net/api/events`. */
  endpoint: string;
  /** The topic access key (`aeg-sas-key`); without it the publisher authenticates with `credential`. */
  key?: string;
  /** Entra ID credential (DefaultAzureCredential in production); needs "EventGrid Data Sender" on the topic. */
  credential?: () => TokenCredential;
  /** Reverse-DNS prefix of the event types. */
  eventTypePrefix: string;
  /**
   * Tests only (e.g. `allowInsecureConnection` for a local http endpoint, short retry delays).
   * Never derived from configuration: the composition root does not pass it.
   */
  clientOptions?: EventGridPublisherClientOptions;
}

/**
 * Publishes outcome events as CloudEvents 1.0 to an Event Grid topic through the SDK, which adds
 * the envelope, authentication and retries (including 429/503 with Retry-After). Throws when the
 * SDK gives up; `createOutcomePublisher` decides what a failed publish means for the caller.
 */
export class EventGridOutcomePublisher implements OutcomePublisher {
  private readonly client: EventGridPublisherClient<"CloudEvent">;
  private readonly prefix: string;

  constructor(options: EventGridOutcomePublisherOptions) {
    let credential: AzureKeyCredential | TokenCredential;
    if (options.key) credential = new AzureKeyCredential(options.key);
    else if (options.credential) credential = options.credential();
    else throw new Error("EventGridOutcomePublisher needs a topic key or a token credential");
    // The SDK loads with the first publisher, not with the module: only workers publish outcomes.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load (docs/performance.md)
    const sdk = require("@azure/eventgrid") as typeof import("@azure/eventgrid");
    this.client = new sdk.EventGridPublisherClient(
      options.endpoint,
      "CloudEvent",
      credential,
      options.clientOptions ?? {},
    );
    this.prefix = options.eventTypePrefix;
  }

  tableReplicating(outcome: TableOutcome): Promise<void> {
    return this.send(tableOutcomeEvent(this.prefix, "tableReplicating", outcome));
  }

  tableFailed(outcome: TableOutcome): Promise<void> {
    return this.send(tableOutcomeEvent(this.prefix, "tableFailed", outcome));
  }

  /** One poll's outcomes: one request per batch of at most ~1 MB (chunked only beyond that). */
  async tablesSettled(outcomes: readonly SettledTable[]): Promise<void> {
    const events = outcomes.map(({ status, ...outcome }) =>
      tableOutcomeEvent(this.prefix, status === "Replicating" ? "tableReplicating" : "tableFailed", outcome),
    );
    await this.sendAll(events);
  }

  requestCompleted(request: RequestView): Promise<void> {
    return this.send(requestCompletedEvent(this.prefix, request));
  }

  /** One poll's completed requests: one request per batch of at most ~1 MB, like the tables. */
  async requestsCompleted(requests: readonly RequestView[]): Promise<void> {
    const events = requests.map((request) => requestCompletedEvent(this.prefix, request));
    await this.sendAll(events);
  }

  /** Every batch is sent even when one fails (one lost batch must not take the others); then the first failure is thrown. */
  private async sendAll(events: readonly OutcomeEvent<unknown>[]): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (const batch of eventBatches(events)) {
      try {
        await this.client.send(batch);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  private async send(event: OutcomeEvent<unknown>): Promise<void> {
    await this.client.send([event]);
  }
}

/**
 * A topic takes an array of events of at most 1 MB in total (413 beyond it; docs/events.md). The
 * budget leaves room for the envelope fields the SDK adds to each event (specversion, time,
 * datacontenttype) and for the error text of a failed table, which the ledger clips at 30,000
 * characters.
 */
const BATCH_BYTES = 900_000;
const ENVELOPE_BYTES = 200;

export function eventBatches<T>(events: readonly OutcomeEvent<T>[]): OutcomeEvent<T>[][] {
  const batches: OutcomeEvent<T>[][] = [];
  let current: OutcomeEvent<T>[] = [];
  let bytes = 2;
  for (const event of events) {
    const size = Buffer.byteLength(JSON.stringify(event)) + ENVELOPE_BYTES;
    if (current.length > 0 && bytes + size > BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 2;
    }
    current.push(event);
    bytes += size + 1;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
