import { AsyncLocalStorage } from "node:async_hooks";
import { linkWorkerInstanceId } from "../domain/linkRef";

/**
 * The correlation fields every line the app writes carries when they are known
 * (docs/observability.md "Structured logs"): in Application Insights they are custom dimensions,
 * so a query can follow one request, link or table across the intake, the worker and its retries.
 */
export interface LogFields {
  requestId?: string;
  workspace?: string;
  linkConnection?: string;
  /** `schema.table`. */
  table?: string;
  /** The durable instance: the link worker's id (`linkWorkerInstanceId`), or another orchestration's. */
  instanceId?: string;
}

export const LOG_FIELD_NAMES = ["requestId", "workspace", "linkConnection", "table", "instanceId"] as const;

const scope = new AsyncLocalStorage<LogFields>();

/** The fields of the invocation (and any narrower scope) in progress; `{}` outside one. */
export function currentLogFields(): LogFields {
  return scope.getStore() ?? {};
}

/** Runs `work` (sync or async) with `fields` added to the fields in scope; inner values win. */
export function withLogFields<T>(fields: LogFields, work: () => T): T {
  return scope.run({ ...currentLogFields(), ...definedOnly(fields) }, work);
}

/**
 * Adds fields to the scope in progress, for the lines still to come (a trigger learns the request
 * id only once intake accepted the request). Outside a scope it does nothing.
 */
export function addLogFields(fields: LogFields): void {
  const store = scope.getStore();
  if (store !== undefined) Object.assign(store, definedOnly(fields));
}

function definedOnly(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const name of LOG_FIELD_NAMES) {
    const value = fields[name];
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value : undefined;

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** Workspace and link, and the link worker's instance id, from anything shaped like a LinkRef. */
function fromLink(value: unknown): LogFields {
  const link = record(value);
  const workspace = text(link?.workspace);
  const linkConnection = text(link?.linkConnection);
  if (workspace === undefined || linkConnection === undefined) return {};
  return { workspace, linkConnection, instanceId: linkWorkerInstanceId({ workspace, linkConnection }) };
}

function tableOf(value: unknown): string | undefined {
  const t = record(value);
  const schema = text(t?.schema);
  const name = text(t?.name) ?? text(t?.table);
  return schema !== undefined && name !== undefined ? `${schema}.${name}` : undefined;
}

/**
 * What a trigger's input says about the work, before the handler runs (the pre-invocation hook):
 * - link-worker activities: `{ link, now }`;
 * - the orchestration trigger: `{ instanceId, input: { link } }`;
 * - queue messages: `{ requestId, workspace, linkConnection, tables }` (one table → `table`);
 * - schema-change events: `data.schema` / `data.table`;
 * - HTTP routes: `params.requestId`, `params.workspace` / `params.linkConnection`, `params.table`.
 * Unknown shapes give `{}`: a field is left out rather than guessed.
 */
export function logFieldsFromInput(input: unknown, params?: Record<string, string>): LogFields {
  const fields: LogFields = {};
  const value = record(input);
  if (value !== undefined) {
    Object.assign(fields, fromLink(value), fromLink(value.link), fromLink(record(value.input)?.link));
    const requestId = text(value.requestId);
    if (requestId !== undefined) fields.requestId = requestId;
    const instanceId = text(value.instanceId);
    if (instanceId !== undefined) fields.instanceId = instanceId;
    const tables = Array.isArray(value.tables) ? (value.tables as unknown[]) : [];
    const table = tables.length === 1 ? tableOf(tables[0]) : tableOf(record(value.data));
    if (table !== undefined) fields.table = table;
  }
  if (params !== undefined) {
    const workspace = text(params.workspace);
    const linkConnection = text(params.linkConnection);
    if (workspace !== undefined && linkConnection !== undefined) {
      Object.assign(fields, fromLink({ workspace, linkConnection }));
    }
    const requestId = text(params.requestId);
    if (requestId !== undefined) fields.requestId = requestId;
    const table = text(params.table);
    if (table !== undefined) fields.table = table;
  }
  return definedOnly(fields);
}
