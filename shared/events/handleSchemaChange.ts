import { describeLink, type LinkRef } from "../domain/linkRef";
import { uuidV5 } from "../domain/linkTableId";
import { qualifiedName, sameTable } from "../domain/tableName";
import {
  APP_TARGET_DEFAULTS,
  resolveTarget,
  type TableTarget,
  type TargetDefaults,
} from "../domain/tableTarget";
import type { Action } from "../domain/tableStatus";
import { queueMessageSchema, type QueueMessage } from "../intake/queueMessage";
import type { Ledger } from "../ledger/ledger";
import { routeTable, type Routing, type RoutingRule } from "../routing/routingRules";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";
import { parseSchemaChangeEvent, type SchemaChangeEvent } from "./schemaChangeEvent";

/*
 * What a schema-change event asks for (docs/events.md#schema-change-events; the schema-change
 * window: docs/api.md#schema-change-window):
 *   created → add the table to the link its routing rule names;
 *   dropped → remove it, if the link has it;
 *   altered → re-add it, if it was detached for a schema change; otherwise nothing (the columns of
 *             a linked table cannot change, so an ALTER that succeeded on one is informational).
 * The answer is a queue message for `onboarding-requests` or a reason to drop the event; nothing
 * here throws for a bad or unrouted event, only for infrastructure faults (Synapse, storage).
 */

export interface SchemaChangeDeps {
  routing: Routing;
  ledger: Pick<Ledger, "isDetached">;
  synapse: Pick<SynapseLinkClient, "listLinkTables">;
  /** `SCHEMA_EVENT_TYPE_PREFIX`: event types must start with it. */
  schemaEventTypePrefix?: string;
}

export type SchemaChangeOutcome =
  | { kind: "enqueue"; message: QueueMessage; eventId: string }
  /** The event was logged and dropped; `eventId` when it had one. */
  | { kind: "dropped"; reason: string; eventId?: string };

/** Fixed namespace of the app's event request ids (a random UUID; never change it). */
const EVENT_REQUEST_NAMESPACE = "8f4c2a61-0d3e-4b7a-9c15-6e2f7d9a3b48";

/**
 * The request id of an event: name-based, so a redelivered event (same source and id) yields the
 * same request id and the queue consumer, which records a request id once, does nothing twice.
 */
export function eventRequestId(event: Pick<SchemaChangeEvent, "id" | "source">): string {
  return uuidV5(`${event.source.toLowerCase()}\n${event.id}`, EVENT_REQUEST_NAMESPACE);
}

function targetDefaults(rule: RoutingRule): TargetDefaults {
  const structure = rule.target?.structure ?? APP_TARGET_DEFAULTS.structure;
  return {
    distribution: rule.target?.distribution ?? APP_TARGET_DEFAULTS.distribution,
    ...(structure !== undefined ? { structure } : {}),
  };
}

type Decision = { ok: true; action: Action; target: TableTarget } | { ok: false; reason: string };

/** Target of a table being added: rule defaults; a `Hash` default hashes on the first key column. */
function targetForAdd(event: SchemaChangeEvent, rule: RoutingRule, link: LinkRef): Decision {
  const keyColumn = event.primaryKey?.[0];
  const target = resolveTarget(
    event.table,
    keyColumn !== undefined ? { distributionColumn: keyColumn } : undefined,
    targetDefaults(rule),
  );
  if (target.distribution === "Hash" && target.distributionColumn === undefined) {
    return {
      ok: false,
      reason: `the routing rule for ${describeLink(link)} asks for Hash distribution, but the event names no primary key column of ${qualifiedName(event.table)} to hash on`,
    };
  }
  return { ok: true, action: "add", target };
}

async function decide(
  deps: SchemaChangeDeps,
  event: SchemaChangeEvent,
  rule: RoutingRule,
): Promise<Decision> {
  const link: LinkRef = { workspace: rule.workspace, linkConnection: rule.linkConnection };
  const table = qualifiedName(event.table);
  switch (event.kind) {
    case "created":
      return targetForAdd(event, rule, link);
    case "dropped": {
      const linked = (await deps.synapse.listLinkTables(link)).find((t) => sameTable(t.source, event.table));
      if (!linked) {
        return { ok: false, reason: `table ${table} was dropped but is not linked in ${describeLink(link)}` };
      }
      return {
        ok: true,
        action: "remove",
        target: resolveTarget(event.table, linked.target, targetDefaults(rule)),
      };
    }
    case "altered": {
      if (!(await deps.ledger.isDetached(link, event.table))) {
        return {
          ok: false,
          reason: `table ${table} was altered but is not detached from ${describeLink(link)}: nothing to re-add (to change its columns, detach it first)`,
        };
      }
      const add = targetForAdd(event, rule, link);
      return add.ok ? { ...add, action: "reAdd" } : add;
    }
  }
}

/** Decides what a parsed event asks for. */
export async function decideSchemaChange(
  deps: SchemaChangeDeps,
  event: SchemaChangeEvent,
  now: string,
): Promise<SchemaChangeOutcome> {
  const dropped = (reason: string): SchemaChangeOutcome => ({ kind: "dropped", reason, eventId: event.id });
  const rule = routeTable(deps.routing, event.source, event.table);
  if (!rule) {
    return dropped(
      `not routed: no ROUTING_RULES entry matches source ${event.source} and table ${qualifiedName(event.table)}`,
    );
  }
  const decision = await decide(deps, event, rule);
  if (!decision.ok) return dropped(decision.reason);

  const message = queueMessageSchema.safeParse({
    v: 1,
    requestId: eventRequestId(event),
    action: decision.action,
    workspace: rule.workspace,
    linkConnection: rule.linkConnection,
    tables: [{ schema: event.table.schema, name: event.table.name, target: decision.target }],
    origin: { kind: "event", id: event.id },
    receivedAt: now,
  } satisfies QueueMessage);
  if (!message.success) {
    // Only a routing rule naming an impossible workspace or link gets here: a configuration mistake.
    const problems = message.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    return dropped(
      `the routing rule for ${rule.workspace}/${rule.linkConnection} produced an invalid queue message (${problems})`,
    );
  }
  return { kind: "enqueue", message: message.data, eventId: event.id };
}

/** Parses one delivered event and decides what it asks for (the Event Grid trigger's whole job). */
export async function handleSchemaChange(
  deps: SchemaChangeDeps,
  event: unknown,
  now: string,
): Promise<SchemaChangeOutcome> {
  const parsed = await parseSchemaChangeEvent(
    event,
    deps.schemaEventTypePrefix !== undefined ? { typePrefix: deps.schemaEventTypePrefix } : {},
  );
  if (!parsed.ok) {
    return {
      kind: "dropped",
      reason: `malformed event: ${parsed.reason}`,
      ...(parsed.id !== undefined ? { eventId: parsed.id } : {}),
    };
  }
  return decideSchemaChange(deps, parsed.event, now);
}
