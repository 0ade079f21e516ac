// Shared by the synapseSim.*.test.ts files: raw HTTP calls to a simulator and readers for what comes back.
import type { SynapseSim } from "../../dev/synapse-sim";
import { readCloudError } from "../../dev/synapse-sim/cloudError";

export interface WireReply {
  status: number;
  text: string;
  /** The parsed JSON body (undefined for an empty body). */
  json: unknown;
  headers: Headers;
  /** code / message / target / details when the body is an error body in either shape. */
  error?: NonNullable<ReturnType<typeof readCloudError>>;
}

export type WireCall = (
  method: string,
  path: string,
  body?: unknown,
  apiVersion?: string,
) => Promise<WireReply>;

/** `api("POST", "/linkconnections/l/start")` against `sim`, with a bearer token and the given api-version. */
export function wireApi(sim: SynapseSim, defaultVersion = "2022-12-01-preview"): WireCall {
  return async (method, path, body, apiVersion = defaultVersion) => {
    const res = await fetch(`${sim.url}${path}?api-version=${apiVersion}`, {
      method,
      headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json: unknown = text === "" ? undefined : JSON.parse(text);
    const error = res.ok ? undefined : readCloudError(json);
    return { status: res.status, text, json, headers: res.headers, ...(error ? { error } : {}) };
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A JSON object body (fails the test when it is not one). */
export function objectOf(json: unknown): Record<string, unknown> {
  if (!isRecord(json)) throw new Error(`expected a JSON object, got ${JSON.stringify(json)}`);
  return json;
}

/** `value` of a list body, each item an object. */
export function valueOf(json: unknown): Record<string, unknown>[] {
  const value = objectOf(json).value;
  if (!Array.isArray(value)) throw new Error(`expected a value array, got ${JSON.stringify(json)}`);
  return value.map(objectOf);
}

export interface TableStatusRow {
  id: string;
  linkTableId: string;
  status: string;
  errorCode?: string;
  errorMessage?: string;
}

/** querytablestatus rows (the fields tests read). */
export function tableRows(json: unknown): TableStatusRow[] {
  return valueOf(json).map((row) => ({
    id: String(row.id),
    linkTableId: String(row.linkTableId),
    status: String(row.status),
    ...(typeof row.errorCode === "string" ? { errorCode: row.errorCode } : {}),
    ...(typeof row.errorMessage === "string" ? { errorMessage: row.errorMessage } : {}),
  }));
}

/** An edittables add for dbo.<name> (or schema.<name>) with a Round_RoBin target. */
export function addOp(name: string, id = `id-${name}`, schema = "dbo", target?: object): object {
  return {
    id,
    source: { schemaName: schema, tableName: name },
    target: target ?? {
      schemaName: schema,
      tableName: name,
      distributionOptions: { type: "Round_RoBin" },
      structureOptions: { type: "Clustered_ColumnStore" },
    },
    operationType: "add",
  };
}

export function removeOp(id: string): object {
  return { id, operationType: "remove" };
}

/** SQL error 22718's text for schema.name (the link table id is not checked). */
export const ENABLED_ONCE_TEXT =
  /^Change Feed is already enabled on source table '(.+)' with link table id '([^']+)'\. A table can only be enabled once among all table groups\.$/;
