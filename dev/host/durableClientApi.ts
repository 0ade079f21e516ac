/**
 * The Durable extension's HTTP API (docs/durable-protocol.md §10.2 / §10.3) answered from a `ReplayDriver`, so the REAL
 * `DurableClient` of durable-functions 3.x (`df.getClient(context)` with `rpcBaseUrl` pointing here) works in a local
 * host and in tests. Plain `node:http`; mount `createDurableClientApiHandler` in a bigger server, or run it alone
 * with `startDurableClientApi`.
 *
 * Routes, relative to the base path (default `/runtime/webhooks/durabletask/`):
 *
 * | Request                                            | Answer                                                        |
 * | -------------------------------------------------- | ------------------------------------------------------------- |
 * | `POST orchestrators/{name}[/{instanceId}]`         | 202 + management payload; 400 unknown orchestrator / bad JSON;|
 * |                                                    | 500 when the id is Pending / Running (NonRunningStates)       |
 * | `GET instances/{id}`                               | 200 (Completed/Failed/Terminated) or 202 (Pending/Running); 404 |
 * | `GET instances/`                                   | 200 list; filters `runtimeStatus`, `createdTimeFrom/To`, `top`  |
 * | `POST instances/{id}/raiseEvent/{event}`           | 202; 404 unknown; 410 terminal                                |
 * | `POST instances/{id}/terminate?reason=`            | 202; 404 unknown; 410 terminal                                |
 * | `DELETE instances/{id}`                            | 200 `{instancesDeleted: 1}`; 404                              |
 * | `DELETE instances/?createdTimeFrom=...`            | 200 `{instancesDeleted: n}`; 404 when n = 0; 400 without from |
 * | `suspend`, `resume`, `rewind`, `entities/...`      | 501 (the replay driver does not support them)                 |
 *
 * Like the extension's `HttpApiHandler`, every 404 has an empty body.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { InstanceStatus, ReplayDriver, RuntimeStatus } from "../durable";
import { EventType } from "../durable";
import {
  BodyTooLargeError,
  InvalidJsonError,
  errorText,
  readJsonBody,
  sendEmpty,
  sendJson,
  serve,
} from "../http";
import {
  DEFAULT_CONNECTION_NAME,
  DEFAULT_DURABLE_BASE_PATH,
  DEFAULT_TASK_HUB_NAME,
  buildDurableClientData,
  buildManagementUrls,
  normalizeBasePath,
  type DurableClientData,
} from "./durableClientData";
import { DriverPump, type PumpClock } from "./driverPump";

export interface DurableClientApiOptions {
  /** Drives the driver after start / raiseEvent / terminate. Default: a new instant-mode pump. */
  pump?: DriverPump;
  /** Default `/runtime/webhooks/durabletask`. */
  basePath?: string;
  taskHubName?: string;
  connectionName?: string;
  /**
   * Put `code=<key>` into the management URLs this API hands out. The handler does not check it: in Azure the
   * Functions host checks the key before the extension sees the request (the local host does the same).
   */
  systemKey?: string;
  /**
   * The public origin of the management URLs this API hands out, as the extension builds them from the host's own
   * webhook URL whichever listener took the request. Default: the request's `Host` (a standalone API in tests).
   */
  origin?: string | (() => string);
  /**
   * The path of the API on `origin` in those URLs, when this handler serves another one (the extension's unkeyed
   * loopback listener answers under `/durabletask/` and hands out `/runtime/webhooks/durabletask/` URLs). Default:
   * `basePath`.
   */
  publicBasePath?: string;
  /** Unexpected errors (start episodes that threw, handler bugs). Default `console.error`. */
  onError?: (error: unknown) => void;
}

/**
 * Handles the request when its path is under the base path (and returns true); otherwise returns false.
 * `pump` is the pump the handler kicks (the one passed in, or the one it created).
 */
export type DurableClientApiHandler = ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) & {
  readonly pump: DriverPump;
};

export interface StartDurableClientApiOptions extends DurableClientApiOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Used when no `pump` is given: the clock of the pump created for this API. */
  clock?: PumpClock;
}

