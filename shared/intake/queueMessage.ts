import { z } from "zod";
import { DISTRIBUTIONS, STRUCTURES } from "../domain/tableTarget";
import { ACTIONS, parseAction } from "../domain/tableStatus";
import type { OnboardingRequest } from "../ledger/ledger";
import { linkConnectionName, sqlIdentifier, workspaceName } from "./identifiers";

export const ONBOARDING_QUEUE = "onboarding-requests";
export const ONBOARDING_POISON_QUEUE = "onboarding-requests-poison";

const target = z.strictObject({
  schema: sqlIdentifier,
  name: sqlIdentifier,
  distribution: z.enum(DISTRIBUTIONS),
  distributionColumn: sqlIdentifier.optional(),
  /** Absent unless the request or a rule asked for one; messages queued before that always carry it. */
  structure: z.enum(STRUCTURES).optional(),
});

/** The `onboarding-requests` message (docs/design.md#queue-message): fully resolved, version 1. */
export const queueMessageSchema = z.strictObject({
  v: z.literal(1),
  requestId: z.string().min(1).max(200),
  // Messages queued by earlier versions spell reAdd "readd".
  action: z.preprocess((v) => parseAction(v) ?? v, z.enum(ACTIONS)),
  workspace: workspaceName,
  linkConnection: linkConnectionName,
  tables: z
    .array(z.strictObject({ schema: sqlIdentifier, name: sqlIdentifier, target }))
    .min(1)
    .max(500),
  origin: z.strictObject({ kind: z.enum(["http", "event"]), id: z.string().min(1).max(1000) }),
  receivedAt: z.iso.datetime(),
  callbackUrl: z.url({ protocol: /^https$/ }).optional(),
});
export type QueueMessage = z.infer<typeof queueMessageSchema>;

export function toOnboardingRequest(message: QueueMessage): OnboardingRequest {
  return {
    requestId: message.requestId,
    action: message.action,
    workspace: message.workspace,
    linkConnection: message.linkConnection,
    tables: message.tables.map((t) => ({
      source: { schema: t.schema, name: t.name },
      target: {
        schema: t.target.schema,
        name: t.target.name,
        distribution: t.target.distribution,
        ...(t.target.distributionColumn ? { distributionColumn: t.target.distributionColumn } : {}),
        ...(t.target.structure ? { structure: t.target.structure } : {}),
      },
    })),
    origin: message.origin,
    receivedAt: message.receivedAt,
    ...(message.callbackUrl ? { callbackUrl: message.callbackUrl } : {}),
  };
}
