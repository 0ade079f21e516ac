import { createHash } from "node:crypto";
import { uuidV5 } from "../domain/linkTableId";
import { APP_TARGET_DEFAULTS, resolveTarget } from "../domain/tableTarget";
import type { DedupeKind, Ledger } from "../ledger/ledger";
import { problem, type Problem } from "../http/problem";
import { isLinkAllowed, targetDefaultsFor, type Routing } from "../routing/routingRules";
import { verify } from "../webhooks/standardWebhooks";
import { fieldErrors, onboardingRequestBodySchema } from "./onboardingRequestBody";
import { queueMessageSchema, type QueueMessage } from "./queueMessage";

export const MAX_BODY_BYTES = 256 * 1024;
const IDEMPOTENCY_NAMESPACE = "0f1c9b6e-5d8a-4e3b-9c71-2a6d4f8e0b35";

export interface SubmitDeps {
  ledger: Pick<Ledger, "rememberOnce">;
  webhookSecrets: readonly Buffer[];
  routing: Routing;
  workspaces: readonly string[];
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

export type SubmitResult =
  | { kind: "accepted"; requestId: string; statusUrl: string; message: QueueMessage }
  | { kind: "problem"; problem: Problem };

const reject = (p: Problem): SubmitResult => ({ kind: "problem", problem: p });

/**
 * `POST /api/onboarding`, in the order octokit/webhooks checks a delivery: media type and size,
 * then the signature over the raw bytes, and only then parse and validate. Nothing is queued for
 * a refused request: the caller enqueues `message` only for `accepted`.
 */
export async function submitOnboarding(deps: SubmitDeps, input: SubmitInput): Promise<SubmitResult> {
  const mediaType = input.contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json" && !mediaType?.endsWith("+json")) {
    return reject(
      problem(
        415,
        "unsupported-media-type",
        `Content-Type must be application/json, not ${input.contentType ?? "missing"}`,
      ),
    );
  }
  const raw = typeof input.body === "string" ? Buffer.from(input.body, "utf8") : input.body;
  const bytes = raw.length;
  if (bytes > MAX_BODY_BYTES) {
    return reject(
      problem(413, "body-too-large", `The body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} bytes`),
    );
  }

  let webhookId: string | undefined;
  if (deps.webhookSecrets.length > 0) {
    const verdict = verify(
      deps.webhookSecrets,
      {
        id: input.header("webhook-id"),
        timestamp: input.header("webhook-timestamp"),
        signature: input.header("webhook-signature"),
      },
      raw,
      Math.floor(input.now.getTime() / 1000),
    );
    if (!verdict.ok) {
      return reject(
        problem(401, "invalid-signature", verdict.reason, {
          errors: [{ pointer: verdict.pointer, detail: verdict.reason }],
        }),
      );
    }
    webhookId = verdict.id;
  }

  let json: unknown;
  try {
    // RFC 8259 lets a parser ignore a leading byte order mark.
    json = JSON.parse(raw.toString("utf8").replace(/^\uFEFF/, ""));
  } catch (error) {
    return reject(
      problem(400, "malformed-json", `The body is not valid JSON: ${(error as Error).message}`, {
        errors: [{ pointer: "", detail: "not valid JSON" }],
      }),
    );
  }
  const parsed = onboardingRequestBodySchema.safeParse(json);
  const idempotencyKey = input.header("idempotency-key");
  const keyErrors =
    idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)
      ? [{ pointer: "Idempotency-Key", detail: "must be 1-255 visible ASCII characters" }]
      : [];
  if (!parsed.success || keyErrors.length > 0) {
    const errors = [...(parsed.success ? [] : fieldErrors(parsed.error)), ...keyErrors];
    return reject(
      problem(
        400,
        "invalid-request",
        `The request has ${errors.length} invalid field(s): ${errors.map((e) => e.pointer).join(", ")}`,
        {
          errors,
        },
      ),
    );
  }
  const body = parsed.data;

  const workspace = body.workspace ?? (deps.workspaces.length === 1 ? deps.workspaces[0] : undefined);
  if (workspace === undefined) {
    const detail = `is required when more than one workspace is configured (${deps.workspaces.join(", ")})`;
    return reject(
      problem(400, "invalid-request", `workspace ${detail}`, { errors: [{ pointer: "/workspace", detail }] }),
    );
  }
  const link = { workspace, linkConnection: body.linkConnection };
  if (!deps.workspaces.includes(workspace) || !isLinkAllowed(deps.routing, link)) {
    return reject(
      problem(
        403,
        "link-not-allowed",
        `Link connection ${workspace}/${body.linkConnection} is not allowed by this app's configuration (ALLOWED_LINKS / ROUTING_RULES / SYNAPSE_WORKSPACES)`,
      ),
    );
  }

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

  const remembered = async (kind: DedupeKind, key: string) =>
    deps.ledger.rememberOnce(kind, key, { requestId, fingerprint }, input.now.toISOString());
  if (idempotencyKey !== undefined) {
    const seen = await remembered("idempotency", idempotencyKey);
    if (!seen.first && seen.existing.fingerprint !== fingerprint) {
      return reject(
        problem(
          409,
          "idempotency-key-reused",
          `Idempotency-Key ${idempotencyKey} was used for a different request (${seen.existing.requestId})`,
          {
            requestId: seen.existing.requestId,
          },
        ),
      );
    }
  }

  if (webhookId !== undefined) {
    const seen = await remembered("webhook", webhookId);
    if (!seen.first) {
      return reject(
        problem(
          409,
          "webhook-replayed",
          `webhook-id ${webhookId} was already accepted (request ${seen.existing.requestId})`,
          {
            requestId: seen.existing.requestId,
          },
        ),
      );
    }
  }
  const message = queueMessageSchema.parse({
    v: 1,
    requestId,
    action: "add",
    ...link,
    tables,
    origin: { kind: "http", id: webhookId ?? idempotencyKey ?? requestId },
    receivedAt: input.now.toISOString(),
    ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
  });
  return { kind: "accepted", requestId, statusUrl: `${input.origin}/api/onboarding/${requestId}`, message };
}
