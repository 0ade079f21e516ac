/**
 * Invokes the app's REAL registered HTTP functions (functions/*.ts loaded through the
 * `@azure/functions-core` stand-in) the way the Node worker does, with the dev host's
 * `invokeFunction` (context options from the registration's bindings, durable client data on the
 * `durableClient` input, extra outputs collected by binding name). The handler's return value is
 * normalized with `HttpResponse`, as the worker's `toRpcHttp` does; a throw becomes the host's 500.
 */
import { loadConfig, type AppConfig } from "../../shared/config";
import { createDependencies, resetDependencies, useDependencies } from "../../shared/dependencies";
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HttpRequest, HttpResponse, type HttpResponseInit } from "@azure/functions";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import {
  installFunctionsCoreStandIn,
  ReplayDriver,
  triggerBindingOf,
  type FunctionRegistry,
} from "../../dev/durable";
import {
  invokeFunction,
  startDurableClientApi,
  type DurableClientApi,
  type DurableClientData,
} from "../../dev/host";

/** Where the requests pretend to arrive (the dev host's address); only used for `statusUrl`. */
export const BASE_URL = "http://127.0.0.1:7071";

/** The function modules that register the HTTP API. */
export const HTTP_FUNCTION_MODULES = [
  "onboardingHttp",
  "onboardingStatus",
  "linkStatus",
  "tableWindow",
] as const;

/**
 * Installs the stand-in, THEN loads `functions/<module>.ts` for each module (they call `app.*` /
 * `df.app.*` at import time; a module already loaded is not registered twice) and returns the registry.
 */
export function loadFunctions(...modules: string[]): FunctionRegistry {
  const registry = installFunctionsCoreStandIn();
  for (const name of modules) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the stand-in is installed
    require(`../../functions/${name}`);
  }
  return registry;
}

/** The HTTP API's functions: onboardingHttp, onboardingStatus, linkStatus, detachTable, attachTable. */
export function loadHttpFunctions(): FunctionRegistry {
  return loadFunctions(...HTTP_FUNCTION_MODULES);
}

export interface HttpCall {
  method?: string;
  /** Path and query, e.g. `/api/onboarding` (joined to BASE_URL). */
  path: string;
  headers?: Record<string, string>;
  /** Sent as raw bytes, so no content-type is implied (a string body would add text/plain). */
  body?: string | Buffer;
  /** Route parameters, as the host extracts them from the route template. */
  params?: Record<string, string>;
  /** Data for the function's durable client input binding (`df.app.client.*` functions). */
  durableClient?: DurableClientData;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Media type without parameters, lower-cased; undefined when there is no Content-Type. */
  mediaType: string | undefined;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
  /** Everything the handler set on `context.extraOutputs`, by output binding name. */
  outputs: Record<string, unknown>;
  /** What the handler set on queue output bindings, by queue name. */
  queueOutputs: Record<string, unknown>;
  /** The handler threw (the host answers 500 without a body and writes no outputs). */
  thrown?: unknown;
}

/** A handler's exception for a failure message. */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === "string" ? error : JSON.stringify(error);
}

/** Calls one registered HTTP function with a request built like the worker builds it. */
export async function invokeHttp(
  registry: FunctionRegistry,
  functionName: string,
  call: HttpCall,
): Promise<HttpResult> {
  const registered = registry.get(functionName);
  if (!registered) throw new Error(`function ${functionName} is not registered`);
  if (triggerBindingOf(registered.metadata)?.type !== "httpTrigger") {
    throw new Error(`${functionName} is not an HTTP function`);
  }
  const body = call.body === undefined ? undefined : Buffer.from(call.body);
  const request = new HttpRequest({
    method: call.method ?? "POST",
    url: `${BASE_URL}${call.path}`,
    headers: call.headers ?? {},
    params: call.params ?? {},
    ...(body !== undefined ? { body: { bytes: body } } : {}),
  });
  let invocation: Awaited<ReturnType<typeof invokeFunction>>;
  try {
    invocation = await invokeFunction(registered, request, {
      // Keep the suite's output readable: the handlers log every refusal.
      logHandler: () => undefined,
      ...(call.durableClient ? { durableClientData: call.durableClient } : {}),
    });
  } catch (error) {
    // What the host does with an unhandled exception: 500, no body, no output bindings written.
    return {
      status: 500,
      headers: new Headers(),
      mediaType: undefined,
      text: "",
      json: undefined,
      outputs: {},
      queueOutputs: {},
      thrown: error,
    };
  }
  const returned = invocation.result as HttpResponseInit | HttpResponse | undefined;
  const response = returned instanceof HttpResponse ? returned : new HttpResponse(returned ?? {});
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const outputs = Object.fromEntries(invocation.outputs);
  const queueOutputs: Record<string, unknown> = {};
  for (const [name, value] of invocation.outputs) {
    const binding = registered.metadata.bindings[name];
    if (binding?.type === "queue" && typeof binding.queueName === "string")
      queueOutputs[binding.queueName] = value;
  }
  return {
    status: response.status,
    headers: response.headers,
    mediaType: response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase(),
    text,
    json,
    outputs,
    queueOutputs,
  };
}

