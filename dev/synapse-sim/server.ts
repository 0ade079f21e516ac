// The HTTP front of the simulator: routes requests to the spec's operations, injects faults, checks the bearer
// token and api-version, validates bodies against the spec, dispatches to the state machine and records every call.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { BodyTooLargeError, parseJsonBody, readBody, sendEmpty, sendJson } from "../http";
import { ARM_CONTROL_PREFIX, ARM_PATH_PREFIX, handleArm, handleArmControl } from "./arm/armServer";
import type { ArmSpec } from "./arm/armSpec";
import type { ArmState } from "./arm/armState";
import { errorBody, SimHttpError, type CloudError, type ErrorShape } from "./cloudError";
import { CONTROL_PREFIX, handleControl, type ControlDeps } from "./controlEndpoint";
import { FAULT_CODES, type FaultAction } from "./faults";
import type { EditTablesRequestWire, QueryTableStatusRequestWire } from "./linkRecords";
import { GET_LINKED_SERVICE, LINKED_SERVICE_API_VERSION, linkedServiceSpec } from "./linkedServiceSpec";
import { API_VERSIONS, isApiVersion, type ApiVersion, type SpecOperation } from "./specDocument";
import { dropNulls, invalidRequestContent, type SpecValidator } from "./specValidator";

export interface ServerDeps extends ControlDeps {
  validator: SpecValidator;
  operations: SpecOperation[];
  /** When set, the bearer token must equal it. */
  token?: string;
  /** ListByWorkspace page size. */
  pageSize: number;
  /** The management plane (workspace, SQL pools) served under /subscriptions/ (arm/armServer.ts). */
  arm?: { state: ArmState; spec: ArmSpec };
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Routed {
  operation: SpecOperation;
  linkConnection?: string;
}

type Json = Record<string, unknown>;

export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res, deps).catch((e: unknown) => {
      // Last resort: the request is already recorded or the socket is gone; never crash the server.
      if (!res.headersSent && !res.destroyed) {
        const shape = deps.profile.errorShape;
        send(
          res,
          e instanceof BodyTooLargeError
            ? { status: 413, body: cloudError(shape, "RequestEntityTooLarge", e.message) }
            : {
                status: 500,
                body: cloudError(shape, "InternalServerError", `Simulator error: ${String(e)}`),
              },
        );
      }
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "http://sim.invalid");
  const rawBody = await readBody(req);

  if (deps.arm && url.pathname.toLowerCase().startsWith(ARM_PATH_PREFIX)) {
    const { state: arm, spec } = deps.arm;
    const { faults, clock, calls, token } = deps;
    await handleArm(req, res, method, url, { arm, spec, faults, clock, calls, ...(token ? { token } : {}) });
    return;
  }
  if (url.pathname.startsWith(CONTROL_PREFIX)) {
    let body: unknown;
    try {
      body = parseJsonBody(rawBody);
    } catch {
      send(res, {
        status: 400,
        body: { error: { code: "InvalidControlRequest", message: "The body is not valid JSON." } },
      });
      return;
    }
    send(
      res,
      deps.arm && url.pathname.startsWith(ARM_CONTROL_PREFIX)
        ? handleArmControl(method, url.pathname, body, deps.arm.state)
        : handleControl(method, url.pathname, body, deps),
    );
    return;
  }

  const apiVersion = url.searchParams.get("api-version") ?? undefined;
  const linkedService = linkedServiceSpec().pathPattern.exec(url.pathname);
  if (linkedService?.[1] !== undefined) {
    await handleLinkedService(req, res, method, url, decodeURIComponent(linkedService[1]), deps);
    return;
  }
  const routed = route(deps.operations, method, url.pathname);
  const call = {
    operationId: routed && "operation" in routed ? routed.operation.operationId : "Unknown",
    method,
    path: url.pathname,
    ...(routed && "operation" in routed && routed.linkConnection !== undefined
      ? { linkConnection: routed.linkConnection }
      : {}),
    ...(apiVersion === undefined ? {} : { apiVersion }),
    ...(rawBody.length === 0 ? {} : { body: parseJsonLeniently(rawBody) }),
    at: deps.clock.now(),
  };
  const record = (status: number): void => {
    deps.calls.push({ ...call, status });
  };

  if (!routed || !("operation" in routed)) {
    const shape = deps.profile.errorShape;
    const reply: Reply = routed
      ? {
          status: 405,
          body: cloudError(
            shape,
            "MethodNotAllowed",
            `${method} is not supported on ${url.pathname}; use ${routed.allowed.join(", ")}.`,
          ),
        }
      : {
          status: 404,
          body: cloudError(shape, "NotFound", `No operation matches ${method} ${url.pathname}.`),
        };
    record(reply.status);
    send(res, reply);
    return;
  }

  const decision = deps.faults.decide(routed.operation.operationId);
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  if (decision.action) {
    const reply = faultReply(decision.action, deps.profile.errorShape);
    record(reply?.status ?? 0);
    if (reply) send(res, reply);
    else req.socket.destroy();
    return;
  }

  const reply = answer(routed, apiVersion, rawBody, url, req, deps);
  record(reply.status);
  send(res, reply);
}

