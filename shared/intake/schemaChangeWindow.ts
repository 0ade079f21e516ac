import { createHash, randomUUID } from "node:crypto";
import type { LinkRef } from "../domain/linkRef";
import { sameTable, type TableName } from "../domain/tableName";
import { APP_TARGET_DEFAULTS, resolveTarget } from "../domain/tableTarget";
import type { Ledger } from "../ledger/ledger";
import { targetDefaultsFor } from "../routing/routingRules";
import { SynapseRequestError, type SynapseLinkClient } from "../synapse/synapseLinkClient";
import { checkRequestSignature } from "../webhooks/standardWebhooks";
import { refuseRouteLink, type LinkPolicy } from "./checkLink";
import { statusUrlFor } from "./acceptanceToken";
import { sqlIdentifier } from "./identifiers";
import { queueMessageSchema, type QueueMessage } from "./queueMessage";
import { refused, type Refusal, type Refused } from "./refusals";

export type WindowOperation = "detach" | "attach";

export type WindowResult =
  | { kind: "accepted"; requestId: string; statusUrl: string; message: QueueMessage }
  | Refused<
      | "invalidParameters"
      | "linkNotAllowed"
      | "tableNotQualified"
      | "linkNotFound"
      | "tableNotLinked"
      | "tableNotDetached"
      | "signatureInvalid"
      | "webhookIdReused"
    >;

type WindowDeps = LinkPolicy & {
  ledger: Pick<Ledger, "isDetached" | "setDetached" | "rememberOnce">;
  /** `config.intake.webhookSecrets`: when any is set, the request must be signed as for onboarding. */
  webhookSecrets?: readonly Buffer[];
  /** Signs the acceptance token of `statusUrl` (`shared/intake/acceptanceToken.ts`); none without it. */
  acceptanceKey?: Buffer;
  synapse: Pick<SynapseLinkClient, "listLinkTables" | "getLinkConnection">;
};

/** `{schema}.{table}` from the route; the first dot separates them. */
export function parseQualifiedTable(value: string): TableName | undefined {
  const dot = value.indexOf(".");
  if (dot <= 0) return undefined;
  const table = { schema: value.slice(0, dot), name: value.slice(dot + 1) };
  return sqlIdentifier.safeParse(table.schema).success && sqlIdentifier.safeParse(table.name).success
    ? table
    : undefined;
}

/** Why the window cannot open (`detach`: the table must be linked) or close (`attach`: it must be detached). */
async function refuseWindow(
  deps: WindowDeps,
  link: LinkRef,
  table: TableName,
  operation: WindowOperation,
): Promise<Refused<"linkNotFound" | "tableNotLinked" | "tableNotDetached"> | undefined> {
  if (operation === "detach") {
    let tables;
    try {
      tables = await deps.synapse.listLinkTables(link);
    } catch (error) {
      if (error instanceof SynapseRequestError && error.statusCode === 404) {
        return refused({ kind: "linkNotFound", link });
      }
      throw error;
    }
    const linked = tables.some((t) => sameTable(t.source, table));
    return linked ? undefined : refused({ kind: "tableNotLinked", link, table });
  }
  if (await deps.ledger.isDetached(link, table)) return undefined;
  if (!(await deps.synapse.getLinkConnection(link))) return refused({ kind: "linkNotFound", link });
  return refused({ kind: "tableNotDetached", link, table });
}

/**
 * The schema-change window (docs/api.md#schema-change-window): `detach` removes a linked table and
 * marks it detached so the DBA can change its columns; `attach` (or the table's `altered` event)
 * re-adds it, which re-snapshots it. Returns the queue message to send; nothing is queued for a
 * refusal.
 */
async function changeTableWindow(
  deps: WindowDeps,
  input: TableWindowInput & { operation: WindowOperation },
): Promise<WindowResult> {
  const { link, operation } = input;
  // Verify before anything else reads the request, as POST /api/onboarding does.
  const signature = checkRequestSignature(
    deps.webhookSecrets ?? [],
    input.header ?? (() => undefined),
    input.body ?? Buffer.alloc(0),
    input.now,
  );
  if ("refusal" in signature) return refused(signature.refusal);
  const refusal = refuseRouteLink(deps, link);
  if (refusal) return refused(refusal);
  const table = parseQualifiedTable(input.table);
  if (!table) return refused({ kind: "tableNotQualified" });
  const refusedWindow = await refuseWindow(deps, link, table, operation);
  if (refusedWindow) return refusedWindow;

  const now = input.now.toISOString();
  const once = await signedOnce(deps.ledger, signature.webhookId, { operation, link, table, now });
  if ("refusal" in once) return refused(once.refusal);
  const { requestId } = once;
  const target = resolveTarget(table, undefined, targetDefaultsFor(deps.routing, link, APP_TARGET_DEFAULTS));
  const message = queueMessageSchema.parse({
    v: 1,
    requestId,
    action: operation === "detach" ? "remove" : "reAdd",
    ...link,
    tables: [{ ...table, target }],
    origin: { kind: "http", id: `${operation}:${requestId}` },
    receivedAt: now,
  });
  // Mark first: the altered event that ends the window must find the mark even if it races the removal.
  if (operation === "detach") await deps.ledger.setDetached(link, table, true, now);
  const statusUrl = statusUrlFor(input.origin, deps.acceptanceKey, { requestId, ...link, acceptedAt: now });
  return { kind: "accepted", requestId, statusUrl, message };
}

export interface TableWindowInput {
  link: LinkRef;
  /** `schema.table`, as in the route. */
  table: string;
  origin: string;
  now: Date;
  /** Request headers (the `webhook-*` signature headers); none when absent. */
  header?: (name: string) => string | undefined;
  /** The raw body exactly as received (usually empty): the signature is over these bytes. */
  body?: Buffer;
}

/**
 * A signature covers the body, not the route, and these routes usually have an empty body: a
 * captured signed detach would verify on any table for five minutes. So a webhook-id is good for
 * one operation on one table: the sender's retry of it gets the same request id (and the consumer
 * records it once), its reuse anywhere else is refused.
 */
async function signedOnce(
  ledger: WindowDeps["ledger"],
  webhookId: string | undefined,
  request: { operation: WindowOperation; link: LinkRef; table: TableName; now: string },
): Promise<{ requestId: string } | { refusal: Extract<Refusal, { kind: "webhookIdReused" }> }> {
  const requestId = randomUUID();
  if (webhookId === undefined) return { requestId };
  const { operation, link, table, now } = request;
  const fingerprint = createHash("sha256").update(JSON.stringify({ operation, link, table })).digest("hex");
  const seen = await ledger.rememberOnce("webhook", webhookId, { requestId, fingerprint }, now);
  if (seen.first) return { requestId };
  if (seen.existing.fingerprint === fingerprint) return { requestId: seen.existing.requestId };
  return { refusal: { kind: "webhookIdReused", webhookId, requestId: seen.existing.requestId } };
}

/** `POST …/detach`: removes a linked table and marks it detached while the DBA changes its columns. */
export function detachTable(deps: WindowDeps, input: TableWindowInput): Promise<WindowResult> {
  return changeTableWindow(deps, { ...input, operation: "detach" });
}

/** `POST …/attach`: re-adds a detached table (its `altered` event does the same), which re-snapshots it. */
export function attachTable(deps: WindowDeps, input: TableWindowInput): Promise<WindowResult> {
  return changeTableWindow(deps, { ...input, operation: "attach" });
}
