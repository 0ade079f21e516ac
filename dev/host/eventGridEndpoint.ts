/**
 * The Event Grid extension's webhook, `/runtime/webhooks/eventgrid?functionName=NAME` (docs/durable-protocol.md
 * §11.4), answered locally:
 *
 * - unknown / missing `functionName` (case-insensitive, eventGridTrigger functions only) → 404;
 * - `OPTIONS` with `WebHook-Request-Origin` (CloudEvents abuse protection) → 200 with `WebHook-Allowed-Origin`
 *   echoing it and `WebHook-Allowed-Rate: *`;
 * - `POST` body: a JSON array or a single event; malformed JSON or non-object events → 400;
 * - Event Grid-schema validation handshake (`aeg-event-type: SubscriptionValidation` and/or an event of type
 *   `Microsoft.EventGrid.SubscriptionValidationEvent`), only when that event is alone in the delivery → 200
 *   `{"validationResponse": code}`, the function is not called; the header with several events → 400; a
 *   validation event inside a batch is dispatched like the others; `aeg-event-type: Unsubscribe` → 202;
 * - otherwise the function runs once per event, in parallel (single dispatch); 200 when all succeeded, 500 when
 *   any failed (Event Grid then redelivers the whole batch).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RegisteredFunction } from "../durable";
import { BodyTooLargeError, discardBody, errorText, readBody, sendEmpty, sendJson, sendText } from "../http";

export const EVENT_GRID_WEBHOOK_PATH = "/runtime/webhooks/eventgrid";
export const SUBSCRIPTION_VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent";

export interface EventGridEndpointOptions {
  /** The eventGridTrigger function with this name (case-insensitive), or undefined. */
  findFunction: (name: string) => RegisteredFunction | undefined;
  /** Runs the function for one event (rejects when the invocation failed). */
  invoke: (registered: RegisteredFunction, event: Record<string, unknown>) => Promise<unknown>;
  /** Default `/runtime/webhooks/eventgrid`. */
  path?: string;
  /** Invocation failures (the response is a 500 either way). */
  onError?: (functionName: string, error: unknown) => void;
}

export type EventGridHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The event's type in either schema. */
export function eventTypeOf(event: Record<string, unknown>): unknown {
  return "specversion" in event ? event.type : (event.eventType ?? event.type);
}

/** `data.validationCode` of a validation event (`data` may arrive as a JSON string, CloudEvents style). */
export function validationCodeOf(event: Record<string, unknown> | undefined): string | undefined {
  let data = event?.data;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  if (typeof data !== "object" || data === null) return undefined;
  const code = (data as Record<string, unknown>).validationCode;
  return typeof code === "string" && code !== "" ? code : undefined;
}

export function createEventGridHandler(options: EventGridEndpointOptions): EventGridHandler {
  const path = options.path ?? EVENT_GRID_WEBHOOK_PATH;
  const onError =
    options.onError ??
    ((name: string, error: unknown) => {
      console.error(`[dev host] Event Grid function '${name}' failed:`, error);
    });

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.replace(/\/+$/, "").toLowerCase() !== path.toLowerCase()) return false;
    const method = (req.method ?? "GET").toUpperCase();
    const functionName = url.searchParams.get("functionName") ?? "";
    const registered = functionName === "" ? undefined : options.findFunction(functionName);
    if (registered === undefined) {
      await discardBody(req);
      sendText(res, 404, `cannot find function: '${functionName}'`);
      return true;
    }

    if (method === "OPTIONS") {
      const origin = headerValue(req, "webhook-request-origin");
      if (origin === undefined || origin === "") {
        sendText(res, 400, "OPTIONS without a WebHook-Request-Origin header (CloudEvents abuse protection)");
      } else {
        sendEmpty(res, 200, { "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*" });
      }
      return true;
    }
    if (method !== "POST") {
      await discardBody(req);
      sendText(res, 405, `use POST (or OPTIONS for the CloudEvents handshake)`, { Allow: "POST, OPTIONS" });
      return true;
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse((await readBody(req)).toString("utf8"));
    } catch (error) {
      if (error instanceof BodyTooLargeError) sendText(res, 413, error.message);
      else sendText(res, 400, "the request body is not valid JSON");
      return true;
    }
    const events = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    if (!events.every((e) => typeof e === "object" && e !== null && !Array.isArray(e))) {
      sendText(res, 400, "expected an event object or an array of event objects");
      return true;
    }
    const typed = events as Record<string, unknown>[];

    const aegEventType = headerValue(req, "aeg-event-type")?.toLowerCase();
    // Event Grid sends the validation event alone. Answering it inside a batch would drop the
    // batch's other events unseen, so a batch is dispatched like any notification, every event
    // included (what the extension does with a Notification delivery).
    const [only] = typed.length === 1 ? typed : [];
    if (aegEventType === "subscriptionvalidation" && only === undefined) {
      sendText(res, 400, "a subscription validation delivery carries exactly one event");
      return true;
    }
    if (
      aegEventType === "subscriptionvalidation" ||
      (only && eventTypeOf(only) === SUBSCRIPTION_VALIDATION_EVENT)
    ) {
      const code = validationCodeOf(only);
      if (code === undefined) sendText(res, 400, "subscription validation event without data.validationCode");
      else sendJson(res, 200, { validationResponse: code });
      return true;
    }
    if (aegEventType === "unsubscribe") {
      sendEmpty(res, 202);
      return true;
    }

    const outcomes = await Promise.allSettled(typed.map((event) => options.invoke(registered, event)));
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    for (const failure of failures) onError(registered.metadata.name, failure.reason);
    if (failures.length === 0) sendEmpty(res, 200);
    else {
      sendText(
        res,
        500,
        `${failures.length} of ${typed.length} invocation(s) of '${registered.metadata.name}' failed: ` +
          failures.map((f) => errorText(f.reason)).join("; "),
      );
    }
    return true;
  };
}
