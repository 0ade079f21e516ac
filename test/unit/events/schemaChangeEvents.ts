/** Builders of delivered schema-change events, as a database publisher would send them. */

export const SOURCE = "/sql/servers/contoso-sql/databases/sales";

export interface EventOptions {
  kind?: "created" | "altered" | "dropped";
  id?: string;
  schema?: string;
  table?: string;
  primaryKey?: string[];
  columns?: { name: string; type: string }[];
}

export function tableData(options: EventOptions = {}): Record<string, unknown> {
  return {
    server: "contoso-sql",
    database: "sales",
    schema: options.schema ?? "dbo",
    table: options.table ?? "Orders",
    ...(options.primaryKey ? { primaryKey: options.primaryKey } : {}),
    ...(options.columns ? { columns: options.columns } : {}),
  };
}

export function cloudEvent(options: EventOptions = {}): Record<string, unknown> {
  const schema = options.schema ?? "dbo";
  const table = options.table ?? "Orders";
  return {
    specversion: "1.0",
    type: `com.contoso.sql.table.${options.kind ?? "created"}.v1`,
    source: SOURCE,
    id: options.id ?? "evt-1",
    time: "2026-01-05T08:00:00.1234567Z",
    subject: `/schemas/${schema}/tables/${table}`,
    datacontenttype: "application/json",
    data: tableData(options),
  };
}

export const TOPIC =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.EventGrid/topics/sql-ddl";

export function eventGridEvent(options: EventOptions = {}): Record<string, unknown> {
  const schema = options.schema ?? "dbo";
  const table = options.table ?? "Orders";
  return {
    id: options.id ?? "evt-1",
    topic: TOPIC,
    subject: `/schemas/${schema}/tables/${table}`,
    eventType: `com.contoso.sql.table.${options.kind ?? "created"}`,
    eventTime: "2026-01-05T08:00:00Z",
    data: tableData(options),
    dataVersion: "1",
    metadataVersion: "1",
  };
}
