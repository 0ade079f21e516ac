// The vendored Microsoft.Synapse ARM specification (2021-06-01, spec/arm/): the route table of the operations the
// simulator serves, their path-parameter rules, and Ajv validators of their response schemas. The files keep their
// upstream relative $refs; each is registered under a URI that rebuilds the azure-rest-api-specs layout, so those
// refs resolve as written (see dev/synapse-sim/README.md, "ARM").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";

export const ARM_API_VERSION = "2021-06-01";

/** The operations the simulator implements (the app needs the first five; the sixth is the pollers' Location). */
export const ARM_OPERATIONS = [
  "Workspaces_Get",
  "SqlPools_Get",
  "SqlPools_ListByWorkspace",
  "SqlPools_Pause",
  "SqlPools_Resume",
  "SqlPoolOperationResults_GetLocationHeaderResult",
] as const;
export type ArmOperationId = (typeof ARM_OPERATIONS)[number];

export const ARM_SPEC_DIR = join(__dirname, "..", "spec", "arm");

const BASE = "https://specs.invalid/specification/";
/** Vendored file → its place in azure-rest-api-specs (as the reference README's table lists them). */
const LAYOUT: Record<string, string> = {
  "2021-06-01/workspace.json": "synapse/resource-manager/Microsoft.Synapse/stable/2021-06-01/workspace.json",
  "2021-06-01/sqlPool.json": "synapse/resource-manager/Microsoft.Synapse/stable/2021-06-01/sqlPool.json",
  "synapse-common/v1/types.json": "synapse/common/v1/types.json",
  "synapse-common/v1/privateEndpointConnection.json": "synapse/common/v1/privateEndpointConnection.json",
  "common-types/resource-management/v1/types.json": "common-types/resource-management/v1/types.json",
  "common-types/resource-management/v2/types.json": "common-types/resource-management/v2/types.json",
};

type Json = Record<string, unknown>;

interface SwaggerParameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  type?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

export interface PathParameterRule {
  name: string;
  pattern?: RegExp;
  minLength?: number;
  maxLength?: number;
}

export interface ArmRoute {
  operationId: ArmOperationId;
  method: string;
  pathTemplate: string;
  /** Matches a request path; named groups carry the path parameters. */
  pathPattern: RegExp;
  pathParameters: PathParameterRule[];
  /** Status ("200", "202", "default") → the schema's URI for Ajv, undefined when the response has no schema. */
  responses: Record<string, string | undefined>;
}

export interface ValidationIssue {
  path: string;
  message: string;
}

function readDocuments(): Map<string, Json> {
  const docs = new Map<string, Json>();
  for (const [file, layout] of Object.entries(LAYOUT)) {
    docs.set(BASE + layout, JSON.parse(readFileSync(join(ARM_SPEC_DIR, file), "utf8")) as Json);
  }
  return docs;
}

/** Resolves a `$ref` (relative file + JSON pointer) against the document at `baseUri`. */
function resolveRef(docs: Map<string, Json>, baseUri: string, ref: string): { uri: string; node: unknown } {
  const [file = "", pointer = ""] = ref.split("#");
  const uri = file === "" ? baseUri : new URL(file, baseUri).toString();
  let node: unknown = docs.get(uri);
  if (node === undefined) throw new Error(`ARM spec: ${ref} (from ${baseUri}) is not vendored`);
  for (const segment of pointer.split("/").filter(Boolean)) node = (node as Json)[segment];
  return { uri, node };
}

function pathParameterRules(docs: Map<string, Json>, baseUri: string, params: SwaggerParameter[]) {
  const rules: PathParameterRule[] = [];
  for (const raw of params) {
    const param = raw.$ref ? (resolveRef(docs, baseUri, raw.$ref).node as SwaggerParameter) : raw;
    if (param.in !== "path" || !param.name) continue;
    rules.push({
      name: param.name,
      ...(param.pattern ? { pattern: new RegExp(param.pattern) } : {}),
      ...(param.minLength !== undefined ? { minLength: param.minLength } : {}),
      ...(param.maxLength !== undefined ? { maxLength: param.maxLength } : {}),
    });
  }
  return rules;
}

function schemaUri(baseUri: string, schema: Json | undefined): string | undefined {
  if (!schema) return undefined;
  const ref = schema.$ref;
  if (typeof ref === "string") {
    const [file = "", pointer = ""] = ref.split("#");
    return `${file === "" ? baseUri : new URL(file, baseUri).toString()}#${pointer}`;
  }
  return JSON.stringify(schema);
}

export class ArmSpec {
  readonly routes: ArmRoute[] = [];
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const docs = readDocuments();
    this.ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat("date-time", {
      type: "string",
      validate: (s: string) => !Number.isNaN(Date.parse(s)),
    });
    this.ajv.addFormat("uuid", {
      type: "string",
      validate: (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
    });
    this.ajv.addFormat("password", { type: "string", validate: () => true });
    this.ajv.addFormat("arm-id", { type: "string", validate: (s: string) => s.startsWith("/") });
    for (const [uri, doc] of docs) {
      // Only `definitions` are schemas; the rest of a Swagger file (paths, x-ms-examples) is not followed.
      this.ajv.addSchema({ $id: uri, definitions: doc.definitions ?? {} });
    }
    for (const file of ["2021-06-01/workspace.json", "2021-06-01/sqlPool.json"]) {
      const uri = BASE + (LAYOUT[file] ?? "");
      const doc = docs.get(uri) as { paths: Record<string, Record<string, Json>> };
      for (const [pathTemplate, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const operationId = op.operationId as string;
          if (!(ARM_OPERATIONS as readonly string[]).includes(operationId)) continue;
          const responses: Record<string, string | undefined> = {};
          for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
            responses[status] = schemaUri(uri, response.schema as Json | undefined);
          }
          this.routes.push({
            operationId: operationId as ArmOperationId,
            method: method.toUpperCase(),
            pathTemplate,
            // ARM paths are case-insensitive; a parameter matches one segment.
            pathPattern: new RegExp(
              "^" + pathTemplate.replace(/\{([^}]+)\}/g, "(?<$1>[^/]+)").replace(/\//g, "\\/") + "\\/?$",
              "i",
            ),
            pathParameters: pathParameterRules(docs, uri, (op.parameters ?? []) as SwaggerParameter[]),
            responses,
          });
        }
      }
    }
    const missing = ARM_OPERATIONS.filter((id) => !this.routes.some((r) => r.operationId === id));
    if (missing.length > 0) throw new Error(`ARM spec: operations not found: ${missing.join(", ")}`);
  }

  /** Issues with a response body against the spec's schema for that status (or `default`); [] when none applies. */
  validateResponse(operationId: ArmOperationId, status: number, body: unknown): ValidationIssue[] {
    const route = this.routes.find((r) => r.operationId === operationId);
    if (!route) throw new Error(`unknown ARM operation ${operationId}`);
    const key = String(status) in route.responses ? String(status) : "default";
    const schema = route.responses[key];
    if (schema === undefined) return [];
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = schema.startsWith("{")
        ? this.ajv.compile(JSON.parse(schema) as Json)
        : this.ajv.compile({ $ref: schema });
      this.validators.set(schema, validate);
    }
    return validate(body) ? [] : issuesOf(validate.errors);
  }
}

function issuesOf(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => ({
    path: e.instancePath || "(body)",
    message: e.message ?? "is invalid",
  }));
}

let shared: ArmSpec | undefined;
/** Compiling is the slow part; every simulator in a process shares one. */
export function armSpec(): ArmSpec {
  shared ??= new ArmSpec();
  return shared;
}