/**
 * `/linkedservices/{name}` of the artifacts API (spec/artifacts/2020-12-01): only LinkedService_GetLinkedService is
 * served (the app never writes linked services). Faults, bearer token, api-version `2020-12-01` and the spec's
 * name rule are checked as for link connections; an unknown name is a 404 in the profile's error shape.
 */
async function handleLinkedService(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  url: URL,
  name: string,
  deps: ServerDeps,
): Promise<void> {
  const apiVersion = url.searchParams.get("api-version") ?? undefined;
  const operationId = method === "GET" ? GET_LINKED_SERVICE : "Unknown";
  const record = (status: number): void => {
    deps.calls.push({
      operationId,
      method,
      path: url.pathname,
      ...(apiVersion === undefined ? {} : { apiVersion }),
      at: deps.clock.now(),
      status,
    });
  };
  const shape = deps.profile.errorShape;
  if (method !== "GET") {
    const reply = {
      status: 405,
      body: cloudError(
        shape,
        "MethodNotAllowed",
        `${method} is not supported on ${url.pathname}; the simulator serves GET only.`,
      ),
    };
    record(reply.status);
    send(res, reply);
    return;
  }
  const decision = deps.faults.decide(operationId);
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  if (decision.action) {
    const reply = faultReply(decision.action, shape);
    record(reply?.status ?? 0);
    if (reply) send(res, reply);
    else req.socket.destroy();
    return;
  }
  let reply: Reply;
  try {
    checkBearer(req.headers.authorization, deps.token);
    if (apiVersion !== LINKED_SERVICE_API_VERSION) {
      throw new SimHttpError(
        400,
        apiVersion === undefined ? "MissingApiVersionParameter" : "UnsupportedApiVersion",
        apiVersion === undefined
          ? `The api-version query parameter is required; supported: ${LINKED_SERVICE_API_VERSION}.`
          : `The api-version '${apiVersion}' is not supported for linked services; supported: ${LINKED_SERVICE_API_VERSION}.`,
      );
    }
    const rule = linkedServiceSpec().nameRule;
    if (name.length < rule.minLength || name.length > rule.maxLength || !rule.pattern.test(name)) {
      throw new SimHttpError(
        400,
        "InvalidParameter",
        `The linked service name '${name}' does not match the spec (pattern ${rule.pattern.source}, ${rule.minLength}-${rule.maxLength} characters).`,
      );
    }
    const body = deps.state.linkedService(name);
    if (!body) {
      throw new SimHttpError(404, "LinkedServiceNotFound", `The linked service '${name}' does not exist.`);
    }
    reply = { status: 200, body };
  } catch (e) {
    if (!(e instanceof SimHttpError)) throw e;
    reply = { status: e.status, body: e.body(shape) };
  }
  record(reply.status);
  send(res, reply);
}

/** Everything after routing and faults: auth, api-version, body, then the operation itself. */
function answer(
  routed: Routed,
  apiVersion: string | undefined,
  rawBody: Buffer,
  url: URL,
  req: IncomingMessage,
  deps: ServerDeps,
): Reply {
  try {
    checkBearer(req.headers.authorization, deps.token);
    const version = checkApiVersion(apiVersion);
    const { operation } = routed;
    let body: unknown;
    if (operation.body) {
      try {
        body = dropNulls(parseJsonBody(rawBody));
      } catch {
        throw new SimHttpError(
          400,
          "InvalidRequestContent",
          "The request content was invalid: the body is not valid JSON.",
        );
      }
      const issues = deps.validator.validateRequestBody(version, operation.operationId, body);
      if (issues.length > 0) throw invalidRequestContent(issues);
    }
    return dispatch(operation.operationId, routed.linkConnection ?? "", body, version, url, req, deps);
  } catch (e) {
    if (e instanceof SimHttpError) return { status: e.status, body: e.body(deps.profile.errorShape) };
    throw e;
  }
}

function dispatch(
  operationId: string,
  linkName: string,
  body: unknown,
  version: ApiVersion,
  url: URL,
  req: IncomingMessage,
  deps: ServerDeps,
): Reply {
  const { state } = deps;
  const ok = (result?: unknown): Reply => ({
    status: 200,
    ...(result === undefined ? {} : { body: result }),
  });
  switch (operationId) {
    case "LinkConnection_ListByWorkspace":
      return ok(listPage(state.listResources(), url, version, req, deps.pageSize));
    case "LinkConnection_CreateOrUpdate":
      return ok(state.createOrUpdate(linkName, body as Json, version));
    case "LinkConnection_Get":
      return ok(state.getResource(linkName));
    case "LinkConnection_Delete":
      // The spec lists 200 and 204: 200 when a link was deleted, 204 when there was none (ARM convention).
      return { status: state.delete(linkName) ? 200 : 204 };
    case "LinkConnection_EditTables":
      // REC-22/23: 200 with the whole link resource (the spec declares no body: profile editAnswer:empty).
      return ok(state.editTables(linkName, body as EditTablesRequestWire));
    case "LinkConnection_Start":
      state.start(linkName);
      return ok();
    case "LinkConnection_Stop":
      state.stop(linkName);
      return ok();
    case "LinkConnection_Pause":
      state.pause(linkName);
      return ok();
    case "LinkConnection_Resume":
      state.resume(linkName);
      return ok();
    case "LinkConnection_GetDetailedStatus":
      return ok(state.detailedStatus(linkName));
    case "LinkConnection_ListLinkTables":
      return ok(state.linkTables(linkName));
    case "LinkConnection_QueryTableStatus":
      return ok(state.queryTableStatus(linkName, body as QueryTableStatusRequestWire));
    case "LinkConnection_UpdateLandingZoneCredential":
      state.updateLandingZoneCredential(linkName, body as Json);
      return ok();
    default:
      throw new SimHttpError(501, "NotImplemented", `The simulator does not implement ${operationId}.`);
  }
}

