import { createHash } from "node:crypto";
import { uuidV5 } from "../domain/linkTableId";
import { APP_TARGET_DEFAULTS, resolveTarget } from "../domain/tableTarget";
import type { LinkRef } from "../domain/linkRef";
import { refuseCallbackUrl, type CallbackAllowList } from "../net/addressPolicy";
import { targetDefaultsFor } from "../routing/routingRules";
import { checkRequestSignature } from "../webhooks/standardWebhooks";
import { statusUrlFor } from "./acceptanceToken";
import { configuredWorkspace, refuseUnlessAllowed, type LinkPolicy } from "./checkLink";
import {
  fieldErrors,
  onboardingRequestBodySchema,
  type OnboardingRequestBody,
} from "./onboardingRequestBody";
import {
  MAX_QUEUE_MESSAGE_JSON_BYTES,
  queueMessageBytes,
  type QueueMessage,
  type QueueMessageV2,
} from "./queueMessage";
import { refused, type Refusal, type Refused } from "./refusals";

export const MAX_BODY_BYTES = 256 * 1024;
const IDEMPOTENCY_NAMESPACE = "0f1c9b6e-5d8a-4e3b-9c71-2a6d4f8e0b35";

export interface SubmitDeps extends LinkPolicy {
  webhookSecrets: readonly Buffer[];
  newRequestId: () => string;
  /** Signs the acceptance token of `statusUrl` (`shared/intake/acceptanceToken.ts`). */
  acceptanceKey: Buffer;
  /** `CALLBACK_ALLOWED_HOSTS`; without it no private or loopback callback target is accepted. */
  callbackAllowList?: CallbackAllowList;
}

export interface SubmitInput {
  contentType: string | undefined;
  /** The raw body exactly as received: signatures are over these bytes. */
  body: Buffer | string;
  header: (name: string) => string | undefined;
  /** Scheme + host the caller used, for `statusUrl`. */
  origin: string;
  now: Date;
}

type SubmitRefusal = Extract<
  Refusal,
  {
    kind:
      | "unsupportedMediaType"
      | "bodyTooLarge"
      | "signatureInvalid"
      | "malformedJson"
      | "invalidFields"
      | "workspaceRequired"
      | "linkNotAllowed"
      | "messageTooLarge";
  }
>;

export type SubmitResult =
  | { kind: "accepted"; requestId: string; statusUrl: string; message: QueueMessage }
  | Refused<SubmitRefusal["kind"]>;

/** Media type and size, before anything reads the body. */
function refuseEnvelope(contentType: string | undefined, bytes: number): SubmitRefusal | undefined {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json" && !mediaType?.endsWith("+json")) {
    return { kind: "unsupportedMediaType", contentType };
  }
  if (bytes > MAX_BODY_BYTES) return { kind: "bodyTooLarge", bytes, limit: MAX_BODY_BYTES };
  return undefined;
}

/** The body's JSON and fields, and the Idempotency-Key header, every invalid field listed at once. */
function parseRequest(
  raw: Buffer,
  idempotencyKey: string | undefined,
): { refusal: SubmitRefusal } | { body: OnboardingRequestBody } {
  let json: unknown;
  try {
    // RFC 8259 lets a parser ignore a leading byte order mark.
    json = JSON.parse(raw.toString("utf8").replace(/^\uFEFF/, ""));
  } catch (error) {
    return { refusal: { kind: "malformedJson", reason: (error as Error).message } };
  }
  const parsed = onboardingRequestBodySchema.safeParse(json);
  const keyErrors =
    idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)
      ? [{ pointer: "Idempotency-Key", detail: "must be 1-255 visible ASCII characters" }]
      : [];
  if (!parsed.success || keyErrors.length > 0) {
    const errors = [...(parsed.success ? [] : fieldErrors(parsed.error)), ...keyErrors];
    return { refusal: { kind: "invalidFields", errors } };
  }
  return { body: parsed.data };
}

/** The link the body names: the workspace may be left out when only one is configured. */
function resolveLink(
  deps: LinkPolicy,
  body: OnboardingRequestBody,
): { refusal: SubmitRefusal } | { link: LinkRef } {
  const named = body.workspace ?? (deps.workspaces.length === 1 ? deps.workspaces[0] : undefined);
  if (named === undefined) return { refusal: { kind: "workspaceRequired", configured: deps.workspaces } };
  // The configured spelling of the workspace; the link keeps the caller's (the ledger keys ignore case).
  const link = { workspace: configuredWorkspace(deps, named) ?? named, linkConnection: body.linkConnection };
  const refusal = refuseUnlessAllowed(deps, link, "body");
  return refusal ? { refusal } : { link };
}

