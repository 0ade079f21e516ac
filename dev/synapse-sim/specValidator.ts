// Validates request bodies (and, for tests, response bodies) against the spec of the api-version requested.
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { SimHttpError } from "./cloudError";
import {
  API_VERSIONS,
  loadSpecDocument,
  specOperations,
  type ApiVersion,
  type JsonSchema,
  type SpecOperation,
} from "./specDocument";

export interface ValidationIssue {
  /** Where in the body, e.g. "linkTables[0].source.tableName" ("(body)" for the root). */
  path: string;
  message: string;
}

interface CompiledOperation {
  operation: SpecOperation;
  body?: ValidateFunction;
  responses: Map<string, ValidateFunction>;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export class SpecValidator {
  private readonly byVersion = new Map<ApiVersion, Map<string, CompiledOperation>>();

  constructor() {
    for (const version of API_VERSIONS) {
      const doc = loadSpecDocument(version);
      // strict: false lets ajv ignore the Swagger / AutoRest keywords (x-ms-*, discriminator as a string, ...).
      const ajv = new Ajv({ strict: false, allErrors: true });
      ajv.addFormat("int32", {
        type: "number",
        validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX,
      });
      ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });
      ajv.addFormat("url", { type: "string", validate: (s: string) => URL.canParse(s) });
      const schemaId = `synapse-link-${version}`;
      ajv.addSchema({ $id: schemaId, definitions: doc.definitions });
      const compile = (schema: JsonSchema): ValidateFunction =>
        ajv.compile(anchor(schema, schemaId, doc.definitions));

      const compiled = new Map<string, CompiledOperation>();
      for (const operation of specOperations(doc)) {
        const responses = new Map<string, ValidateFunction>();
        for (const [status, schema] of Object.entries(operation.responses)) {
          if (schema) responses.set(status, compile(schema));
        }
        compiled.set(operation.operationId, {
          operation,
          ...(operation.body ? { body: compile(operation.body.schema) } : {}),
          responses,
        });
      }
      this.byVersion.set(version, compiled);
    }
  }

  /** Issues with a request body; empty when valid or when the operation takes no body. */
  validateRequestBody(version: ApiVersion, operationId: string, body: unknown): ValidationIssue[] {
    const compiled = this.compiled(version, operationId);
    const bodySpec = compiled.operation.body;
    if (!bodySpec || !compiled.body) return [];
    if (body === undefined) {
      return bodySpec.required ? [{ path: "(body)", message: `the ${bodySpec.name} body is required` }] : [];
    }
    return compiled.body(body) ? [] : issuesOf(compiled.body.errors);
  }

  /** Issues with a response body against the schema of that status (or `default`). For tests. */
  validateResponseBody(
    version: ApiVersion,
    operationId: string,
    status: number,
    body: unknown,
  ): ValidationIssue[] {
    const compiled = this.compiled(version, operationId);
    const validate = compiled.responses.get(String(status)) ?? compiled.responses.get("default");
    if (!validate) return [];
    return validate(body) ? [] : issuesOf(validate.errors);
  }

  private compiled(version: ApiVersion, operationId: string): CompiledOperation {
    const compiled = this.byVersion.get(version)?.get(operationId);
    if (!compiled) throw new Error(`unknown operation ${operationId} in ${version}`);
    return compiled;
  }
}

/** Resolves "#/definitions/X" refs against the spec's definitions registered under `schemaId`. */
function anchor(schema: JsonSchema, schemaId: string, definitions: Record<string, JsonSchema>): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#")) return { $ref: `${schemaId}${ref}` };
  // An inline schema: carry the definitions along so its nested "#/definitions/X" refs resolve.
  return { ...schema, definitions };
}

function issuesOf(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  const issues = (errors ?? []).map((e): ValidationIssue => {
    const missing =
      e.keyword === "required" ? (e.params as { missingProperty?: string }).missingProperty : undefined;
    const segments = e.instancePath.split("/").filter((s) => s !== "");
    if (missing !== undefined) segments.push(missing);
    return { path: formatPath(segments), message: e.message ?? "is invalid" };
  });
  // allErrors can report the same path twice (e.g. via allOf); keep one of each.
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function formatPath(segments: string[]): string {
  if (segments.length === 0) return "(body)";
  return segments
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc === "" ? s : `${acc}.${s}`), "");
}

/** The 400 for an invalid request: the message names every bad path, one detail per issue. */
export function invalidRequestContent(issues: ValidationIssue[]): SimHttpError {
  return new SimHttpError(
    400,
    "InvalidRequestContent",
    `The request content was invalid: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`,
    issues.map((i) => ({ code: "InvalidRequestContent", message: `${i.path} ${i.message}`, target: i.path })),
  );
}

/**
 * The service's JSON binding treats an explicit null like an absent property (the spec's own examples return
 * `"continuationToken": null` for an object-typed field), so nulls are dropped before schema validation.
 */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== null) out[key] = dropNulls(inner);
  }
  return out;
}
