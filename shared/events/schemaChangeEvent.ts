import { EventGridDeserializer } from "@azure/eventgrid";
import { z } from "zod";
import { qualifiedName, type TableName } from "../domain/tableName";
import { sqlIdentifier } from "../intake/identifiers";

/*
 * One schema-change event (docs/events.md#schema-change-events), as the Event Grid
 * trigger delivers it: CloudEvents 1.0 or Event Grid schema. The envelope is checked and
 * converted by @azure/eventgrid's deserializer; this module adds the contract on top of it
 * (type, source, subject, data) and turns every way an event can be wrong into one precise reason.
 */

export const SCHEMA_CHANGE_KINDS = ["created", "altered", "dropped"] as const;
export type SchemaChangeKind = (typeof SCHEMA_CHANGE_KINDS)[number];

export interface SchemaChangeColumn {
  name: string;
  type: string;
}

/** A parsed, validated schema-change event. */
export interface SchemaChangeEvent {
  /** The event's own id: a redelivery carries the same one. */
  id: string;
  kind: SchemaChangeKind;
  /** `/sql/servers/{server}/databases/{database}`, built from `data.server` and `data.database`. */
  source: string;
  table: TableName;
  /** Key columns in key order, when the publisher sent them (`[]` = the table has no primary key). */
  primaryKey?: string[];
  columns?: SchemaChangeColumn[];
}

export type ParsedSchemaChange =
  | { ok: true; event: SchemaChangeEvent }
  /** `id` is there when the event got far enough to have one, for logs. */
  | { ok: false; reason: string; id?: string };

export interface ParseOptions {
  /** `SCHEMA_EVENT_TYPE_PREFIX`: when set, `type` must start with it (at a dot boundary). */
  typePrefix?: string;
}

/** `…sql.table.created`, with any reverse-DNS prefix and an optional `.v1` suffix. */
const TYPE_PATTERN = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.)?sql\.table\.(created|altered|dropped)(?:\.v1)?$/i;
const SOURCE_PATTERN = /^\/sql\/servers\/([^/]+)\/databases\/([^/]+)$/;
const SUBJECT_PATTERN = /^\/schemas\/(.+)\/tables\/(.+)$/;
const MAX_ID_LENGTH = 1000;
/** SQL Server's limits: 32 key columns, 30,000 columns in a wide table. */
const MAX_KEY_COLUMNS = 32;
const MAX_COLUMNS = 30_000;

/** Server and database names become path segments of `source`, so they may not contain `/`. */
const pathSegmentIdentifier = sqlIdentifier.refine((v) => !v.includes("/"), {
  message: "must not contain /",
});

/** `data` of every schema-change event. Unknown fields are tolerated (and dropped): publishers may add some. */
export const schemaChangeDataSchema = z.object({
  server: pathSegmentIdentifier,
  database: pathSegmentIdentifier,
  schema: sqlIdentifier,
  table: sqlIdentifier,
  primaryKey: z
    .array(sqlIdentifier)
    .max(MAX_KEY_COLUMNS, { message: `must have at most ${MAX_KEY_COLUMNS} columns` })
    .optional(),
  columns: z
    .array(
      // A type such as `nvarchar(max)` or `decimal(18,2)` obeys the same rules as an identifier.
      z.object({ name: sqlIdentifier, type: sqlIdentifier }),
    )
    .max(MAX_COLUMNS, { message: `must have at most ${MAX_COLUMNS} columns` })
    .optional(),
});
export type SchemaChangeData = z.infer<typeof schemaChangeDataSchema>;

export function schemaChangeSource(server: string, database: string): string {
  return `/sql/servers/${server}/databases/${database}`;
}

export function schemaChangeSubject(table: TableName): string {
  return `/schemas/${table.schema}/tables/${table.name}`;
}

const deserializer = new EventGridDeserializer();

/** The envelope fields the contract uses, whichever schema the event came in. */
interface Envelope {
  schema: "CloudEvents 1.0" | "Event Grid";
  id: string;
  type: string;
  /** CloudEvents `source`; Event Grid `topic` (usually the topic's ARM id). */
  source: string;
  subject: string | undefined;
}

type Step<T> = { ok: true; value: T } | { ok: false; reason: string };

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "binary data";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readEnvelope(raw: Record<string, unknown>): Promise<Step<Envelope>> {
  if ("specversion" in raw) {
    try {
      const [event] = await deserializer.deserializeCloudEvents(raw);
      if (!event) return fail("not a CloudEvents 1.0 event: the deserializer returned nothing");
      return {
        ok: true,
        value: {
          schema: "CloudEvents 1.0",
          id: event.id,
          type: event.type,
          source: event.source,
          subject: event.subject,
        },
      };
    } catch (error) {
      return fail(`not a valid CloudEvents 1.0 event: ${errorText(error)}`);
    }
  }
  if ("eventType" in raw) {
    try {
      const [event] = await deserializer.deserializeEventGridEvents(raw);
      if (!event) return fail("not a valid Event Grid event: the deserializer returned nothing");
      return {
        ok: true,
        value: {
          schema: "Event Grid",
          id: event.id,
          type: event.eventType,
          source: event.topic ?? "",
          subject: event.subject,
        },
      };
    } catch (error) {
      return fail(`not a valid Event Grid event: ${errorText(error)}`);
    }
  }
  return fail(
    "neither a CloudEvents 1.0 event (no specversion) nor an Event Grid schema event (no eventType)",
  );
}