export interface DurableClientApi {
  /** `http://host:port<basePath>/` (ends with "/"), what `DurableClientData.rpcBaseUrl` must be. */
  rpcBaseUrl: string;
  /** `http://host:port`. */
  origin: string;
  port: number;
  pump: DriverPump;
  /** Client data for `df.getClient(context)` pointing at this API (URL templates use `origin`). */
  durableClientData: DurableClientData;
  /** Closes the server (and the pump when this function created it). */
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(["Completed", "Failed", "Terminated"]);
const EVENT_TYPE_NAMES = new Map<number, string>(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

class HttpApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers === undefined ? { status, body } : { status, body, headers };
}

function message(status: number, text: string): Reply {
  return json(status, { Message: text });
}

/** The extension answers every 404 with `request.CreateResponse(HttpStatusCode.NotFound)`: no body. */
const NOT_FOUND: Reply = { status: 404 };

/**
 * What the extension answers a start on a Pending / Running id: Azure Storage's `CreateTaskOrchestrationAsync`
 * throws `OrchestrationAlreadyExistsException` (dedupe statuses from `overridableExistingInstanceStates =
 * NonRunningStates`), which `HttpApiHandler` turns into a 500 through its catch-all (`CreateErrorResponse`).
 */
function alreadyExists(runtimeStatus: RuntimeStatus): Reply {
  return json(500, {
    Message: "Something went wrong while processing your request",
    ExceptionMessage: `An Orchestration instance with the status ${runtimeStatus} already exists.`,
    ExceptionType: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
    StackTrace: null,
  });
}

/** The client sends `JSON.stringify(value)`, or an empty body for `undefined`. */
async function readInput(req: IncomingMessage): Promise<unknown> {
  try {
    return await readJsonBody(req);
  } catch (error) {
    if (error instanceof InvalidJsonError || error instanceof BodyTooLargeError) {
      throw new HttpApiError(error instanceof BodyTooLargeError ? 413 : 400, error.message);
    }
    throw error;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) sendEmpty(res, reply.status, reply.headers);
  else sendJson(res, reply.status, reply.body, reply.headers);
}

/** Exactly the fields `DurableOrchestrationStatus` reads (§10.2): `input` and `output` always present. */
function statusBody(
  status: InstanceStatus,
  options: { showInput: boolean; history?: unknown[] | undefined },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: status.name,
    instanceId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    input: options.showInput ? (status.input ?? null) : null,
    customStatus: status.customStatus ?? null,
    output: status.output ?? null,
    createdTime: status.createdTime,
    lastUpdatedTime: status.lastUpdatedTime,
  };
  if (options.history !== undefined) body.historyEvents = options.history;
  return body;
}

function boolParam(params: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = params.get(name);
  return value === null ? fallback : value.toLowerCase() === "true";
}

function dateParam(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === "") return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HttpApiError(400, `${name} is not a valid date: '${value}'.`);
  return ms;
}

interface InstanceFilter {
  from?: number | undefined;
  to?: number | undefined;
  statuses?: Set<string> | undefined;
}

function parseFilter(params: URLSearchParams): InstanceFilter {
  const statuses = params.get("runtimeStatus");
  return {
    from: dateParam(params, "createdTimeFrom"),
    to: dateParam(params, "createdTimeTo"),
    statuses:
      statuses === null || statuses === ""
        ? undefined
        : new Set(statuses.split(",").map((s) => s.trim().toLowerCase())),
  };
}

function matchesFilter(
  status: { runtimeStatus: string; createdTime: string },
  filter: InstanceFilter,
): boolean {
  const created = Date.parse(status.createdTime);
  if (filter.from !== undefined && created < filter.from) return false;
  if (filter.to !== undefined && created > filter.to) return false;
  if (filter.statuses !== undefined && !filter.statuses.has(status.runtimeStatus.toLowerCase())) return false;
  return true;
}

/** Request origin as the extension sees it (Host header; x-forwarded-proto when a proxy set it). */
function requestOrigin(req: IncomingMessage): string {
  const forwarded = req.headers["x-forwarded-proto"];
  const proto = typeof forwarded === "string" && forwarded !== "" ? forwarded.split(",")[0]!.trim() : "http";
  const host = req.headers.host ?? "localhost";
  return `${proto}://${host}`;
}

/** A fixed origin (or one known once the server listens); undefined when none was given. */
function publicOrigin(origin: DurableClientApiOptions["origin"]): string | undefined {
  return typeof origin === "function" ? origin() : origin;
}

/**
 * The request handler. Paths outside the base path are left alone (returns false) so a bigger host can chain
 * handlers: `if (await durableApi(req, res)) return;`.
 */
