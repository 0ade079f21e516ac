import { z } from "zod";
import { tableKey } from "../domain/tableName";
import { DISTRIBUTIONS, resolveTarget, STRUCTURES } from "../domain/tableTarget";
import { ACTIONS, parseAction } from "../domain/tableStatus";
import type { OnboardingRequest } from "../ledger/ledger";
import {
  linkConnectionName,
  MAX_CALLBACK_URL_CHARS,
  sqlIdentifier,
  textWithoutLoneSurrogates,
  workspaceName,
} from "./identifiers";

export const ONBOARDING_QUEUE = "onboarding-requests";
export const ONBOARDING_POISON_QUEUE = "onboarding-requests-poison";

/**
 * A Storage queue message holds 64 KiB, and the Functions host base64-encodes what it enqueues
 * (host.json `messageEncoding`), so the JSON itself must fit in three quarters of that.
 */
export const MAX_QUEUE_MESSAGE_JSON_BYTES = (64 * 1024 * 3) / 4;

const target = z.strictObject({
  schema: sqlIdentifier,
  name: sqlIdentifier,
  distribution: z.enum(DISTRIBUTIONS),
  distributionColumn: sqlIdentifier.optional(),
  /** Absent unless the request or a rule asked for one; messages queued before that always carry it. */
  structure: z.enum(STRUCTURES).optional(),
});

/** What a caller asked of a table's target; the rest comes from the message's `defaults`. */
const targetOverrides = target.partial();

/** A request id as a message carries it: text of 1–200 characters (it becomes a ledger key). */
export const requestIdSchema = textWithoutLoneSurrogates.pipe(z.string().min(1).max(200));
const requestId = requestIdSchema;
const origin = z.strictObject({ kind: z.enum(["http", "event"]), id: z.string().min(1).max(1000) });

/** One table may appear once: the ledger keeps one row per table (names compare case-insensitively). */
function refuseDuplicateTables(tables: readonly { schema: string; name: string }[], ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  tables.forEach((t, i) => {
    const key = tableKey(t);
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["tables", i], message: "names a table twice" });
    seen.add(key);
  });
}

/** Version 1 (docs/design.md#queue-message): every table's target resolved. Events still send it. */
const messageV1 = z
  .strictObject({
    v: z.literal(1),
    requestId,
    // Messages queued by earlier versions spell reAdd "readd".
    action: z.preprocess((v) => parseAction(v) ?? v, z.enum(ACTIONS)),
    workspace: workspaceName,
    linkConnection: linkConnectionName,
    tables: z
      .array(z.strictObject({ schema: sqlIdentifier, name: sqlIdentifier, target }))
      .min(1)
      .max(500),
    origin,
    receivedAt: z.iso.datetime(),
    callbackUrl: z
      .url({ protocol: /^https$/ })
      .max(MAX_CALLBACK_URL_CHARS)
      .optional(),
  })
  .superRefine((m, ctx) => {
    refuseDuplicateTables(m.tables, ctx);
  });

/**
 * Version 2, what `POST /api/onboarding` sends: compact, so that hundreds of tables fit one queue
 * message. Each table carries only the target fields its caller gave; `defaults` holds the rest
 * as resolved at intake (routing rule or app defaults). `dedupe` carries the Idempotency-Key or
 * webhook-id with the body's fingerprint: the consumer checks it, so intake answers 202 after
 * one storage call (the enqueue).
 */
const messageV2 = z
  .strictObject({
    v: z.literal(2),
    requestId,
    action: z.enum(ACTIONS),
    workspace: workspaceName,
    linkConnection: linkConnectionName,
    defaults: z.strictObject({
      distribution: z.enum(DISTRIBUTIONS),
      structure: z.enum(STRUCTURES).optional(),
    }),
    tables: z
      .array(
        z.strictObject({ schema: sqlIdentifier, name: sqlIdentifier, target: targetOverrides.optional() }),
      )
      .min(1)
      .max(500),
    origin,
    receivedAt: z.iso.datetime(),
    callbackUrl: z
      .url({ protocol: /^https$/ })
      .max(MAX_CALLBACK_URL_CHARS)
      .optional(),
    dedupe: z
      .strictObject({
        kind: z.enum(["idempotency", "webhook"]),
        key: z.string().min(1).max(1000),
        fingerprint: z.string().min(1).max(200),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    refuseDuplicateTables(m.tables, ctx);
  });

/** The `onboarding-requests` message, either version. */
export const queueMessageSchema = z.discriminatedUnion("v", [messageV1, messageV2]);
export type QueueMessage = z.infer<typeof queueMessageSchema>;
export type QueueMessageV1 = z.infer<typeof messageV1>;
export type QueueMessageV2 = z.infer<typeof messageV2>;

/** The JSON's size as the queue will count it (before base64). */
export function queueMessageBytes(message: QueueMessage): number {
  return Buffer.byteLength(JSON.stringify(message), "utf8");
}

export function toOnboardingRequest(message: QueueMessage): OnboardingRequest {
  return {
    requestId: message.requestId,
    action: message.action,
    workspace: message.workspace,
    linkConnection: message.linkConnection,
    tables: message.tables.map((t) => {
      const source = { schema: t.schema, name: t.name };
      if (message.v === 2) return { source, target: resolveTarget(source, t.target, message.defaults) };
      const resolved = (t as QueueMessageV1["tables"][number]).target;
      return {
        source,
        target: {
          schema: resolved.schema,
          name: resolved.name,
          distribution: resolved.distribution,
          ...(resolved.distributionColumn ? { distributionColumn: resolved.distributionColumn } : {}),
          ...(resolved.structure ? { structure: resolved.structure } : {}),
        },
      };
    }),
    origin: message.origin,
    receivedAt: message.receivedAt,
    ...(message.callbackUrl ? { callbackUrl: message.callbackUrl } : {}),
  };
}
