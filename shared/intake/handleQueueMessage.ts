import type { WorkerSettings } from "../config";
import type { IntakeLedger, OnboardingRequest } from "../ledger/ledger";
import type { WorkerScheduler } from "../worker/ensureLinkWorker";
import { acceptOnboardingRequest, type AcceptResult } from "./acceptOnboardingRequest";
import { configuredWorkspace } from "./checkLink";
import { fieldErrors } from "./onboardingRequestBody";
import { textWithoutLoneSurrogates } from "./identifiers";
import { queueMessageSchema, requestIdSchema, toOnboardingRequest, type QueueMessage } from "./queueMessage";

export type QueueMessageResult =
  | ({ kind: "accepted"; requestId: string } & AcceptResult)
  /** Recorded as Rejected: GET shows why; nothing reaches a worker. */
  | { kind: "rejected"; requestId: string; reason: string }
  /** Never silently dropped: recorded in the ledger and copied to the poison queue by the trigger. */
  | { kind: "poison"; reason: string; body: string };

export interface QueueMessageDeps {
  ledger: IntakeLedger;
  scheduler: WorkerScheduler;
  settings: WorkerSettings;
  /** The configured workspaces: a message naming another is recorded as Rejected, not retried. */
  workspaces: readonly string[];
}

/**
 * `onboarding-requests` consumer: validates the message, records the request as Queued and makes
 * sure the link's worker sees it. Nothing the message says can make it throw: a message that is
 * not valid is poisoned with a record (as Rejected under its requestId when it has a usable one),
 * and one that is valid but cannot be served is recorded as Rejected. Only infrastructure errors
 * throw, so that the host retries them. A re-add (the end of a schema-change window) clears the
 * table's detached mark once the request is safely recorded.
 */
export async function handleQueueMessage(
  deps: QueueMessageDeps,
  raw: unknown,
  meta: { messageId: string },
  now: string,
): Promise<QueueMessageResult> {
  const json = typeof raw === "string" ? parseJson(raw) : raw;
  const body = typeof raw === "string" ? raw : raw === undefined ? "" : JSON.stringify(raw);
  const parsed = queueMessageSchema.safeParse(json);
  if (!parsed.success) {
    const reason =
      json === undefined
        ? "message is not JSON"
        : `invalid message: ${fieldErrors(parsed.error)
            .map((e) => `${e.pointer} ${e.detail}`)
            .join("; ")}`;
    await deps.ledger.recordRejectedMessage({ messageId: meta.messageId, reason, body }, now);
    const shell = rejectedShell(json);
    if (shell) await deps.ledger.recordRejectedRequest(shell, reason, now);
    return { kind: "poison", reason, body };
  }
  const request = toOnboardingRequest(parsed.data);
  const refusal = await refuseToServe(deps, parsed.data, now);
  if (refusal) {
    await deps.ledger.recordRejectedRequest(request, refusal, now);
    return { kind: "rejected", requestId: request.requestId, reason: refusal };
  }
  const accepted = await acceptOnboardingRequest(deps, request, now);
  if (request.action === "reAdd") {
    for (const table of request.tables) await deps.ledger.setDetached(request, table.source, false, now);
  }
  return { kind: "accepted", requestId: request.requestId, ...accepted };
}

/** What {@link endUnservable} did with a message's request. */
export type UnservableOutcome =
  /** Recorded as Rejected with the reason (a message naming no request: only the message). */
  | { kind: "rejected"; requestId?: string }
  /** It was recorded before the failure and is still open: its recording is completed, and its worker serves it. */
  | { kind: "recorded"; requestId: string }
  /** It was recorded before the failure and has ended since: nothing changed. */
  | { kind: "ended"; requestId: string };

/**
 * Ends a message the consumer could not handle, for good: its reason and body go to
 * `rejectedMessages`, and its request is recorded as Rejected when the message names one. A
 * request recorded before the failure (the failure came later: the durable client, say) is not
 * rejected: if still open, its recording is completed (the consumer's idempotent writes, without
 * the nudge, so the link is listed open and reconcile starts its worker) and it is served.
 */
export async function endUnservable(
  deps: Pick<QueueMessageDeps, "ledger">,
  raw: string,
  meta: { messageId: string },
  reason: string,
  now: string,
): Promise<UnservableOutcome> {
  await deps.ledger.recordRejectedMessage({ messageId: meta.messageId, reason, body: raw }, now);
  const json = parseJson(raw);
  const parsed = queueMessageSchema.safeParse(json);
  const request = parsed.success ? toOnboardingRequest(parsed.data) : rejectedShell(json);
  if (!request) return { kind: "rejected" };
  const { requestId } = request;
  if ((await deps.ledger.recordRejectedRequest(request, reason, now)) === "created") {
    return { kind: "rejected", requestId };
  }
  const status = (await deps.ledger.getRequest(requestId))?.status;
  if (!parsed.success || (status !== "Queued" && status !== "InProgress"))
    return { kind: "ended", requestId };
  // Without the nudge: reconcile, not an event, starts or wakes the worker for it.
  await deps.ledger.recordRequest(request, now);
  // As the consumer does once a re-add is recorded: the schema-change window is over.
  if (request.action === "reAdd") {
    for (const table of request.tables) await deps.ledger.setDetached(request, table.source, false, now);
  }
  return { kind: "recorded", requestId };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Why a valid message cannot be served: its workspace is not configured (the configuration
 * changed after it was queued), or its Idempotency-Key / webhook-id was first used for a
 * different body. The key is checked here rather than at intake (docs/api.md#idempotency).
 */
async function refuseToServe(deps: QueueMessageDeps, message: QueueMessage, now: string) {
  if (configuredWorkspace(deps, message.workspace) === undefined) {
    return `workspace ${message.workspace} is not configured (SYNAPSE_WORKSPACES: ${deps.workspaces.join(", ")})`;
  }
  if (message.v !== 2 || !message.dedupe) return undefined;
  const { kind, key, fingerprint } = message.dedupe;
  const seen = await deps.ledger.rememberOnce(kind, key, { requestId: message.requestId, fingerprint }, now);
  if (seen.first || seen.existing.fingerprint === fingerprint) return undefined;
  const name = kind === "idempotency" ? "Idempotency-Key" : "webhook-id";
  return `${name} ${key} was first used for a different request (${seen.existing.requestId}); send a new key for a different body`;
}

/**
 * Enough of an invalid message to record it under its requestId, so that the caller who was
 * given that id finds the reason instead of a 404: the id must be usable as a key.
 */
function rejectedShell(json: unknown): OnboardingRequest | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const m = json as Record<string, unknown>;
  const parsed = requestIdSchema.safeParse(m.requestId);
  if (!parsed.success) return undefined;
  const requestId = parsed.data;
  const text = (v: unknown) =>
    textWithoutLoneSurrogates.safeParse(v).success ? Array.from(String(v)).slice(0, 200).join("") : "";
  return {
    requestId,
    action: "add",
    workspace: text(m.workspace),
    linkConnection: text(m.linkConnection),
    tables: [],
    origin: { kind: "http", id: requestId },
    receivedAt: typeof m.receivedAt === "string" ? text(m.receivedAt) : "",
  };
}