/**
 * The Durable extension's client HTTP API from the dev host, over a replay driver with no
 * orchestrations started: every worker instance is unknown (404), i.e. not running.
 */
export async function startDurableClient(registry: FunctionRegistry): Promise<DurableClientApi> {
  return startDurableClientApi(new ReplayDriver({ registry }));
}

let appSettings: Record<string, string> = {};

/**
 * Configures the app for the functions under test: merges `values` into the test's settings (an
 * undefined value removes one), parses them into an `AppConfig` and installs the dependencies built
 * from it. Nothing is written to `process.env`. Returns a function that restores the previous
 * settings.
 */
export function useAppSettings(values: Record<string, string | undefined>): () => void {
  const saved = appSettings;
  const next = { ...appSettings };
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) Reflect.deleteProperty(next, name);
    else next[name] = value;
  }
  install(next);
  return () => {
    install(saved);
  };
}

function install(settings: Record<string, string>): void {
  appSettings = settings;
  // Incomplete settings (a test still assembling them) are installed when they parse.
  const config = tryLoadConfig(settings);
  if (config) useDependencies(createDependencies(config));
  else resetDependencies();
}

function tryLoadConfig(settings: Record<string, string>): AppConfig | undefined {
  try {
    return loadConfig(settings);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// openapi.json as the oracle: ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) over the document.

interface OpenApiMediaType {
  schema?: unknown;
}
interface OpenApiResponse {
  description?: string;
  headers?: Record<string, { required?: boolean; $ref?: string }>;
  content?: Record<string, OpenApiMediaType>;
}
export interface OpenApiOperation {
  operationId: string;
  parameters?: { $ref?: string; name?: string; in?: string }[];
  requestBody?: {
    content: Record<string, OpenApiMediaType & { examples?: Record<string, { value: unknown }> }>;
  };
  responses: Record<string, OpenApiResponse>;
  security?: unknown[];
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, { type: string; in?: string; name?: string }>;
    headers?: Record<string, { required?: boolean }>;
  };
  security?: Record<string, unknown>[];
}

const escapePointerSegment = (segment: string) =>
  encodeURIComponent(segment.replace(/~/g, "~0").replace(/\//g, "~1"));

export class OpenApiContract {
  readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly doc: OpenApiDocument) {
    // strict: false — OpenAPI annotations (examples, description on $ref siblings) are not ajv keywords.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    this.ajv.addSchema(doc, "openapi");
  }

  static load(): OpenApiContract {
    const text = readFileSync(join(__dirname, "..", "..", "openapi.json"), "utf8");
    return new OpenApiContract(JSON.parse(text) as OpenApiDocument);
  }

  /** A validator for the schema at a JSON pointer into the document (segments unescaped). */
  validatorAt(...segments: string[]): ValidateFunction {
    const ref = `openapi#/${segments.map(escapePointerSegment).join("/")}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate;
  }

  schemaValidator(name: string): ValidateFunction {
    return this.validatorAt("components", "schemas", name);
  }

  operation(path: string, method: string): OpenApiOperation {
    const operation = this.doc.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`openapi.json has no ${method} ${path}`);
    return operation;
  }

  /**
   * Everything about `result` that openapi.json does not allow for that operation: an undocumented
   * status, an undocumented media type, a body the status's schema refuses, a missing required header.
   */
  violations(path: string, method: string, result: HttpResult): string[] {
    const operation = this.operation(path, method);
    const response = operation.responses[String(result.status)];
    if (!response) return [`status ${result.status} is not documented for ${method} ${path}: ${result.text}`];
    const problems: string[] = [];
    const documented = Object.keys(response.content ?? {});
    if (documented.length === 0) {
      if (result.text !== "") problems.push(`status ${result.status} documents no body, got ${result.text}`);
    } else if (result.mediaType === undefined || !documented.includes(result.mediaType)) {
      problems.push(
        `content-type ${result.mediaType ?? "(none)"} is not one of ${documented.join(", ")} for ${result.status}`,
      );
    } else {
      const validate = this.validatorAt(
        "paths",
        path,
        method.toLowerCase(),
        "responses",
        String(result.status),
        "content",
        result.mediaType,
        "schema",
      );
      if (!validate(result.json)) {
        problems.push(
          `body does not match the ${result.status} schema: ${this.ajv.errorsText(validate.errors)}; body ${result.text}`,
        );
      }
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const required =
        header.required ??
        (header.$ref ? this.doc.components.headers?.[header.$ref.split("/").pop() ?? ""]?.required : false);
      if (required && result.headers.get(name) === null) problems.push(`required header ${name} is missing`);
    }
    return problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Standard Webhooks, implemented here from the spec (not with the app's own signer).

/** A `whsec_` secret from bytes. */
export function webhookSecret(bytes: string): string {
  return `whsec_${Buffer.from(bytes).toString("base64")}`;
}

/** `webhook-*` headers for `body`: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the secret's bytes. */
export function webhookHeaders(
  secret: string,
  body: string,
  options: { id?: string; timestamp?: number } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` };
}