/**
 * The request id: random, or derived from the Idempotency-Key (else the webhook-id) and the body's
 * fingerprint, so that a retry with the same key and body gets the same id and records nothing
 * twice, while the same key with another body gets another id, which the queue consumer records
 * as Rejected (the key was first used for something else). Checking the key there keeps intake at
 * one storage call; the price is that such a conflict shows on the request, not as a 409.
 */
function identify(
  deps: Pick<SubmitDeps, "newRequestId">,
  keys: { idempotencyKey: string | undefined; webhookId: string | undefined },
  fingerprint: string,
): { requestId: string; dedupe?: NonNullable<QueueMessageV2["dedupe"]> } {
  const dedupe =
    keys.idempotencyKey !== undefined
      ? { kind: "idempotency" as const, key: keys.idempotencyKey, fingerprint }
      : keys.webhookId !== undefined
        ? { kind: "webhook" as const, key: keys.webhookId, fingerprint }
        : undefined;
  if (!dedupe) return { requestId: deps.newRequestId() };
  return {
    requestId: uuidV5(`${dedupe.kind}\n${dedupe.key}\n${fingerprint}`, IDEMPOTENCY_NAMESPACE),
    dedupe,
  };
}

/**
 * `POST /api/onboarding`, in the order octokit/webhooks checks a delivery: media type and size,
 * then the signature over the raw bytes, and only then parse and validate. Nothing is queued for
 * a refused request: the caller enqueues `message` only for `accepted`.
 */
export function submitOnboarding(deps: SubmitDeps, input: SubmitInput): SubmitResult {
  const raw = typeof input.body === "string" ? Buffer.from(input.body, "utf8") : input.body;
  const envelope = refuseEnvelope(input.contentType, raw.length);
  if (envelope) return refused(envelope);
  const signature = checkRequestSignature(deps.webhookSecrets, input.header, raw, input.now);
  if ("refusal" in signature) return refused(signature.refusal);
  const idempotencyKey = input.header("idempotency-key");
  const parsed = parseRequest(raw, idempotencyKey);
  if ("refusal" in parsed) return refused(parsed.refusal);
  const { body } = parsed;
  const callbackProblem = refuseCallbackUrl(deps.callbackAllowList, body.callbackUrl);
  if (callbackProblem) {
    return refused({ kind: "invalidFields", errors: [{ pointer: "/callbackUrl", detail: callbackProblem }] });
  }
  const resolved = resolveLink(deps, body);
  if ("refusal" in resolved) return refused(resolved.refusal);
  const { link } = resolved;

  const defaults = targetDefaultsFor(deps.routing, link, APP_TARGET_DEFAULTS);
  const tables = body.tables.map((t) => {
    const source = { schema: t.schema, name: t.name };
    return { ...source, target: resolveTarget(source, t.target, defaults) };
  });
  const fingerprint = createHash("sha256")
    .update(JSON.stringify({ link, tables, callbackUrl: body.callbackUrl ?? null }))
    .digest("hex");
  const { webhookId } = signature;
  const { requestId, dedupe } = identify(deps, { idempotencyKey, webhookId }, fingerprint);
  const message: QueueMessageV2 = {
    v: 2,
    requestId,
    action: "add",
    ...link,
    defaults,
    tables: body.tables.map((t) => ({
      schema: t.schema,
      name: t.name,
      ...(t.target ? { target: t.target } : {}),
    })),
    origin: { kind: "http", id: webhookId ?? idempotencyKey ?? requestId },
    receivedAt: input.now.toISOString(),
    ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
    ...(dedupe ? { dedupe } : {}),
  };
  const bytes = queueMessageBytes(message);
  if (bytes > MAX_QUEUE_MESSAGE_JSON_BYTES) {
    return refused({
      kind: "messageTooLarge",
      bytes,
      limit: MAX_QUEUE_MESSAGE_JSON_BYTES,
      tables: tables.length,
    });
  }
  const statusUrl = statusUrlFor(input.origin, deps.acceptanceKey, {
    requestId,
    ...link,
    acceptedAt: message.receivedAt,
  });
  return { kind: "accepted", requestId, statusUrl, message };
}