function route(
  operations: SpecOperation[],
  method: string,
  path: string,
): Routed | { allowed: string[] } | undefined {
  const matching = operations
    .map((operation) => ({ operation, match: operation.pathPattern.exec(path) }))
    .filter((m) => m.match !== null);
  if (matching.length === 0) return undefined;
  const hit = matching.find((m) => m.operation.method === method);
  if (!hit) return { allowed: matching.map((m) => m.operation.method) };
  const encoded = hit.match?.[1];
  return {
    operation: hit.operation,
    ...(encoded === undefined ? {} : { linkConnection: decodeURIComponent(encoded) }),
  };
}

function checkBearer(authorization: string | undefined, expected: string | undefined): void {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (token === undefined) {
    throw new SimHttpError(
      401,
      "AuthenticationFailed",
      "Token Authentication failed - the 'Authorization' header must carry a bearer token (audience https://dev.azuresynapse.net).",
    );
  }
  if (expected !== undefined && token !== expected) {
    // AUD-2 records AuthenticationFailed for a token the service rejects; the wording after the dash is the sim's.
    throw new SimHttpError(
      401,
      "AuthenticationFailed",
      "Token Authentication failed - the bearer token is not valid for this workspace.",
    );
  }
}

function checkApiVersion(apiVersion: string | undefined): ApiVersion {
  if (apiVersion === undefined) {
    throw new SimHttpError(
      400,
      "MissingApiVersionParameter",
      `The api-version query parameter is required; supported: ${API_VERSIONS.join(", ")}.`,
    );
  }
  if (!isApiVersion(apiVersion)) {
    throw new SimHttpError(
      400,
      "UnsupportedApiVersion",
      `The api-version '${apiVersion}' is not supported for link connections; supported: ${API_VERSIONS.join(", ")}.`,
    );
  }
  return apiVersion;
}

/**
 * One page of ListByWorkspace; nextLink is absolute and keeps api-version (the SDK follows it verbatim). The last
 * page has no nextLink key at all, as REC-23's one-page list.
 */
function listPage(all: Json[], url: URL, version: ApiVersion, req: IncomingMessage, pageSize: number): Json {
  const skip = url.searchParams.get("$skipToken");
  const offset = skip === null ? 0 : Number(skip);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new SimHttpError(400, "InvalidSkipToken", `The $skipToken '${skip ?? ""}' is not valid.`);
  }
  const next = offset + pageSize;
  const value = all.slice(offset, next);
  if (next >= all.length) return { value };
  // Behind a TLS-terminating hop (see sdkOverHttp.ts) the client saw https: keep its scheme.
  const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  const query = new URLSearchParams({ "api-version": version, $skipToken: String(next) });
  return {
    value,
    nextLink: `${proto}://${req.headers.host ?? "127.0.0.1"}/linkconnections?${query.toString()}`,
  };
}

function faultReply(action: FaultAction, shape: ErrorShape): Reply | undefined {
  if (action.kind === "reset") return undefined;
  const retry =
    action.retryAfterSeconds === undefined ? "" : ` Retry after ${action.retryAfterSeconds} seconds.`;
  return {
    status: action.status,
    body: cloudError(
      shape,
      FAULT_CODES[action.status] ?? "InjectedFault",
      `Injected fault: HTTP ${action.status}.${retry}`,
    ),
    ...(action.retryAfterSeconds === undefined
      ? {}
      : { headers: { "Retry-After": String(action.retryAfterSeconds) } }),
  };
}

function cloudError(shape: ErrorShape, code: string, message: string): CloudError {
  return errorBody(shape, { code, message });
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { "x-ms-request-id": randomUUID(), ...reply.headers };
  // Operations whose spec response has no schema answer with an empty body.
  if (reply.body === undefined) sendEmpty(res, reply.status, headers);
  else sendJson(res, reply.status, reply.body, headers);
}

/** For the call log: the parsed body, or the raw text when it is not JSON. */
function parseJsonLeniently(raw: Buffer): unknown {
  try {
    return parseJsonBody(raw);
  } catch {
    return raw.toString("utf8");
  }
}
