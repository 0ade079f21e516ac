import type { LinkRef } from "../../../shared/domain/linkRef";
import type { TableName } from "../../../shared/domain/tableName";
import {
  decideSchemaChange,
  eventRequestId,
  handleSchemaChange,
  type SchemaChangeDeps,
  type SchemaChangeOutcome,
} from "../../../shared/events/handleSchemaChange";
import type { SchemaChangeEvent } from "../../../shared/events/schemaChangeEvent";
import { queueMessageSchema, type QueueMessage } from "../../../shared/intake/queueMessage";
import { routingRulesSchema, type Routing } from "../../../shared/routing/routingRules";
import type { LinkedTable } from "../../../shared/synapse/synapseLinkClient";
import { cloudEvent, eventGridEvent, SOURCE } from "./schemaChangeEvents";
import { tableEntry } from "../../support/onboardingTables";

const NOW = "2026-01-05T08:00:00.000Z";

const routing: Routing = {
  rules: routingRulesSchema.parse([
    {
      source: SOURCE,
      workspace: "contoso-synapse",
      linkConnection: "sales-link",
      include: ["dbo.*", "sales.*"],
      exclude: ["*.tmp_*", "dbo.Audit*"],
      target: { distribution: "Replicate", structure: "Heap" },
    },
    { source: SOURCE, workspace: "contoso-synapse", linkConnection: "hr-link", include: ["hr.*"] },
    {
      source: SOURCE,
      workspace: "contoso-synapse",
      linkConnection: "hash-link",
      include: ["facts.*"],
      target: { distribution: "Hash" },
    },
    // A rule without a source serves webhook requests only.
    { workspace: "contoso-synapse", linkConnection: "webhook-link", include: ["*.*"] },
  ]),
  allowedLinks: [],
};

interface FakeOptions {
  linked?: Record<string, TableName[]>;
  detached?: { link: string; table: TableName }[];
  prefix?: string;
}

/** Small fakes of the ports, recording what they were asked. */
function fakes(options: FakeOptions = {}) {
  const calls = { listLinkTables: [] as LinkRef[], isDetached: [] as { link: LinkRef; table: TableName }[] };
  const deps: SchemaChangeDeps = {
    routing,
    ledger: {
      isDetached: (link, table) => {
        calls.isDetached.push({ link, table });
        return Promise.resolve(
          (options.detached ?? []).some(
            (d) =>
              d.link === link.linkConnection &&
              d.table.schema.toLowerCase() === table.schema.toLowerCase() &&
              d.table.name.toLowerCase() === table.name.toLowerCase(),
          ),
        );
      },
    },
    synapse: {
      listLinkTables: (link) => {
        calls.listLinkTables.push(link);
        const tables = options.linked?.[link.linkConnection] ?? [];
        return Promise.resolve(
          tables.map((source, i): LinkedTable => ({ id: `lt-${i}`, source, target: { ...source } })),
        );
      },
    },
    ...(options.prefix !== undefined ? { schemaEventTypePrefix: options.prefix } : {}),
  };
  return { deps, calls };
}

function event(overrides: Partial<SchemaChangeEvent> = {}): SchemaChangeEvent {
  return {
    id: "evt-1",
    kind: "created",
    source: SOURCE,
    table: { schema: "dbo", name: "Orders" },
    ...overrides,
  };
}

function enqueued(outcome: SchemaChangeOutcome): QueueMessage {
  if (outcome.kind !== "enqueue") throw new Error(`expected a message, got: ${outcome.reason}`);
  return outcome.message;
}

function droppedReason(outcome: SchemaChangeOutcome): string {
  if (outcome.kind !== "dropped") throw new Error(`expected a drop, got ${JSON.stringify(outcome.message)}`);
  return outcome.reason;
}