export function createDurableClientApiHandler(
  driver: ReplayDriver,
  options: DurableClientApiOptions = {},
): DurableClientApiHandler {
  const pump = options.pump ?? new DriverPump(driver);
  const basePath = normalizeBasePath(options.basePath ?? DEFAULT_DURABLE_BASE_PATH);
  const prefix = `${basePath}/`;
  const urlOptions = {
    basePath: normalizeBasePath(options.publicBasePath ?? basePath),
    taskHubName: options.taskHubName ?? DEFAULT_TASK_HUB_NAME,
    connectionName: options.connectionName ?? DEFAULT_CONNECTION_NAME,
    ...(options.systemKey === undefined ? {} : { systemKey: options.systemKey }),
  };
  const reportError =
    options.onError ??
    ((error: unknown) => {
      console.error("[dev host] durable client API:", error);
    });

  const kick = (): void => {
    void pump.kick();
  };

  async function start(
    req: IncomingMessage,
    name: string,
    instanceIdParam: string | undefined,
  ): Promise<Reply> {
    const input = await readInput(req);
    // The extension generates a GUID ("N" format) when no id is given.
    const instanceId = instanceIdParam ?? randomUUID().replace(/-/g, "");
    const reply = await pump.exclusive(async (): Promise<Reply> => {
      const existing = driver.getStatus(instanceId);
      if (existing !== undefined && !TERMINAL.has(existing.runtimeStatus)) {
        // overridableExistingInstanceStates = NonRunningStates (protocol §11.6).
        return alreadyExists(existing.runtimeStatus);
      }
      pump.syncClock();
      try {
        await driver.startNew(name, { instanceId, input });
      } catch (error) {
        if (/doesn't exist, is disabled, or is not an orchestrator function/.test(errorText(error))) {
          return message(400, errorText(error));
        }
        // Not reachable while start runs inside pump.exclusive (checked above); kept as the same answer.
        if (/already exists/.test(errorText(error))) return alreadyExists("Running");
        // The instance was created and its first episode failed (it is marked Failed): still accepted, like the
        // extension, whose start only enqueues the ExecutionStarted message.
        reportError(error);
      }
      const payload = buildManagementUrls(
        { ...urlOptions, origin: publicOrigin(options.origin) ?? requestOrigin(req) },
        instanceId,
      );
      return json(202, payload, { Location: payload.statusQueryGetUri, "Retry-After": "10" });
    });
    if (reply.status === 202) kick();
    return reply;
  }

  function getInstance(instanceId: string, params: URLSearchParams): Reply {
    const status = driver.getStatus(instanceId);
    if (status === undefined) return NOT_FOUND;
    const history = boolParam(params, "showHistory", false)
      ? driver.getHistory(instanceId).map((event) => ({
          ...event,
          EventType: EVENT_TYPE_NAMES.get(event.EventType) ?? event.EventType,
        }))
      : undefined;
    const body = statusBody(status, { showInput: boolParam(params, "showInput", true), history });
    let code = 202;
    if (TERMINAL.has(status.runtimeStatus)) {
      code =
        status.runtimeStatus === "Failed" && boolParam(params, "returnInternalServerErrorOnFailure", false)
          ? 500
          : 200;
    }
    return json(code, body);
  }

  function listInstances(req: IncomingMessage, params: URLSearchParams): Reply {
    const filter = parseFilter(params);
    const showInput = boolParam(params, "showInput", true);
    const all = driver
      .listInstances()
      .filter((s) => matchesFilter(s, filter))
      .map((s) => statusBody(s, { showInput }));
    const topParam = params.get("top");
    if (topParam === null || topParam === "") return json(200, all);
    const top = Number(topParam);
    if (!Number.isInteger(top) || top < 1) throw new HttpApiError(400, `top must be a positive integer.`);
    const tokenHeader = req.headers["x-ms-continuation-token"];
    const offset = typeof tokenHeader === "string" && /^\d+$/.test(tokenHeader) ? Number(tokenHeader) : 0;
    const page = all.slice(offset, offset + top);
    const headers: Record<string, string> =
      offset + top < all.length ? { "x-ms-continuation-token": String(offset + top) } : {};
    return json(200, page, headers);
  }

  async function raiseEvent(req: IncomingMessage, instanceId: string, eventName: string): Promise<Reply> {
    const data = await readInput(req);
    const status = driver.getStatus(instanceId);
    if (status === undefined) return NOT_FOUND;
    if (TERMINAL.has(status.runtimeStatus)) {
      return message(
        410,
        `The instance '${instanceId}' is ${status.runtimeStatus}; the event was not delivered.`,
      );
    }
    pump.syncClock();
    driver.raiseEvent(instanceId, eventName, data);
    kick();
    return { status: 202 };
  }

  function terminate(instanceId: string, params: URLSearchParams): Reply {
    const status = driver.getStatus(instanceId);
    if (status === undefined) return NOT_FOUND;
    if (TERMINAL.has(status.runtimeStatus)) {
      return message(410, `The instance '${instanceId}' is already ${status.runtimeStatus}.`);
    }
    pump.syncClock();
    driver.terminate(instanceId, params.get("reason") ?? "");
    kick();
    return { status: 202 };
  }

  /** Removes instances (and their queued work) from the driver's state, between two episodes. */
  function purge(select: (status: InstanceStatus) => boolean): Promise<number> {
    return pump.exclusive(() => {
      const selected = new Set(
        driver
          .listInstances()
          .filter(select)
          .map((s) => s.instanceId),
      );
      if (selected.size === 0) return 0;
      const snapshot = driver.exportState();
      snapshot.instances = snapshot.instances.filter((s) => !selected.has(s.instanceId));
      snapshot.queue = snapshot.queue.filter((w) => !selected.has(w.instanceId));
      driver.importState(snapshot);
      return selected.size;
    });
  }

  async function purgeOne(instanceId: string): Promise<Reply> {
    const deleted = await purge((s) => s.instanceId === instanceId);
    return deleted === 0 ? NOT_FOUND : json(200, { instancesDeleted: deleted });
  }

  async function purgeMany(params: URLSearchParams): Promise<Reply> {
    const filter = parseFilter(params);
    if (filter.from === undefined) throw new HttpApiError(400, "Please provide value for createdTimeFrom.");
    const deleted = await purge((s) => matchesFilter(s, filter));
    return deleted === 0 ? NOT_FOUND : json(200, { instancesDeleted: deleted });
  }

  async function route(req: IncomingMessage, method: string, segments: string[], params: URLSearchParams) {
    const [head, ...rest] = segments;
    const lowerHead = head?.toLowerCase();
    if (lowerHead === "orchestrators" && (rest.length === 1 || rest.length === 2) && rest[0] !== "") {
      if (method !== "POST") return message(405, "Use POST to start an orchestration.");
      return start(req, rest[0]!, rest[1] === undefined || rest[1] === "" ? undefined : rest[1]);
    }
    if (lowerHead === "instances") {
      const [instanceId, action, actionArg] = rest;
      if (instanceId === undefined || instanceId === "") {
        if (method === "GET") return listInstances(req, params);
        if (method === "DELETE") return purgeMany(params);
        return message(405, "Use GET or DELETE on instances/.");
      }
      if (action === undefined) {
        if (method === "GET") return getInstance(instanceId, params);
        if (method === "DELETE") return purgeOne(instanceId);
        return message(405, "Use GET or DELETE on instances/{id}.");
      }
      const lowerAction = action.toLowerCase();
      if (method !== "POST") return message(405, `Use POST for ${action}.`);
      if (lowerAction === "raiseevent" && actionArg !== undefined && actionArg !== "" && rest.length === 3) {
        return raiseEvent(req, instanceId, actionArg);
      }
      if (lowerAction === "terminate" && rest.length === 2) return terminate(instanceId, params);
      if (["suspend", "resume", "rewind", "restart"].includes(lowerAction) && rest.length === 2) {
        return message(501, `${action} is not supported by the local replay driver.`);
      }
    }
    if (lowerHead === "entities")
      return message(501, "Entities are not supported by the local replay driver.");
    return NOT_FOUND;
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== basePath && !url.pathname.startsWith(prefix)) return false;
    const method = (req.method ?? "GET").toUpperCase();
    let reply: Reply;
    try {
      let segments: string[];
      try {
        segments = url.pathname
          .slice(prefix.length)
          .split("/")
          .map((s) => decodeURIComponent(s));
      } catch {
        throw new HttpApiError(400, "The request path is not valid percent-encoding.");
      }
      reply = await route(req, method, segments, url.searchParams);
    } catch (error) {
      if (error instanceof HttpApiError) {
        reply = message(error.status, error.message);
      } else {
        reportError(error);
        reply = message(500, `Durable API error: ${errorText(error)}`);
      }
    }
    send(res, reply);
    return true;
  };
  return Object.assign(handler, { pump });
}

