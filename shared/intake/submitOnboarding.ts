import { createHash } from "node:crypto";
import { uuidV5 } from "../domain/linkTableId";
import { APP_TARGET_DEFAULTS, resolveTarget } from "../domain/tableTarget";
import type { LinkRef } from "../domain/linkRef";
import type { DedupeKind, Ledger } from "../ledger/ledger";
import { targetDefaultsFor } from "../routing/routingRules";
import { verify } from "../webhooks/standardWebhooks";
import { refuseUnlessAllowed, type LinkPolicy } from "./checkLink";
import {
  fieldErrors,
  onboardingRequestBodySchema,
  type OnboardingRequestBody,
} from "./onboardingRequestBody";
import { queueMessageSchema, type QueueMessage } from "./queueMessage";
import { refused, type Refusal, type Refused } from "./refusals";

export const MAX_BODY_BYTES = 256 * 1024;
const IDEMPOTENCY_NAMESPACE = "0f1c9b6e-5d8a-4e3b-9c71-2a6d4f8e0b35";

export interface SubmitDeps extends LinkPolicy {
  ledger: Pick<Ledger, "rememberOnce">;
  webhookSecrets: readonly Buffer[];
  newRequestId: () => string;
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
      | "idempotencyKeyReused"
      | "webhookReplayed";
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

/** The Standard Webhooks signature over the raw bytes, when secrets are configured. */
function checkSignature(
  secrets: readonly Buffer[],
  input: SubmitInput,
  raw: Buffer,
): { refusal: SubmitRefusal } | { webhookId: string | undefined } {
  if (secrets.length === 0) return { webhookId: undefined };
  const verdict = verify(
    secrets,
    {
      id: input.header("webhook-id"),
      timestamp: input.header("webhook-timestamp"),
      signature: input.header("webhook-signature"),
    },
    raw,
    Math.floor(input.now.getTime() / 1000),
  );
  if (!verdict.ok) {
    return { refusal: { kind: "signatureInvalid", header: verdict.pointer, reason: verdict.reason } };
  }
  return { webhookId: verdict.id };
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
  const workspace = body.workspace ?? (deps.workspaces.length === 1 ? deps.workspaces[0] : undefined);
  if (workspace === undefined) return { refusal: { kind: "workspaceRequired", configured: deps.workspaces } };
  const link = { workspace, linkConnection: body.linkConnection };
  const refusal = refuseUnlessAllowed(deps, link, "body");
  return refusal ? { refusal } : { link };
}

/**
 * Same Idempotency-Key with another body, or a webhook-id seen before. Both keys are remembered
 * with the request id and the body's fingerprint.
 */
async function refuseDuplicate(
  ledger: SubmitDeps["ledger"],
  keys: { idempotencyKey: string | undefined; webhookId: string | undefined },
  request: { requestId: string; fingerprint: string; now: string },
): Promise<SubmitRefusal | undefined> {
  const { requestId, fingerprint, now } = request;
  const remembered = async (kind: DedupeKind, key: string) =>
    ledger.rememberOnce(kind, key, { requestId, fingerprint }, now);
  if (keys.idempotencyKey !== undefined) {
    const seen = await remembered("idempotency", keys.idempotencyKey);
    if (!seen.first && seen.existing.fingerprint !== fingerprint) {
      return { kind: "idempotencyKeyReused", key: keys.idempotencyKey, requestId: seen.existing.requestId };
    }
  }
  if (keys.webhookId !== undefined) {
    const seen = await remembered("webhook", keys.webhookId);
    if (!seen.first)
      return { kind: "webhookReplayed", webhookId: keys.webhookId, requestId: seen.existing.requestId };
  }
  return undefined;
}

/**
 * `POST /api/onboarding`, in the order octokit/webhooks checks a delivery: media type and size,
 * then the signature over the raw bytes, and only then parse and validate. Nothing is queued for
 * a refused request: the caller enqueues `message` only for `accepted`.
 */
export async function submitOnboarding(deps: SubmitDeps, input: SubmitInput): Promise<SubmitResult> {
  const raw = typeof input.body === "string" ? Buffer.from(input.body, "utf8") : input.body;
  const envelope = refuseEnvelope(input.contentType, raw.length);
  if (envelope) return refused(envelope);
  const signature = checkSignature(deps.webhookSecrets, input, raw);
  if ("refusal" in signature) return refused(signature.refusal);
  const idempotencyKey = input.header("idempotency-key");
  const parsed = parseRequest(raw, idempotencyKey);
  if ("refusal" in parsed) return refused(parsed.refusal);
  const { body } = parsed;
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
  // Same key, same body → same requestId: a retried enqueue records nothing twice downstream.
  const requestId = idempotencyKey ? uuidV5(idempotencyKey, IDEMPOTENCY_NAMESPACE) : deps.newRequestId();
  const { webhookId } = signature;
  const now = input.now.toISOString();
  const duplicate = await refuseDuplicate(
    deps.ledger,
    { idempotencyKey, webhookId },
    { requestId, fingerprint, now },
  );
  if (duplicate) return refused(duplicate);

  const message = queueMessageSchema.parse({
    v: 1,
    requestId,
    action: "add",
    ...link,
    tables,
    origin: { kind: "http", id: webhookId ?? idempotencyKey ?? requestId },
    receivedAt: now,
    ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
  });
  return { kind: "accepted", requestId, statusUrl: `${input.origin}/api/onboarding/${requestId}`, message };
}