describe("decideSchemaChange: routing", () => {
  it("routes an included table to its rule's link", async () => {
    const message = enqueued(await decideSchemaChange(fakes().deps, event(), NOW));
    expect(message).toMatchObject({ workspace: "contoso-synapse", linkConnection: "sales-link" });
  });

  it("routes by the first matching rule", async () => {
    const message = enqueued(
      await decideSchemaChange(fakes().deps, event({ table: { schema: "hr", name: "People" } }), NOW),
    );
    expect(message.linkConnection).toBe("hr-link");
  });

  it("matches include patterns case-insensitively", async () => {
    const message = enqueued(
      await decideSchemaChange(fakes().deps, event({ table: { schema: "SALES", name: "Invoices" } }), NOW),
    );
    expect(message.linkConnection).toBe("sales-link");
  });

  it("drops a table no include pattern matches, naming source and table", async () => {
    const reason = droppedReason(
      await decideSchemaChange(fakes().deps, event({ table: { schema: "staging", name: "Load" } }), NOW),
    );
    expect(reason).toBe(`not routed: no ROUTING_RULES entry matches source ${SOURCE} and table staging.Load`);
  });

  it("drops a table an exclude pattern matches", async () => {
    const tmp = await decideSchemaChange(
      fakes().deps,
      event({ table: { schema: "dbo", name: "tmp_Import" } }),
      NOW,
    );
    const audit = await decideSchemaChange(
      fakes().deps,
      event({ table: { schema: "dbo", name: "AuditLog" } }),
      NOW,
    );
    expect(droppedReason(tmp)).toMatch(/^not routed: .* table dbo\.tmp_Import$/);
    expect(droppedReason(audit)).toMatch(/^not routed: .* table dbo\.AuditLog$/);
  });

  it("drops an event from a database no rule names (rules without a source do not apply)", async () => {
    const other = "/sql/servers/contoso-sql/databases/hr";
    const reason = droppedReason(await decideSchemaChange(fakes().deps, event({ source: other }), NOW));
    expect(reason).toBe(`not routed: no ROUTING_RULES entry matches source ${other} and table dbo.Orders`);
  });
});

describe("decideSchemaChange: created", () => {
  it("asks to add the table with the rule's target defaults", async () => {
    const { deps, calls } = fakes();
    const message = enqueued(await decideSchemaChange(deps, event(), NOW));
    expect(message).toEqual({
      v: 1,
      requestId: eventRequestId(event()),
      action: "add",
      workspace: "contoso-synapse",
      linkConnection: "sales-link",
      tables: [tableEntry("dbo", "Orders", { distribution: "Replicate", structure: "Heap" })],
      origin: { kind: "event", id: "evt-1" },
      receivedAt: NOW,
    });
    expect(queueMessageSchema.safeParse(message).success).toBe(true);
    expect(calls.listLinkTables).toEqual([]);
    expect(calls.isDetached).toEqual([]);
  });

  it("uses the app defaults when the rule has no target: round robin and no structure", async () => {
    const message = enqueued(
      await decideSchemaChange(fakes().deps, event({ table: { schema: "hr", name: "People" } }), NOW),
    );
    expect(message.tables[0]?.target).toEqual({
      schema: "hr",
      name: "People",
      distribution: "RoundRobin",
    });
  });

  it("hashes on the first primary-key column when the rule asks for Hash", async () => {
    const message = enqueued(
      await decideSchemaChange(
        fakes().deps,
        event({ table: { schema: "facts", name: "Sales" }, primaryKey: ["SaleId", "LineNo"] }),
        NOW,
      ),
    );
    expect(message.tables[0]?.target).toMatchObject({ distribution: "Hash", distributionColumn: "SaleId" });
  });

  it("drops a Hash-routed table when the event names no primary key", async () => {
    const reason = droppedReason(
      await decideSchemaChange(fakes().deps, event({ table: { schema: "facts", name: "Sales" } }), NOW),
    );
    expect(reason).toBe(
      "the routing rule for contoso-synapse/hash-link asks for Hash distribution, but the event names no primary key column of facts.Sales to hash on",
    );
  });
});

describe("decideSchemaChange: dropped", () => {
  it("asks to remove a table that is in the link", async () => {
    const { deps, calls } = fakes({ linked: { "sales-link": [{ schema: "DBO", name: "orders" }] } });
    const message = enqueued(await decideSchemaChange(deps, event({ kind: "dropped" }), NOW));
    expect(message).toMatchObject({
      action: "remove",
      linkConnection: "sales-link",
      tables: [{ schema: "dbo", name: "Orders" }],
    });
    expect(calls.listLinkTables).toEqual([{ workspace: "contoso-synapse", linkConnection: "sales-link" }]);
  });

  it("drops the event when the table is not in the link", async () => {
    const { deps } = fakes({ linked: { "sales-link": [{ schema: "dbo", name: "Customers" }] } });
    const reason = droppedReason(await decideSchemaChange(deps, event({ kind: "dropped" }), NOW));
    expect(reason).toBe("table dbo.Orders was dropped but is not linked in contoso-synapse/sales-link");
  });

  it("lets a Synapse failure through, so that Event Grid retries", async () => {
    const { deps } = fakes();
    deps.synapse = { listLinkTables: () => Promise.reject(new Error("503 Service Unavailable")) };
    await expect(decideSchemaChange(deps, event({ kind: "dropped" }), NOW)).rejects.toThrow("503");
  });
});

