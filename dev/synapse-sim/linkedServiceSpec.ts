// The vendored linked-service part of the Synapse artifacts API (2020-12-01, spec/artifacts/): the route and
// path-parameter rule of LinkedService_GetLinkedService and an Ajv validator of its answer. The files keep their
// upstream relative $refs and are registered under URIs that rebuild the azure-rest-api-specs layout, as
// arm/armSpec.ts does; the answer is validated against the subtype its `properties.type` names (the spec's
// `discriminator`), which JSON Schema alone would not do (see dev/synapse-sim/README.md, "Linked services").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { loosenBareObjects } from "./specDocument";

export const LINKED_SERVICE_API_VERSION = "2020-12-01";
export const GET_LINKED_SERVICE = "LinkedService_GetLinkedService";

const SPEC_DIR = join(__dirname, "spec");
const BASE = "https://specs.invalid/specification/";
const DATA_PLANE = "synapse/data-plane/Microsoft.Synapse/stable/2020-12-01/";
/** Vendored file (under spec/) → its place in azure-rest-api-specs. */
const LAYOUT: Record<string, string> = {
  "artifacts/2020-12-01/linkedServices.json": `${DATA_PLANE}linkedServices.json`,
  "artifacts/2020-12-01/artifacts.json": `${DATA_PLANE}artifacts.json`,
  "artifacts/2020-12-01/entityTypes/LinkedService.json": `${DATA_PLANE}entityTypes/LinkedService.json`,
  "arm/common-types/resource-management/v1/types.json": "common-types/resource-management/v1/types.json",
};
const LINKED_SERVICES_URI = BASE + DATA_PLANE + "linkedServices.json";
const ENTITY_TYPES_URI = BASE + DATA_PLANE + "entityTypes/LinkedService.json";

type Json = Record<string, unknown>;

export interface ValidationIssue {
  path: string;
  message: string;
}

interface SwaggerParameter {
  name: string;
  in: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

export class LinkedServiceSpec {
  /** `/linkedservices/{linkedServiceName}`, case-insensitive; group 1 is the name. */
  readonly pathPattern: RegExp;
  readonly nameRule: { pattern: RegExp; minLength: number; maxLength: number };
  private readonly resource: ValidateFunction;
  /** `x-ms-discriminator-value` → the validator of that subtype of LinkedService. */
  private readonly subtypes = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const docs = new Map<string, Json>();
    for (const [file, layout] of Object.entries(LAYOUT)) {
      const raw = JSON.parse(readFileSync(join(SPEC_DIR, file), "utf8")) as Json;
      // AutoRest reads a bare {"type": "object"} as "any value" (a connection string is one), as for link connections.
      docs.set(BASE + layout, loosenBareObjects(raw) as Json);
    }
    for (const [uri, doc] of docs) ajv.addSchema({ $id: uri, definitions: doc.definitions ?? {} });

    const linkedServices = docs.get(LINKED_SERVICES_URI) as {
      paths: Record<string, Record<string, { operationId: string }>>;
      parameters: Record<string, SwaggerParameter>;
    };
    const template = Object.keys(linkedServices.paths).find(
      (p) => linkedServices.paths[p]?.get?.operationId === GET_LINKED_SERVICE,
    );
    if (!template) throw new Error(`linked-service spec: ${GET_LINKED_SERVICE} not found`);
    this.pathPattern = new RegExp(
      "^" + template.replace(/\{[^}]+\}/g, "([^/]+)").replace(/\//g, "\\/") + "\\/?$",
      "i",
    );
    const param = linkedServices.parameters.linkedServiceName;
    if (!param?.pattern) throw new Error("linked-service spec: no linkedServiceName rule");
    this.nameRule = {
      pattern: new RegExp(param.pattern),
      minLength: param.minLength ?? 1,
      maxLength: param.maxLength ?? Number.MAX_SAFE_INTEGER,
    };
    this.resource = ajv.compile({ $ref: `${LINKED_SERVICES_URI}#/definitions/LinkedServiceResource` });
    const entityTypes = docs.get(ENTITY_TYPES_URI) as { definitions: Record<string, Json> };
    for (const [name, definition] of Object.entries(entityTypes.definitions)) {
      const value = definition["x-ms-discriminator-value"];
      if (typeof value === "string") {
        this.subtypes.set(value, ajv.compile({ $ref: `${ENTITY_TYPES_URI}#/definitions/${name}` }));
      }
    }
  }

  /** Issues with a LinkedServiceResource: the resource schema, then the subtype its `properties.type` names. */
  validateResource(body: unknown): ValidationIssue[] {
    const issues = this.resource(body) ? [] : issuesOf(this.resource.errors, "");
    const properties = (body as { properties?: { type?: unknown } } | null)?.properties;
    const type = properties?.type;
    if (typeof type !== "string") return issues;
    const subtype = this.subtypes.get(type);
    if (!subtype) {
      return [...issues, { path: "/properties/type", message: `no vendored linked-service type "${type}"` }];
    }
    return subtype(properties) ? issues : [...issues, ...issuesOf(subtype.errors, "/properties")];
  }
}

function issuesOf(
  errors: { instancePath: string; message?: string }[] | null | undefined,
  prefix: string,
): ValidationIssue[] {
  return (errors ?? []).map((e) => ({
    path: prefix + e.instancePath || "(body)",
    message: e.message ?? "is invalid",
  }));
}

let shared: LinkedServiceSpec | undefined;
/** Compiled once per process, like the other specs. */
export function linkedServiceSpec(): LinkedServiceSpec {
  shared ??= new LinkedServiceSpec();
  return shared;
}
