// The management-plane (ARM) front of the simulator, served on the same loopback server as the link-connection
// API (ARM paths start with /subscriptions/, which the data plane never uses). Checks the bearer token, the
// api-version and the spec's path-parameter rules, injects faults, answers from ArmState and records every call.
// Pause and resume are long-running: 202 + Location (+ Retry-After), then the pollers' GETs of the Location URL
// answer 202 until the operation ends on the sim clock, and 200 with the pool after (ARM's Location pattern).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { sendEmpty, sendJson } from "../../http";
import { FAULT_CODES, type FaultInjector } from "../faults";
import type { SimCall } from "../publicTypes";
import type { SimClock } from "../simClock";
import { ARM_API_VERSION, type ArmOperationId, type ArmRoute, type ArmSpec } from "./armSpec";
import type { ArmState } from "./armState";

export const ARM_PATH_PREFIX = "/subscriptions/";
export const ARM_CONTROL_PREFIX = "/_sim/arm/";

/** Seconds a 202 asks the poller to wait (ARM's Retry-After); the app polls on its own timer anyway. */
const LRO_RETRY_AFTER_SECONDS = 10;

export interface ArmDeps {
  arm: ArmState;
  spec: ArmSpec;
  faults: FaultInjector;
  clock: SimClock;
  calls: SimCall[];
  token?: string;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** ARM's error body (common-types v2 ErrorResponse). */
function errorReply(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

export async function handleArm(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  url: URL,
  deps: ArmDeps,
): Promise<void> {
  const routed = route(deps.spec.routes, method, url.pathname);
  const operationId = routed?.route.operationId ?? "Unknown";
  const apiVersion = url.searchParams.get("api-version") ?? undefined;
  const record = (status: number): void => {
    deps.calls.push({
      operationId,
      method,
      path: url.pathname,
      ...(apiVersion === undefined ? {} : { apiVersion }),
      status,
      at: deps.clock.now(),
    });
  };
  if (!routed) {
    const reply = errorReply(
      404,
      "NotFound",
      `The simulator serves no ARM operation at ${method} ${url.pathname}.`,
    );
    record(reply.status);
    send(res, reply);
    return;
  }
  const decision = deps.faults.decide(operationId);
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  if (decision.action) {
    if (decision.action.kind === "reset") {
      record(0);
      req.socket.destroy();
      return;
    }
    const { status, retryAfterSeconds } = decision.action;
    const reply = errorReply(
      status,
      FAULT_CODES[status] ?? "InjectedFault",
      `Injected fault: HTTP ${status}.`,
      retryAfterSeconds === undefined ? undefined : { "Retry-After": String(retryAfterSeconds) },
    );
    record(status);
    send(res, reply);
    return;
  }
  let reply: Reply;
  try {
    checkBearer(req.headers.authorization, deps.token);
    checkApiVersion(apiVersion);
    checkPathParameters(routed.route, routed.params);
    reply = dispatch(routed.route.operationId, routed.params, req, url, deps);
  } catch (e) {
    if (!(e instanceof ArmError)) throw e;
    reply = errorReply(e.status, e.code, e.message);
  }
  record(reply.status);
  send(res, reply);
}

function dispatch(
  operationId: ArmOperationId,
  params: Record<string, string>,
  req: IncomingMessage,
  url: URL,
  deps: ArmDeps,
): Reply {
  const { arm } = deps;
  const sub = params.subscriptionId ?? "";
  const rg = params.resourceGroupName ?? "";
  const ws = params.workspaceName ?? "";
  if (!arm.isWorkspace(sub, rg, ws)) {
    throw new ArmError(
      404,
      "ResourceNotFound",
      `The Resource 'Microsoft.Synapse/workspaces/${ws}' under resource group '${rg}' was not found.`,
    );
  }
  if (operationId === "Workspaces_Get") return { status: 200, body: arm.workspace() };
  if (operationId === "SqlPools_ListByWorkspace") return { status: 200, body: { value: arm.listPools() } };
  const pool = params.sqlPoolName ?? "";
  if (!arm.hasPool(pool)) {
    throw new ArmError(
      404,
      "ResourceNotFound",
      `The Resource 'Microsoft.Synapse/workspaces/${ws}/sqlPools/${pool}' under resource group '${rg}' was not found.`,
    );
  }
  switch (operationId) {
    case "SqlPools_Get":
      return { status: 200, body: arm.pool(pool) };
    case "SqlPools_Pause":
    case "SqlPools_Resume": {
      const started = arm.begin(pool, operationId === "SqlPools_Pause" ? "pause" : "resume");
      if (started.kind === "conflict") throw new ArmError(409, "Conflict", started.message);
      if (started.kind === "done") return { status: 200, body: started.body };
      // The Location target is the spec's SqlPoolOperationResults_GetLocationHeaderResult; absolute, because
      // the SDK's poller requests it verbatim.
      return { status: 202, headers: lroHeaders(req, url, started.operationId) };
    }
    case "SqlPoolOperationResults_GetLocationHeaderResult": {
      const result = arm.operationResult(pool, params.operationId ?? "");
      if (!result) {
        throw new ArmError(
          404,
          "OperationNotFound",
          `No operation '${params.operationId ?? ""}' on SQL pool '${pool}'.`,
        );
      }
      return result.done
        ? { status: 200, body: result.body }
        : { status: 202, body: {}, headers: lroHeaders(req, url, params.operationId ?? "") };
    }
  }
}

function lroHeaders(req: IncomingMessage, url: URL, operationId: string): Record<string, string> {
  const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  const poolPath = url.pathname.replace(/\/(pause|resume|operationResults\/[^/]+)\/?$/i, "");
  const query = new URLSearchParams({ "api-version": ARM_API_VERSION });
  return {
    Location: `${proto}://${req.headers.host ?? "127.0.0.1"}${poolPath}/operationResults/${encodeURIComponent(operationId)}?${query.toString()}`,
    "Retry-After": String(LRO_RETRY_AFTER_SECONDS),
  };
}

function route(
  routes: ArmRoute[],
  method: string,
  path: string,
): { route: ArmRoute; params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pathPattern.exec(path);
    if (!match?.groups) continue;
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(match.groups)) params[name] = decodeURIComponent(value);
    return { route: candidate, params };
  }
  return undefined;
}