/** Runs the durable HTTP API alone on its own port. */
export async function startDurableClientApi(
  driver: ReplayDriver,
  options: StartDurableClientApiOptions = {},
): Promise<DurableClientApi> {
  const ownPump = options.pump === undefined;
  const pump =
    options.pump ?? new DriverPump(driver, options.clock === undefined ? {} : { clock: options.clock });
  const handler = createDurableClientApiHandler(driver, { ...options, pump });
  const server = await serve(
    (req, res) => {
      handler(req, res)
        .then((handled) => {
          if (!handled) send(res, message(404, "Not a durable API route."));
        })
        .catch((error: unknown) => {
          send(res, message(500, errorText(error)));
        });
    },
    { port: options.port ?? 0, host: options.host ?? "127.0.0.1" },
  );
  const { origin, port } = server;
  const basePath = normalizeBasePath(options.basePath ?? DEFAULT_DURABLE_BASE_PATH);
  const rpcBaseUrl = `${origin}${basePath}/`;
  return {
    rpcBaseUrl,
    origin,
    port,
    pump,
    durableClientData: buildDurableClientData({
      rpcBaseUrl,
      origin,
      basePath,
      ...(options.taskHubName === undefined ? {} : { taskHubName: options.taskHubName }),
      ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
      ...(options.systemKey === undefined ? {} : { systemKey: options.systemKey }),
    }),
    async close() {
      if (ownPump) await pump.close();
      await server.close();
    },
  };
}
