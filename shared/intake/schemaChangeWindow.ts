import { randomUUID } from "node:crypto";
import type { LinkRef } from "../domain/linkRef";
import type { TableName } from "../domain/tableName";
import { APP_TARGET_DEFAULTS, resolveTarget } from "../domain/tableTarget";
import { problem, type Problem } from "../http/problem";
import type { Ledger } from "../ledger/ledger";
import { isLinkAllowed, targetDefaultsFor, type Routing } from "../routing/routingRules";
import { SynapseRequestError, type SynapseLinkClient } from "../synapse/synapseLinkClient";
import { invalidLinkParameters, sqlIdentifier } from "./identifiers";
import { queueMessageSchema, type QueueMessage } from "./queueMessage";

export type WindowOperation = "detach" | "attach";

export type WindowResult =
  | { kind: "accepted"; requestId: string; statusUrl: string; message: QueueMessage }
  | { kind: "problem"; problem: Problem };

/** `{schema}.{table}` from the route; the first dot separates them. */
export function parseQualifiedTable(value: string): TableName | undefined {
  const dot = value.indexOf(".");
  if (dot <= 0) return undefined;
  const table = { schema: value.slice(0, dot), name: value.slice(dot + 1) };
  return sqlIdentifier.safeParse(table.schema).success && sqlIdentifier.safeParse(table.name).success
    ? table
    : undefined;
}

/**
 * The schema-change window (DESIGN.md): `detach` removes a linked table and marks it detached so
 * the DBA can change its columns; `attach` (or the table's `altered` event) re-adds it, which
 * re-snapshots it. Returns the queue message to send; nothing is queued for a refusal.
 */
export async function openOrCloseSchemaChangeWindow(
  deps: {
    ledger: Pick<Ledger, "isDetached" | "setDetached">;
    synapse: Pick<SynapseLinkClient, "listLinkTables" | "getLinkConnection">;
    routing: Routing;
    workspaces: readonly string[];
  },
  input: { link: LinkRef; table: string; operation: WindowOperation; origin: string; now: Date },
): Promise<WindowResult> {
  const { link, operation } = input;
  const reject = (p: Problem): WindowResult => ({ kind: "problem", problem: p });
  const invalid = invalidLinkParameters(link);
  if (invalid.length > 0) {
    return reject(
      problem(
        400,
        "invalid-request",
        `Invalid route parameter(s): ${invalid.map((e) => e.pointer).join(", ")}`,
        {
          errors: invalid,
        },
      ),
    );
  }
  if (!deps.workspaces.includes(link.workspace) || !isLinkAllowed(deps.routing, link)) {
    return reject(
      problem(
        403,
        "link-not-allowed",
        `Link connection ${link.workspace}/${link.linkConnection} is not allowed by this app's configuration`,
      ),
    );
  }
  const table = parseQualifiedTable(input.table);
  if (!table) {
    const detail = "must be {schema}.{table}, each 1-128 characters without control characters";
    return reject(
      problem(400, "invalid-request", `table ${detail}`, { errors: [{ pointer: "table", detail }] }),
    );
  }
  const name = `${table.schema}.${table.name}`;
  if (operation === "detach") {
    let tables;
    try {
      tables = await deps.synapse.listLinkTables(link);
    } catch (error) {
      if (error instanceof SynapseRequestError && error.statusCode === 404) {
        return reject(
          problem(
            404,
            "link-not-found",
            `Link connection ${link.linkConnection} does not exist in workspace ${link.workspace}`,
          ),
        );
      }
      throw error;
    }
    const linked = tables.some(
      (t) =>
        t.source.schema.toLowerCase() === table.schema.toLowerCase() &&
        t.source.name.toLowerCase() === table.name.toLowerCase(),
    );
    if (!linked) {
      return reject(
        problem(
          409,
          "table-not-linked",
          `${name} is not in link connection ${link.linkConnection}; nothing to detach`,
        ),
      );
    }
  } else if (!(await deps.ledger.isDetached(link, table))) {
    if (!(await deps.synapse.getLinkConnection(link))) {
      return reject(
        problem(
          404,
          "link-not-found",
          `Link connection ${link.linkConnection} does not exist in workspace ${link.workspace}`,
        ),
      );
    }
    return reject(
      problem(
        409,
        "table-not-detached",
        `${name} is not detached from ${link.linkConnection}; add tables with POST /api/onboarding`,
      ),
    );
  }

  const requestId = randomUUID();
  const now = input.now.toISOString();
  const target = resolveTarget(table, undefined, targetDefaultsFor(deps.routing, link, APP_TARGET_DEFAULTS));
  const message = queueMessageSchema.parse({
    v: 1,
    requestId,
    action: operation === "detach" ? "remove" : "readd",
    ...link,
    tables: [{ ...table, target }],
    origin: { kind: "http", id: `${operation}:${requestId}` },
    receivedAt: now,
  });
  // Mark first: the altered event that ends the window must find the mark even if it races the removal.
  if (operation === "detach") await deps.ledger.setDetached(link, table, true, now);
  return { kind: "accepted", requestId, statusUrl: `${input.origin}/api/onboarding/${requestId}`, message };
}