describe("decideSchemaChange: altered (the schema-change window)", () => {
  it("asks to re-add a table that was detached for a schema change", async () => {
    const { deps, calls } = fakes({
      detached: [{ link: "sales-link", table: { schema: "dbo", name: "Orders" } }],
    });
    const message = enqueued(await decideSchemaChange(deps, event({ kind: "altered" }), NOW));
    expect(message).toMatchObject({
      action: "reAdd",
      linkConnection: "sales-link",
      tables: [{ schema: "dbo", name: "Orders", target: { distribution: "Replicate", structure: "Heap" } }],
    });
    expect(calls.isDetached).toEqual([
      {
        link: { workspace: "contoso-synapse", linkConnection: "sales-link" },
        table: { schema: "dbo", name: "Orders" },
      },
    ]);
  });

  it("drops an altered event for a table that is not detached", async () => {
    const { deps } = fakes({ detached: [{ link: "hr-link", table: { schema: "dbo", name: "Orders" } }] });
    const reason = droppedReason(await decideSchemaChange(deps, event({ kind: "altered" }), NOW));
    expect(reason).toBe(
      "table dbo.Orders was altered but is not detached from contoso-synapse/sales-link: nothing to re-add (to change its columns, detach it first)",
    );
  });
});

describe("request ids", () => {
  it("gives a redelivered event (same id) the same request id", async () => {
    const { deps } = fakes();
    const first = enqueued(await decideSchemaChange(deps, event({ id: "evt-42" }), NOW));
    const again = enqueued(
      await decideSchemaChange(deps, event({ id: "evt-42" }), "2026-01-05T09:30:00.000Z"),
    );
    expect(again.requestId).toBe(first.requestId);
    expect(first.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("gives different events different request ids", () => {
    expect(eventRequestId(event({ id: "evt-1" }))).not.toBe(eventRequestId(event({ id: "evt-2" })));
    expect(eventRequestId(event({ id: "evt-1" }))).not.toBe(
      eventRequestId(event({ id: "evt-1", source: "/sql/servers/contoso-sql/databases/hr" })),
    );
  });
});

describe("handleSchemaChange: parse, then decide", () => {
  it("turns a CloudEvent into a queue message", async () => {
    const message = enqueued(await handleSchemaChange(fakes().deps, cloudEvent({ id: "ce-1" }), NOW));
    expect(message).toMatchObject({ action: "add", origin: { kind: "event", id: "ce-1" } });
  });

  it("turns an Event Grid schema event into the same message as the CloudEvent with the same id", async () => {
    const fromCloudEvent = enqueued(await handleSchemaChange(fakes().deps, cloudEvent({ id: "same" }), NOW));
    const fromEventGrid = enqueued(
      await handleSchemaChange(fakes().deps, eventGridEvent({ id: "same" }), NOW),
    );
    expect(fromEventGrid).toEqual(fromCloudEvent);
  });

  it("drops a malformed event with the parser's reason and the event id", async () => {
    const outcome = await handleSchemaChange(
      fakes().deps,
      { ...cloudEvent(), subject: "/schemas/dbo/tables/X" },
      NOW,
    );
    expect(outcome).toEqual({
      kind: "dropped",
      eventId: "evt-1",
      reason: 'malformed event: subject "/schemas/dbo/tables/X" names table dbo.X but data names dbo.Orders',
    });
  });

  it("applies the configured type prefix", async () => {
    const { deps } = fakes({ prefix: "org.example" });
    const reason = droppedReason(await handleSchemaChange(deps, cloudEvent(), NOW));
    expect(reason).toBe(
      'malformed event: type "com.contoso.sql.table.created.v1" does not start with the configured prefix "org.example" (SCHEMA_EVENT_TYPE_PREFIX)',
    );
  });
});