function readKind(type: string, typePrefix: string | undefined): Step<SchemaChangeKind> {
  const match = TYPE_PATTERN.exec(type);
  const kind = match?.[1]?.toLowerCase() as SchemaChangeKind | undefined;
  if (!kind) {
    return fail(
      `type "${type}" is not a schema-change event type (expected [prefix.]sql.table.created|altered|dropped[.v1])`,
    );
  }
  const prefix = typePrefix?.trim().replace(/\.+$/, "");
  if (prefix && !type.toLowerCase().startsWith(`${prefix.toLowerCase()}.`)) {
    return fail(
      `type "${type}" does not start with the configured prefix "${prefix}" (SCHEMA_EVENT_TYPE_PREFIX)`,
    );
  }
  return { ok: true, value: kind };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function readData(raw: Record<string, unknown>): Step<SchemaChangeData> {
  if ("data_base64" in raw)
    return fail("data must be a JSON object; binary data (data_base64) is not accepted");
  const data = raw.data;
  if (data === undefined) {
    return fail("data is missing (expected { server, database, schema, table, primaryKey?, columns? })");
  }
  if (!isJsonObject(data)) return fail(`data must be a JSON object, got ${describeValue(data)}`);
  const parsed = schemaChangeDataSchema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const where = ["data", ...issue.path.map(String)].join(".");
    const missing = issue.code === "invalid_type" && valueAt(data, issue.path) === undefined;
    return `${where}: ${missing ? "is required" : issue.message}`;
  });
  return fail(`invalid data: ${problems.join("; ")}`);
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function checkSource(envelope: Envelope, data: SchemaChangeData): Step<string> {
  const source = schemaChangeSource(data.server, data.database);
  const match = SOURCE_PATTERN.exec(envelope.source);
  if (!match) {
    // Event Grid stamps `topic` with the topic's ARM id: then data alone names the database.
    if (envelope.schema === "Event Grid") return { ok: true, value: source };
    return fail(`source "${envelope.source}" must look like /sql/servers/{server}/databases/{database}`);
  }
  const [, server = "", database = ""] = match;
  if (!same(server, data.server) || !same(database, data.database)) {
    return fail(
      `${envelope.schema === "Event Grid" ? "topic" : "source"} "${envelope.source}" does not match data (server "${data.server}", database "${data.database}")`,
    );
  }
  return { ok: true, value: source };
}

function checkSubject(subject: string | undefined, table: TableName): Step<true> {
  if (subject === undefined || subject === "") {
    return fail(`subject is missing (expected ${schemaChangeSubject(table)})`);
  }
  const match = SUBJECT_PATTERN.exec(subject);
  if (!match) return fail(`subject "${subject}" must look like /schemas/{schema}/tables/{table}`);
  // Identifiers may contain "/": accept them as they are or percent-encoded, and compare whole subjects.
  const expected = [
    schemaChangeSubject(table),
    schemaChangeSubject({ schema: encodeURIComponent(table.schema), name: encodeURIComponent(table.name) }),
  ];
  if (!expected.some((e) => same(e, subject))) {
    const named = { schema: match[1] ?? "", name: match[2] ?? "" };
    return fail(
      `subject "${subject}" names table ${qualifiedName(named)} but data names ${qualifiedName(table)}`,
    );
  }
  return { ok: true, value: true };
}

/**
 * Parses one delivered event. Never throws: whatever is wrong with the event comes back as a
 * reason (the trigger must not fail on a bad event, or Event Grid would redeliver it).
 */
export async function parseSchemaChangeEvent(
  raw: unknown,
  options: ParseOptions = {},
): Promise<ParsedSchemaChange> {
  if (!isJsonObject(raw))
    return { ok: false, reason: `the event must be a JSON object, got ${describeValue(raw)}` };

  const envelope = await readEnvelope(raw);
  if (!envelope.ok) {
    const id = typeof raw.id === "string" && raw.id !== "" ? raw.id : undefined;
    return { ok: false, reason: envelope.reason, ...(id !== undefined ? { id } : {}) };
  }
  const { id } = envelope.value;
  const rejected = (reason: string): ParsedSchemaChange => ({ ok: false, reason, id });
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    return { ok: false, reason: `id must be 1-${MAX_ID_LENGTH} characters, got ${id.length}` };
  }

  const kind = readKind(envelope.value.type, options.typePrefix);
  if (!kind.ok) return rejected(kind.reason);
  const data = readData(raw);
  if (!data.ok) return rejected(data.reason);
  const table: TableName = { schema: data.value.schema, name: data.value.table };
  const source = checkSource(envelope.value, data.value);
  if (!source.ok) return rejected(source.reason);
  const subject = checkSubject(envelope.value.subject, table);
  if (!subject.ok) return rejected(subject.reason);

  return {
    ok: true,
    event: {
      id,
      kind: kind.value,
      source: source.value,
      table,
      ...(data.value.primaryKey ? { primaryKey: data.value.primaryKey } : {}),
      ...(data.value.columns ? { columns: data.value.columns } : {}),
    },
  };
}