function checkBearer(authorization: string | undefined, expected: string | undefined): void {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (token === undefined) {
    throw new ArmError(
      401,
      "AuthenticationFailed",
      "Authentication failed. The 'Authorization' header is missing.",
    );
  }
  if (expected !== undefined && token !== expected) {
    throw new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.");
  }
}

function checkApiVersion(apiVersion: string | undefined): void {
  if (apiVersion === undefined) {
    throw new ArmError(
      400,
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    );
  }
  if (apiVersion !== ARM_API_VERSION) {
    throw new ArmError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${apiVersion}' is invalid. The simulator serves '${ARM_API_VERSION}' (the vendored spec).`,
    );
  }
}

function checkPathParameters(armRoute: ArmRoute, params: Record<string, string>): void {
  for (const rule of armRoute.pathParameters) {
    const value = params[rule.name] ?? "";
    const bad =
      (rule.minLength !== undefined && value.length < rule.minLength) ||
      (rule.maxLength !== undefined && value.length > rule.maxLength) ||
      (rule.pattern !== undefined && !rule.pattern.test(value));
    if (bad) {
      throw new ArmError(
        400,
        "InvalidParameter",
        `The path parameter '${rule.name}' ('${value}') does not match the spec (${[
          rule.pattern ? `pattern ${rule.pattern.source}` : "",
          rule.minLength !== undefined ? `minLength ${rule.minLength}` : "",
          rule.maxLength !== undefined ? `maxLength ${rule.maxLength}` : "",
        ]
          .filter(Boolean)
          .join(", ")}).`,
      );
    }
  }
}

function send(res: ServerResponse, reply: Reply): void {
  const headers = { "x-ms-request-id": randomUUID(), ...reply.headers };
  if (reply.body === undefined) sendEmpty(res, reply.status, headers);
  else sendJson(res, reply.status, reply.body, headers);
}

/**
 * `/_sim/arm/…` (no auth): `GET state`; `POST sqlPools/{name}` with `{"status": "Paused"}` to set a status, or
 * `{"action": "pause" | "resume"}` to start the operation as the API would.
 */
export function handleArmControl(
  method: string,
  path: string,
  body: unknown,
  arm: ArmState,
): { status: number; body: unknown } {
  const trimmed = path.replace(/\/+$/, "");
  if (method === "GET" && trimmed === "/_sim/arm/state") return { status: 200, body: arm.describe() };
  const poolMatch = /^\/_sim\/arm\/sqlPools\/([^/]+)$/i.exec(trimmed);
  if (method === "POST" && poolMatch?.[1]) {
    const name = decodeURIComponent(poolMatch[1]);
    if (!arm.hasPool(name)) return controlError(404, `No SQL pool '${name}'.`);
    const input = (body ?? {}) as { status?: unknown; action?: unknown };
    if (typeof input.status === "string" && input.status.trim() !== "") {
      return { status: 200, body: arm.setStatus(name, input.status.trim()) };
    }
    if (input.action === "pause" || input.action === "resume") {
      const started = arm.begin(name, input.action);
      if (started.kind === "conflict") return controlError(409, started.message);
      return { status: 200, body: arm.pool(name) };
    }
    return controlError(400, 'Send {"status": "<any status>"} or {"action": "pause" | "resume"}.');
  }
  return controlError(
    404,
    `No control route ${method} ${trimmed}. Routes: GET /_sim/arm/state, POST /_sim/arm/sqlPools/{name}.`,
  );
}

function controlError(status: number, message: string): { status: number; body: unknown } {
  return { status, body: { error: { code: "InvalidControlRequest", message } } };
}
