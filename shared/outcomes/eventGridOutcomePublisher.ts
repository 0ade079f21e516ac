import { AzureKeyCredential, type TokenCredential } from "@azure/core-auth";
import { EventGridPublisherClient, type EventGridPublisherClientOptions } from "@azure/eventgrid";
import type { RequestView } from "../ledger/ledger";
import { requestCompletedEvent, tableOutcomeEvent, type OutcomeEvent } from "./outcomeEvents";
import type { OutcomePublisher, TableOutcome } from "./outcomePublisher";

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
    this.client = new EventGridPublisherClient(
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

  requestCompleted(request: RequestView): Promise<void> {
    return this.send(requestCompletedEvent(this.prefix, request));
  }

  private async send(event: OutcomeEvent<unknown>): Promise<void> {
    await this.client.send([event]);
  }
}
