import { randomUUID } from "node:crypto";
import type { LinkRef } from "../domain/linkRef";
import { sameTable, type TableName } from "../domain/tableName";
import { APP_TARGET_DEFAULTS, resolveTarget } from "../domain/tableTarget";
import type { Ledger } from "../ledger/ledger";
import { targetDefaultsFor } from "../routing/routingRules";
import { SynapseRequestError, type SynapseLinkClient } from "../synapse/synapseLinkClient";
import { refuseRouteLink, type LinkPolicy } from "./checkLink";
import { sqlIdentifier } from "./identifiers";
import { queueMessageSchema, type QueueMessage } from "./queueMessage";
import { refused, type Refused } from "./refusals";

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
    >;

type WindowDeps = LinkPolicy & {
  ledger: Pick<Ledger, "isDetached" | "setDetached">;
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
  const refusal = refuseRouteLink(deps, link);
  if (refusal) return refused(refusal);
  const table = parseQualifiedTable(input.table);
  if (!table) return refused({ kind: "tableNotQualified" });
  const refusedWindow = await refuseWindow(deps, link, table, operation);
  if (refusedWindow) return refusedWindow;

  const requestId = randomUUID();
  const now = input.now.toISOString();
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
  return { kind: "accepted", requestId, statusUrl: `${input.origin}/api/onboarding/${requestId}`, message };
}

export interface TableWindowInput {
  link: LinkRef;
  /** `schema.table`, as in the route. */
  table: string;
  origin: string;
  now: Date;
}

/** `POST …/detach`: removes a linked table and marks it detached while the DBA changes its columns. */
export function detachTable(deps: WindowDeps, input: TableWindowInput): Promise<WindowResult> {
  return changeTableWindow(deps, { ...input, operation: "detach" });
}

/** `POST …/attach`: re-adds a detached table (its `altered` event does the same), which re-snapshots it. */
export function attachTable(deps: WindowDeps, input: TableWindowInput): Promise<WindowResult> {
  return changeTableWindow(deps, { ...input, operation: "attach" });
}
