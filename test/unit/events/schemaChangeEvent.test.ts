import { parseSchemaChangeEvent, type ParsedSchemaChange } from "../../../shared/events/schemaChangeEvent";
import { cloudEvent, eventGridEvent, SOURCE, tableData } from "./schemaChangeEvents";

function reasonOf(result: ParsedSchemaChange): string {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.reason;
}

/** Why parseSchemaChangeEvent rejects `raw` (fails the test when it accepts it). */
async function rejectionOf(
  raw: unknown,
  options?: Parameters<typeof parseSchemaChangeEvent>[1],
): Promise<string> {
  return reasonOf(await parseSchemaChangeEvent(raw, options));
}

describe("parseSchemaChangeEvent: CloudEvents 1.0", () => {
  it("parses a created event with its primary key and columns", async () => {
    const result = await parseSchemaChangeEvent(
      cloudEvent({
        primaryKey: ["OrderId"],
        columns: [
          { name: "OrderId", type: "int" },
          { name: "Note", type: "nvarchar(max)" },
        ],
      }),
    );
    expect(result).toEqual({
      ok: true,
      event: {
        id: "evt-1",
        kind: "created",
        source: SOURCE,
        table: { schema: "dbo", name: "Orders" },
        primaryKey: ["OrderId"],
        columns: [
          { name: "OrderId", type: "int" },
          { name: "Note", type: "nvarchar(max)" },
        ],
      },
    });
  });

  it.each(["created", "altered", "dropped"] as const)("reads the kind %s from the type", async (kind) => {
    const result = await parseSchemaChangeEvent(cloudEvent({ kind }));
    expect(result.ok && result.event.kind).toBe(kind);
  });

  it("accepts a type without the .v1 suffix and without a prefix", async () => {
    const withoutVersion = await parseSchemaChangeEvent({
      ...cloudEvent(),
      type: "org.example.sql.table.dropped",
    });
    const bare = await parseSchemaChangeEvent({ ...cloudEvent(), type: "sql.table.altered" });
    expect(withoutVersion.ok && withoutVersion.event.kind).toBe("dropped");
    expect(bare.ok && bare.event.kind).toBe("altered");
  });

  it("leaves primaryKey and columns out when the publisher did not send them", async () => {
    const result = await parseSchemaChangeEvent(cloudEvent());
    expect(result.ok && result.event).toEqual({
      id: "evt-1",
      kind: "created",
      source: SOURCE,
      table: { schema: "dbo", name: "Orders" },
    });
  });

  it("ignores unknown data fields and extension attributes", async () => {
    const result = await parseSchemaChangeEvent({
      ...cloudEvent(),
      traceparent: "00-abc-def-01",
      data: { ...tableData(), loginName: "dba", commandText: "CREATE TABLE ..." },
    });
    expect(result.ok && result.event.table).toEqual({ schema: "dbo", name: "Orders" });
  });

  it("accepts a percent-encoded subject for identifiers that contain a slash", async () => {
    const result = await parseSchemaChangeEvent({
      ...cloudEvent({ table: "a/b" }),
      subject: "/schemas/dbo/tables/a%2Fb",
    });
    expect(result.ok && result.event.table).toEqual({ schema: "dbo", name: "a/b" });
  });

  it("compares subject and source with data case-insensitively, as SQL Server compares identifiers", async () => {
    const result = await parseSchemaChangeEvent({
      ...cloudEvent(),
      source: "/sql/servers/CONTOSO-SQL/databases/Sales",
      subject: "/schemas/DBO/tables/orders",
    });
    expect(result.ok && result.event).toMatchObject({
      source: SOURCE,
      table: { schema: "dbo", name: "Orders" },
    });
  });
});

