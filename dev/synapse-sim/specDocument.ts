// Loads the vendored OpenAPI (Swagger 2.0) files of the link-connection API and derives the route table from them,
// so the simulator serves exactly the paths and operations the spec declares.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudErrorSchema } from "./cloudError";

export const API_VERSIONS = ["2022-12-01-preview", "2023-04-18-preview"] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

export function isApiVersion(value: string | null | undefined): value is ApiVersion {
  return (API_VERSIONS as readonly (string | null | undefined)[]).includes(value);
}

export type JsonSchema = Record<string, unknown>;

interface SwaggerParameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface SwaggerOperation {
  operationId: string;
  parameters?: SwaggerParameter[];
  responses: Record<string, { schema?: JsonSchema }>;
}

export interface SpecDocument {
  info: { version: string };
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, JsonSchema>;
}

export interface SpecOperation {
  operationId: string;
  /** Upper-case HTTP method. */
  method: string;
  pathTemplate: string;
  /** Matches a request path; group 1 is the link connection name when the template has one. */
  pathPattern: RegExp;
  body?: { name: string; required: boolean; schema: JsonSchema };
  /** Status code ("200", "204", "default") → response schema, undefined when the response has no body. */
  responses: Record<string, JsonSchema | undefined>;
}

const EXTERNAL_CLOUD_ERROR_REF = "../../../../common/v1/types.json#/definitions/CloudError";

/** The directory holding spec/<version>/linkConnections.json (+ examples/ for 2023-04-18-preview). */
export const SPEC_DIR = join(__dirname, "spec");

/** Reads one version of the spec and points its external CloudError $refs at a local definition. */
export function loadSpecDocument(version: ApiVersion): SpecDocument {
  const raw = readFileSync(join(SPEC_DIR, version, "linkConnections.json"), "utf8");
  const doc = loosenBareObjects(rewriteRefs(JSON.parse(raw))) as SpecDocument;
  if (doc.info.version !== version) {
    throw new Error(`spec/${version}/linkConnections.json declares version ${doc.info.version}`);
  }
  doc.definitions.CloudError = { ...cloudErrorSchema };
  return doc;
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === "$ref" && value === EXTERNAL_CLOUD_ERROR_REF ? "#/definitions/CloudError" : rewriteRefs(value);
  }
  return out;
}

/**
 * AutoRest reads a bare `{"type": "object"}` (no properties) as "any value" — hence the SDK's `any` for
 * startTime, stopTime, error and continuationToken — and the spec's own examples put ISO strings there. JSON Schema
 * would demand an object, so such schemas are relaxed to `{}` (descriptions kept).
 */
export function loosenBareObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(loosenBareObjects);
  if (node === null || typeof node !== "object") return node;
  const obj = node as Record<string, unknown>;
  const structural = ["properties", "additionalProperties", "allOf", "$ref", "items", "required"];
  if (obj.type === "object" && !structural.some((k) => k in obj)) {
    const { type: _type, ...rest } = obj;
    return rest;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) out[key] = loosenBareObjects(value);
  return out;
}

/** The operations of a spec document, in spec order. */
export function specOperations(doc: SpecDocument): SpecOperation[] {
  const operations: SpecOperation[] = [];
  for (const [pathTemplate, methods] of Object.entries(doc.paths)) {
    // Azure paths are case-insensitive; path parameters match one segment.
    const pattern = new RegExp(
      "^" + pathTemplate.replace(/\{[^}]+\}/g, "([^/]+)").replace(/\//g, "\\/") + "\\/?$",
      "i",
    );
    for (const [method, op] of Object.entries(methods)) {
      const bodyParam = (op.parameters ?? []).find((p) => p.in === "body");
      const responses: Record<string, JsonSchema | undefined> = {};
      for (const [status, response] of Object.entries(op.responses)) responses[status] = response.schema;
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        pathTemplate,
        pathPattern: pattern,
        ...(bodyParam?.schema && bodyParam.name
          ? {
              body: { name: bodyParam.name, required: bodyParam.required === true, schema: bodyParam.schema },
            }
          : {}),
        responses,
      });
    }
  }
  return operations;
}

/** "LinkConnection_EditTables", "LinkConnections_EditTables" and "EditTables" all name the same operation. */
export function shortOperationName(operationId: string): string {
  return operationId.replace(/^LinkConnections?_/i, "").toLowerCase();
}
