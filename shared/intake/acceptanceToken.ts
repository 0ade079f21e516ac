import { createHmac, timingSafeEqual } from "node:crypto";
import type { LinkRef } from "../domain/linkRef";

/**
 * Proof that the app answered 202 for a request, carried in its `statusUrl`
 * (`?accepted=<token>`). The queue consumer records a request a moment after the 202; until then
 * the ledger does not know it, and the status route, shown a valid token, can answer `Queued`
 * instead of 404 without any write before the 202. The token is an HMAC over the request id, its
 * link and when it was accepted, under a key the app keeps in its ledger (one for every instance).
 */
export interface Acceptance extends LinkRef {
  requestId: string;
  acceptedAt: string;
}

/** How long a token vouches for a request the ledger does not know: far longer than a queue delay. */
export const ACCEPTANCE_VALID_MS = 24 * 60 * 60 * 1000;

const base64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function mac(key: Buffer, requestId: string, payload: string): Buffer {
  return createHmac("sha256", key).update(`${requestId}.${payload}`).digest();
}

export function signAcceptance(key: Buffer, acceptance: Acceptance): string {
  const payload = base64url(
    JSON.stringify([acceptance.workspace, acceptance.linkConnection, acceptance.acceptedAt]),
  );
  return `${payload}.${base64url(mac(key, acceptance.requestId, payload))}`;
}

/** The acceptance a token proves for `requestId`, or undefined when it is forged, altered or too old. */
export function readAcceptance(
  key: Buffer,
  requestId: string,
  token: string,
  now: Date,
): Acceptance | undefined {
  const [payload, signature, extra] = token.split(".");
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = mac(key, requestId, payload);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 3 || !fields.every((f) => typeof f === "string")) {
    return undefined;
  }
  const [workspace, linkConnection, acceptedAt] = fields as [string, string, string];
  const age = now.getTime() - Date.parse(acceptedAt);
  if (!(age >= -60_000 && age <= ACCEPTANCE_VALID_MS)) return undefined;
  return { requestId, workspace, linkConnection, acceptedAt };
}

/** `GET /api/onboarding/{requestId}` for a request just accepted, with its token when a key is given. */
export function statusUrlFor(origin: string, key: Buffer | undefined, acceptance: Acceptance): string {
  const url = `${origin}/api/onboarding/${acceptance.requestId}`;
  return key ? `${url}?accepted=${signAcceptance(key, acceptance)}` : url;
}