describe("parseSchemaChangeEvent: Event Grid schema", () => {
  it("parses an event and takes the source from data when the topic is an ARM id", async () => {
    const result = await parseSchemaChangeEvent(eventGridEvent({ kind: "dropped", id: "eg-7" }));
    expect(result).toEqual({
      ok: true,
      event: { id: "eg-7", kind: "dropped", source: SOURCE, table: { schema: "dbo", name: "Orders" } },
    });
  });

  it("uses a topic that has the source shape, when it agrees with data", async () => {
    const result = await parseSchemaChangeEvent({ ...eventGridEvent(), topic: SOURCE });
    expect(result.ok && result.event.source).toBe(SOURCE);
  });

  it("rejects a source-shaped topic that names another database than data", async () => {
    expect(await rejectionOf({ ...eventGridEvent(), topic: "/sql/servers/contoso-sql/databases/hr" })).toBe(
      'topic "/sql/servers/contoso-sql/databases/hr" does not match data (server "contoso-sql", database "sales")',
    );
  });

  it("rejects an Event Grid event without metadataVersion, as the deserializer requires it", async () => {
    const { metadataVersion: _omitted, ...event } = eventGridEvent();
    expect(await rejectionOf(event)).toBe(
      "not a valid Event Grid event: event is missing required property 'metadataVersion'",
    );
  });
});

