import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Standard Webhooks (standard-webhooks/standard-webhooks spec): `webhook-id`, `webhook-timestamp`
 * (unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, several
 * space-separated for secret rotation). Secrets are `whsec_<base64>`.
 */
export const TOLERANCE_SECONDS = 5 * 60;

export interface WebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export type VerifyResult =
  | { ok: true; id: string }
  | { ok: false; reason: string; pointer: "webhook-id" | "webhook-timestamp" | "webhook-signature" };

/** Decodes `whsec_…` (or bare base64) secrets; throws naming the bad one's position. */
export function decodeSecret(secret: string, position: number): Buffer {
  const base64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length < 16) {
    throw new Error(`secret #${position + 1} is not whsec_ followed by base64 (at least 12 bytes)`);
  }
  return Buffer.from(base64, "base64");
}

/** Signs the exact bytes (or UTF-8 text) of the body. */
export function sign(secret: Buffer, id: string, timestampSeconds: number, body: string | Buffer): string {
  const digest = createHmac("sha256", secret)
    .update(`${id}.${timestampSeconds}.`)
    .update(body)
    .digest("base64");
  return `v1,${digest}`;
}

/** Verifies the signature over the raw body before anything parses it. */
export function verify(
  secrets: readonly Buffer[],
  headers: WebhookHeaders,
  body: string | Buffer,
  nowSeconds: number,
): VerifyResult {
  if (!headers.id) return { ok: false, pointer: "webhook-id", reason: "missing webhook-id header" };
  if (!headers.timestamp)
    return { ok: false, pointer: "webhook-timestamp", reason: "missing webhook-timestamp header" };
  if (!headers.signature)
    return { ok: false, pointer: "webhook-signature", reason: "missing webhook-signature header" };
  if (!/^[\x21-\x7e]{1,255}$/.test(headers.id)) {
    return { ok: false, pointer: "webhook-id", reason: "webhook-id must be 1-255 visible ASCII characters" };
  }
  if (!/^\d{1,12}$/.test(headers.timestamp)) {
    return { ok: false, pointer: "webhook-timestamp", reason: "webhook-timestamp must be unix seconds" };
  }
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) {
    return {
      ok: false,
      pointer: "webhook-timestamp",
      reason: `webhook-timestamp is more than ${TOLERANCE_SECONDS / 60} minutes from the server's clock`,
    };
  }
  const offered = headers.signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => Buffer.from(s.slice(3), "base64"));
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, headers.id, timestamp, body).slice(3), "base64");
    if (
      offered.some(
        (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
      )
    ) {
      return { ok: true, id: headers.id };
    }
  }
  return { ok: false, pointer: "webhook-signature", reason: "no webhook-signature matches the body" };
}

/** Why a signed route refused a request: the header at fault and what is wrong with it. */
export interface SignatureRefusal {
  kind: "signatureInvalid";
  header: Extract<VerifyResult, { ok: false }>["pointer"];
  reason: string;
}

/**
 * The check every signed route makes first (`POST /api/onboarding`, `detach`, `attach`): with no
 * secrets configured nothing is required; otherwise the Standard Webhooks headers must sign the raw
 * bytes. Returns the verified `webhook-id` so the caller can refuse a replay of it.
 */
export function checkRequestSignature(
  secrets: readonly Buffer[],
  header: (name: string) => string | undefined,
  raw: Buffer,
  now: Date,
): { refusal: SignatureRefusal } | { webhookId: string | undefined } {
  if (secrets.length === 0) return { webhookId: undefined };
  const verdict = verify(
    secrets,
    {
      id: header("webhook-id"),
      timestamp: header("webhook-timestamp"),
      signature: header("webhook-signature"),
    },
    raw,
    Math.floor(now.getTime() / 1000),
  );
  if (!verdict.ok)
    return { refusal: { kind: "signatureInvalid", header: verdict.pointer, reason: verdict.reason } };
  return { webhookId: verdict.id };
}
