import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import type { EventGridPublisherClientOptions } from "@azure/eventgrid";
import type { AppConfig } from "../config";
import { qualifiedName } from "../domain/tableName";
import type { RequestView } from "../ledger/ledger";
import { consoleLogger, type Logger } from "../logger";
import { CallbackNotifier, type CallbackNotifierOptions } from "./callbackNotifier";
import { EventGridOutcomePublisher } from "./eventGridOutcomePublisher";
import type { OutcomePublisher, SettledTable, TableOutcome } from "./outcomePublisher";

/**
 * Tests only: knobs that point the publishers at local http servers and shorten their waits.
 * The composition root never passes them, so configuration cannot switch https checks off.
 */
export interface OutcomePublisherTestOptions {
  eventGridClientOptions?: EventGridPublisherClientOptions;
  callback?: Omit<CallbackNotifierOptions, "secrets">;
}

/**
 * The app's outcome publisher: Event Grid CloudEvents when `EVENTGRID_TOPIC_ENDPOINT` is set, and
 * the request's `callbackUrl` (when it has one) on completion. Outcomes are best effort: the
 * ledger is the source of truth and every status is visible over HTTP, and the worker records a
 * table's new status before it publishes (a retried activity does not publish it again) and a
 * request's before it closes it (a crash in between publishes it again, with the same ids:
 * docs/events.md). A failed publish or callback is therefore logged and never fails the activity,
 * and one sink failing does not keep the other from being tried.
 */
export function createOutcomePublisher(
  config: AppConfig,
  credential: () => TokenCredential,
  logger: Logger = consoleLogger,
  testOptions: OutcomePublisherTestOptions = {},
): OutcomePublisher {
  const { eventGridTopicEndpoint, eventGridTopicKey, eventTypePrefix } = config.outcomes;
  // Built on first publish: the HTTP intake builds this publisher too but never publishes.
  let eventGridPublisher: EventGridOutcomePublisher | undefined;
  const eventGridClient = (endpoint: string) =>
    (eventGridPublisher ??= new EventGridOutcomePublisher({
      endpoint,
      ...(eventGridTopicKey ? { key: eventGridTopicKey } : { credential }),
      eventTypePrefix,
      ...(testOptions.eventGridClientOptions ? { clientOptions: testOptions.eventGridClientOptions } : {}),
    }));
  const eventGrid = eventGridTopicEndpoint
    ? {
        tableReplicating: (o: TableOutcome) => eventGridClient(eventGridTopicEndpoint).tableReplicating(o),
        tableFailed: (o: TableOutcome) => eventGridClient(eventGridTopicEndpoint).tableFailed(o),
        tablesSettled: (o: readonly SettledTable[]) =>
          eventGridClient(eventGridTopicEndpoint).tablesSettled(o),
        requestCompleted: (r: RequestView) => eventGridClient(eventGridTopicEndpoint).requestCompleted(r),
        requestsCompleted: (rs: readonly RequestView[]) =>
          eventGridClient(eventGridTopicEndpoint).requestsCompleted(rs),
      }
    : undefined;
  const callbacks = new CallbackNotifier({
    allowList: config.outcomes.callbackAllowList,
    ...testOptions.callback,
    secrets: config.intake.webhookSecrets,
  });

  const publish = async (what: string, send: () => Promise<void>): Promise<void> => {
    try {
      await send();
    } catch (error) {
      logger.warn(`outcome event ${what} was not published to Event Grid: ${describeError(error)}`);
    }
  };
  // Event Grid gets a poll's completions in one batch; each request's callback goes on its own.
  const completed = async (requests: readonly RequestView[]): Promise<void> => {
    const [first] = requests;
    if (!first) return;
    const what =
      requests.length === 1
        ? `request.completed for request ${first.requestId}`
        : `${requests.length} request.completed events for ${first.workspace}/${first.linkConnection}`;
    await Promise.all([
      eventGrid ? publish(what, () => eventGrid.requestsCompleted(requests)) : Promise.resolve(),
      ...requests.map((request) =>
        callbacks.notify(request).then(
          (result) => {
            if (result.outcome === "refused" || result.outcome === "failed") logger.warn(result.error);
          },
          (error: unknown) => {
            logger.warn(`callback for request ${request.requestId} failed: ${String(error)}`);
          },
        ),
      ),
    ]);
  };
  const table = (kind: string, outcome: TableOutcome) =>
    `${kind} for ${outcome.workspace}/${outcome.linkConnection} ${qualifiedName(outcome.table)}`;

  return {
    async tableReplicating(outcome) {
      if (eventGrid)
        await publish(table("table.replicating", outcome), () => eventGrid.tableReplicating(outcome));
    },
    async tableFailed(outcome) {
      if (eventGrid) await publish(table("table.failed", outcome), () => eventGrid.tableFailed(outcome));
    },
    async tablesSettled(outcomes) {
      const [first] = outcomes;
      if (!eventGrid || !first) return;
      const what = `${outcomes.length} table outcome(s) for ${first.workspace}/${first.linkConnection}`;
      await publish(what, () => eventGrid.tablesSettled(outcomes));
    },
    requestCompleted: (request: RequestView) => completed([request]),
    requestsCompleted: completed,
  };
}

/** The SDK's RestError often has an empty message for a bare status (e.g. 204 or 403 without a body). */
function describeError(error: unknown): string {
  if (isRestError(error)) {
    const parts = [
      error.statusCode !== undefined ? `HTTP ${error.statusCode}` : undefined,
      error.code ? `code ${error.code}` : undefined,
      error.message || undefined,
    ].filter(Boolean);
    return parts.join(", ") || "RestError";
  }
  return error instanceof Error ? error.message : String(error);
}