describe("parseSchemaChangeEvent: rejections", () => {
  it("rejects something that is not an object", async () => {
    expect(await rejectionOf("created dbo.Orders")).toBe("the event must be a JSON object, got a string");
    expect(await rejectionOf(null)).toBe("the event must be a JSON object, got null");
    expect(await rejectionOf(undefined)).toBe("the event must be a JSON object, got undefined");
    expect(await rejectionOf(42)).toBe("the event must be a JSON object, got a number");
    expect(await rejectionOf([cloudEvent()])).toBe("the event must be a JSON object, got an array");
  });

  it("rejects an object in neither schema", async () => {
    expect(await rejectionOf({ id: "x", data: tableData() })).toBe(
      "neither a CloudEvents 1.0 event (no specversion) nor an Event Grid schema event (no eventType)",
    );
  });

  it("rejects a CloudEvent of another spec version", async () => {
    const result = await parseSchemaChangeEvent({ ...cloudEvent(), specversion: "0.3" });
    expect(reasonOf(result)).toBe(
      "not a valid CloudEvents 1.0 event: event is not in the Cloud Event 1.0 schema",
    );
    expect(!result.ok && result.id).toBe("evt-1");
  });

  it("rejects a bad type", async () => {
    expect(await rejectionOf({ ...cloudEvent(), type: "com.contoso.sql.view.created.v1" })).toBe(
      'type "com.contoso.sql.view.created.v1" is not a schema-change event type (expected [prefix.]sql.table.created|altered|dropped[.v1])',
    );
  });

  it("rejects a type with a version other than v1", async () => {
    expect(await rejectionOf({ ...cloudEvent(), type: "com.contoso.sql.table.created.v2" })).toMatch(
      /is not a schema-change event type/,
    );
  });

  it("rejects a type outside the configured prefix", async () => {
    expect(
      await rejectionOf(
        { ...cloudEvent(), type: "org.other.sql.table.created.v1" },
        { typePrefix: "com.contoso" },
      ),
    ).toBe(
      'type "org.other.sql.table.created.v1" does not start with the configured prefix "com.contoso" (SCHEMA_EVENT_TYPE_PREFIX)',
    );
  });

  it("matches the configured prefix at a dot boundary only", async () => {
    const lookalike = await parseSchemaChangeEvent(
      { ...cloudEvent(), type: "com.contosoevil.sql.table.created.v1" },
      { typePrefix: "com.contoso" },
    );
    const allowed = await parseSchemaChangeEvent(cloudEvent(), { typePrefix: "com.contoso." });
    expect(reasonOf(lookalike)).toMatch(/does not start with the configured prefix "com.contoso"/);
    expect(allowed.ok).toBe(true);
  });

  it("rejects a bad source", async () => {
    expect(await rejectionOf({ ...cloudEvent(), source: "/sql/servers/contoso-sql" })).toBe(
      'source "/sql/servers/contoso-sql" must look like /sql/servers/{server}/databases/{database}',
    );
  });

  it("rejects a source that names another server than data", async () => {
    expect(await rejectionOf({ ...cloudEvent(), source: "/sql/servers/other-sql/databases/sales" })).toBe(
      'source "/sql/servers/other-sql/databases/sales" does not match data (server "contoso-sql", database "sales")',
    );
  });

  it("rejects a subject that names another table than data", async () => {
    expect(await rejectionOf({ ...cloudEvent(), subject: "/schemas/dbo/tables/Invoices" })).toBe(
      'subject "/schemas/dbo/tables/Invoices" names table dbo.Invoices but data names dbo.Orders',
    );
  });

  it("rejects a subject of the wrong shape", async () => {
    expect(await rejectionOf({ ...cloudEvent(), subject: "dbo.Orders" })).toBe(
      'subject "dbo.Orders" must look like /schemas/{schema}/tables/{table}',
    );
  });

  it("rejects a CloudEvent without a subject", async () => {
    const { subject: _omitted, ...event } = cloudEvent();
    expect(await rejectionOf(event)).toBe("subject is missing (expected /schemas/dbo/tables/Orders)");
  });

  it("rejects a CloudEvent without data", async () => {
    const { data: _omitted, ...event } = cloudEvent();
    expect(await rejectionOf(event)).toBe(
      "data is missing (expected { server, database, schema, table, primaryKey?, columns? })",
    );
  });

  it("rejects an Event Grid event without data", async () => {
    const { data: _omitted, ...event } = eventGridEvent();
    expect(await rejectionOf(event)).toBe(
      "not a valid Event Grid event: event is missing required property 'data'",
    );
  });

  it("rejects data that is not an object (the deserializer would turn a string into a dictionary)", async () => {
    expect(await rejectionOf({ ...cloudEvent(), data: "dbo.Orders" })).toBe(
      "data must be a JSON object, got a string",
    );
    expect(await rejectionOf({ ...eventGridEvent(), data: ["dbo", "Orders"] })).toBe(
      "data must be a JSON object, got an array",
    );
  });

  it("rejects binary data", async () => {
    const { data: _omitted, ...event } = cloudEvent();
    expect(await rejectionOf({ ...event, data_base64: "AAE=" })).toBe(
      "data must be a JSON object; binary data (data_base64) is not accepted",
    );
  });

  it("names every missing data field", async () => {
    expect(await rejectionOf({ ...cloudEvent(), data: { server: "contoso-sql" } })).toBe(
      "invalid data: data.database: is required; data.schema: is required; data.table: is required",
    );
  });

  it("rejects a 129-character table name and accepts 128 characters", async () => {
    const long = "T".repeat(129);
    const longest = "T".repeat(128);
    expect(await rejectionOf(cloudEvent({ table: long }))).toBe(
      "invalid data: data.table: must be at most 128 characters",
    );
    const accepted = await parseSchemaChangeEvent(cloudEvent({ table: longest }));
    expect(accepted.ok && accepted.event.table.name).toBe(longest);
  });

  it("rejects control characters in identifiers", async () => {
    expect(await rejectionOf(cloudEvent({ schema: "db\u0000o" }))).toBe(
      "invalid data: data.schema: must not contain control characters",
    );
    expect(await rejectionOf(cloudEvent({ primaryKey: ["Order\nId"] }))).toBe(
      "invalid data: data.primaryKey.0: must not contain control characters",
    );
  });

  it("rejects a server or database name containing a slash", async () => {
    expect(
      await rejectionOf({
        ...eventGridEvent(),
        data: { ...tableData(), database: "a/b" },
      }),
    ).toBe("invalid data: data.database: must not contain /");
  });

  it("rejects malformed columns", async () => {
    expect(await rejectionOf(cloudEvent({ columns: [{ name: "OrderId", type: "" }] }))).toBe(
      "invalid data: data.columns.0.type: must not be empty",
    );
  });

  it("rejects an empty or over-long id", async () => {
    expect(await rejectionOf(cloudEvent({ id: "" }))).toBe("id must be 1-1000 characters, got 0");
    expect(await rejectionOf(cloudEvent({ id: "x".repeat(1001) }))).toBe(
      "id must be 1-1000 characters, got 1001",
    );
  });
});
