/**
 * `startLocalHost`: a local stand-in for `func start` (Core Tools cannot run here), assembled from the building
 * blocks of this folder. It installs the `@azure/functions-core` stand-in, loads the app's modules and serves, on
 * one port:
 *
 * - HTTP triggers at `/<routePrefix>/<route>` (default `/api/...`), route parameters, 404 / 405;
 * - the Event Grid webhook `/runtime/webhooks/eventgrid?functionName=...` (`eventGridEndpoint.ts`);
 * - the durable client HTTP API at `/runtime/webhooks/durabletask/` (`durableClientApi.ts`), driven by one
 *   `ReplayDriver` + a realtime `DriverPump` (time × `timeScale`), its state saved in Azurite Table storage after
 *   every pump pass and on close (`durableStateStore.ts`) and resumed on start. As in Azure, that public path
 *   requires the system key (`code=` or `x-functions-key`, else 401); the app's own durable client calls the same
 *   API without a key on a second, loopback-only listener (`rpcBaseUrl`, `http://127.0.0.1:<port>/durabletask/`);
 * - queue triggers polled from Azurite (`queueTriggerPoller.ts`), timer triggers on their NCRONTAB schedules
 *   (`timerTriggers.ts`);
 * - queue outputs of every invocation, sent before the trigger completes (for HTTP: before the response is written).
 *
 * The function registry is per process (per Jest test file): modules are loaded once and a second host in the same
 * process serves the same registrations. See README.md ("Local host").
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join, resolve } from "node:path";
import { format } from "node:util";
import {
  ReplayDriver,
  installFunctionsCoreStandIn,
  runAppStartHooks,
  triggerBindingOf,
  type FunctionRegistry,
  type RegisteredFunction,
} from "../durable";
import {
  BodyTooLargeError,
  discardBody,
  errorText,
  sendEmpty,
  sendJson,
  sendText,
  serve,
  type DevHttpServer,
} from "../http";
import { findRepoRoot, loadAppModules, packageMainGlob } from "./appModules";
import { DriverPump } from "./driverPump";
import { createDurableClientApiHandler } from "./durableClientApi";
import {
  DEFAULT_DURABLE_BASE_PATH,
  buildDurableClientData,
  type DurableClientData,
} from "./durableClientData";
import { DurableStateStore } from "./durableStateStore";
import { EVENT_GRID_WEBHOOK_PATH, createEventGridHandler } from "./eventGridEndpoint";
import { readHostSettings, resolveAppSettings, type HostSettings } from "./hostConfig";
import { matchHttpRoute, readRequestBody, toHttpRequest, writeHttpResponse } from "./httpBridge";
import { invokeFunction, isDurableClientBinding, type InvocationResult } from "./invokeFunction";
import { QueueClients, normalizeQueueName, writeQueueOutputs } from "./queueMessages";
import { QueueTriggerPoller } from "./queueTriggerPoller";
import { parseTimerSchedule } from "./timerSchedule";
import { TimerTrigger } from "./timerTriggers";

export interface LocalHostOptions {
  /** Default 7071; 0 = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Modules to load. Default: package.json "main" (`dist/functions/*.js`). Relative patterns are resolved from the
   * repository root. Under ts-node / ts-jest the TypeScript sources (`functions/*.ts`) work too.
   */
  appGlob?: string;
  /** Default `<repo>/host.json`. */
  hostJsonPath?: string;
  /** Azurite (or Azure Storage); the app's AzureWebJobsStorage must be this too (the caller sets the env). */
  storageConnectionString: string;
  /** Durable timers and timer triggers run this many times faster than wall time (default 1). */
  timeScale?: number;
  /** Idle queue polling interval, default 500 ms. */
  queuePollIntervalMs?: number;
  /** Default: host.json `extensions.durableTask.hubName` (`%SETTING%` resolved), else "TestHubName". */
  taskHubName?: string;
  /** Default `console.log`. */
  log?: (line: string) => void;
  /**
   * The `durabletask_extension` system key the public durable API requires. Default: the task hub's key kept in
   * Azurite with the durable state (created on first start), so URLs handed out before a restart keep working.
   */
  systemKey?: string;
}

export interface RunningLocalHost {
  /** `http://host:port` (no trailing slash). */
  url: string;
  port: number;
  /** Stops timers, pollers and the server (waiting for running invocations), then persists the durable state. */
  close(): Promise<void>;
  /** Names of the functions served, by trigger kind. */
  functions: Record<
    "http" | "eventGrid" | "queue" | "timer" | "orchestration" | "activity" | "other",
    string[]
  >;
  taskHubName: string;
  driver: ReplayDriver;
  pump: DriverPump;
  stateStore: DurableStateStore;
  /** The `durableClient` input value every invocation gets. */
  durableClientData: DurableClientData;
  /** The key `/runtime/webhooks/durabletask/…` requires (`code=<key>` or `x-functions-key: <key>`). */
  systemKey: string;
  /** The unkeyed loopback listener of the app's durable client: `http://127.0.0.1:<port>/durabletask/`. */
  rpcBaseUrl: string;
}

/** The app's enabled functions, grouped by the trigger that starts them. */
interface DiscoveredApp {
  registry: FunctionRegistry;
  settings: HostSettings;
  taskHubName: string;
  http: RegisteredFunction[];
  eventGrid: RegisteredFunction[];
  queue: RegisteredFunction[];
  timer: RegisteredFunction[];
  functions: RunningLocalHost["functions"];
}

interface HttpRoute {
  registered: RegisteredFunction;
  template: string;
  methods: ReadonlySet<string> | undefined;
  rank: number[];
}

interface DurableParts {
  stateStore: DurableStateStore;
  driver: ReplayDriver;
  pump: DriverPump;
  systemKey: string;
}

/**
 * The extension's internal listener for the app's durable client (`LocalHttpListener`: `http://127.0.0.1:<port>/durabletask/`,
 * the `rpcBaseUrl` of the `durableClient` input); no key, loopback only.
 */
const RPC_BASE_PATH = "/durabletask";

/** What the request handler, the invocations, the triggers and `close` share. */
interface HostState {
  readonly log: (line: string) => void;
  readonly timeScale: number;
  readonly app: DiscoveredApp;
  readonly durable: DurableParts;
  readonly queueClients: QueueClients;
  readonly pollersByQueue: Map<string, QueueTriggerPoller[]>;
  /** Running invocations; `close` waits for them. */
  readonly inFlight: Set<Promise<unknown>>;
  /** `http://host:port`, and the client data pointing at it: set once the server listens. */
  origin: string;
  durableClientData: DurableClientData | undefined;
  closing: boolean;
  /** Counts the durable API requests that may change the driver (anything but GET). */
  durableMutations: number;
}

interface Triggers {
  pollers: QueueTriggerPoller[];
  timers: TimerTrigger[];
}

/** The public server and the loopback listener of the app's durable client. */
interface HostServers {
  server: DevHttpServer;
  rpc: DevHttpServer;
}

type Invoke = (
  registered: RegisteredFunction,
  input: unknown,
  triggerMetadata?: Record<string, unknown>,
) => Promise<InvocationResult>;

/** ASP.NET-like precedence of a route template: literals before constrained before plain before optional params. */
function routeRank(template: string): number[] {
  return template
    .replace(/^\/+|\/+$/g, "")
    .split("/")
    .filter((s) => s !== "")
    .map((segment) => {
      if (!segment.includes("{")) return 0;
      if (/^\{\*/.test(segment)) return 4;
      if (/\?\}/.test(segment)) return 3;
      if (/^\{[^}]*:[^}]*\}$/.test(segment)) return 1;
      return /^\{[^}]*\}$/.test(segment) ? 2 : 1; // mixed literal + parameter counts as constrained
    });
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (x !== y) return x - y;
  }
  return 0;
}

function triggerType(registered: RegisteredFunction): string {
  return triggerBindingOf(registered.metadata)?.type ?? "";
}

function hasDurableClient(registered: RegisteredFunction): boolean {
  return Object.values(registered.metadata.bindings).some(
    (b) => b.direction === "in" && isDurableClientBinding(b),
  );
}

function isDisabled(name: string): boolean {
  const value = process.env[`AzureWebJobs.${name}.Disabled`] ?? process.env[`AzureWebJobs_${name}_Disabled`];
  return value !== undefined && /^(true|1)$/i.test(value.trim());
}

/** `/<routePrefix>/`, or `/` for an empty prefix. */
function apiPrefixOf(settings: HostSettings): string {
  return settings.routePrefix === "" ? "/" : `/${settings.routePrefix}/`;
}

let appStarted = false;
async function runAppStartHooksOnce(repoRoot: string): Promise<void> {
  if (appStarted) return;
  await runAppStartHooks(repoRoot);
  appStarted = true;
}

/** Starts the local host. The app's environment (AzureWebJobsStorage etc.) must be set before. */
export async function startLocalHost(options: LocalHostOptions): Promise<RunningLocalHost> {
  const { log, timeScale } = checkOptions(options);
  const app = await discoverFunctions(options);
  const routes = buildHttpRoutes(app.http);
  const durable = await resumeDurableState(options, app, timeScale, log);
  const state = newHostState(options.storageConnectionString, { log, timeScale, app, durable });
  const invoke = createInvoker(state);
  const rpc = await serve(createRpcHandler(state), { port: 0, host: "127.0.0.1" });
  let server: DevHttpServer;
  try {
    server = await serve(createRequestHandler(state, routes, invoke), {
      port: options.port ?? 7071,
      host: options.host ?? "127.0.0.1",
      portInUseHint: "set DEV_HOST_PORT / options.port",
    });
  } catch (error) {
    await rpc.close();
    await durable.pump.close();
    throw error;
  }
  const servers = { server, rpc };
  const durableClientData = setOrigin(state, server.origin, rpc.origin);
  const triggers = await createTriggers(state, invoke, servers, options.queuePollIntervalMs ?? 500);
  printBanner(state, routes, triggers.pollers);
  startTriggers(state, triggers);

  let closed: Promise<void> | undefined;
  return {
    url: server.origin,
    port: server.port,
    close: () => (closed ??= closeHost(state, triggers, servers)),
    functions: app.functions,
    taskHubName: app.taskHubName,
    ...durable,
    durableClientData,
    rpcBaseUrl: durableClientData.rpcBaseUrl,
  };
}

/** Validates the options; the log and time scale with their defaults. */
function checkOptions(options: LocalHostOptions): Pick<HostState, "log" | "timeScale"> {
  const log =
    options.log ??
    ((line: string) => {
      console.log(line);
    });
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new Error(`timeScale must be a finite number > 0, got ${timeScale}`);
  }
  if (options.storageConnectionString.trim() === "") throw new Error("storageConnectionString is required");
  return { log, timeScale };
}

/** Registrations: the `@azure/functions-core` stand-in first, then the app's modules (once per process). */
async function discoverFunctions(options: LocalHostOptions): Promise<DiscoveredApp> {
  const registry: FunctionRegistry = installFunctionsCoreStandIn();
  const repoRoot = findRepoRoot();
  const settings = readHostSettings(options.hostJsonPath ?? join(repoRoot, "host.json"));
  const appGlob = options.appGlob ?? packageMainGlob(repoRoot);
  loadAppModules(resolve(repoRoot, appGlob), repoRoot);
  // As the worker does after loading the app: a bad setting fails the start, naming the setting.
  await runAppStartHooksOnce(repoRoot);
  const enabled = [...registry.values()].filter((f) => !isDisabled(f.metadata.name));
  return {
    registry,
    settings,
    taskHubName: options.taskHubName ?? settings.hubName,
    ...groupByTrigger(enabled),
  };
}

function groupByTrigger(
  all: RegisteredFunction[],
): Pick<DiscoveredApp, "http" | "eventGrid" | "queue" | "timer" | "functions"> {
  const byTrigger = (type: string) => all.filter((f) => triggerType(f).toLowerCase() === type.toLowerCase());
  const groups = {
    http: byTrigger("httpTrigger"),
    eventGrid: byTrigger("eventGridTrigger"),
    queue: byTrigger("queueTrigger"),
    timer: byTrigger("timerTrigger"),
  };
  const names = (list: RegisteredFunction[]) => list.map((f) => f.metadata.name);
  const known = new Set([...groups.http, ...groups.eventGrid, ...groups.queue, ...groups.timer]);
  const other = all.filter((f) => {
    const type = triggerType(f);
    return !known.has(f) && type !== "orchestrationTrigger" && type !== "activityTrigger";
  });
  return {
    ...groups,
    functions: {
      http: names(groups.http),
      eventGrid: names(groups.eventGrid),
      queue: names(groups.queue),
      timer: names(groups.timer),
      orchestration: names(byTrigger("orchestrationTrigger")),
      activity: names(byTrigger("activityTrigger")),
      other: names(other),
    },
  };
}

/** The HTTP triggers' routes, most specific first. */
function buildHttpRoutes(httpFunctions: RegisteredFunction[]): HttpRoute[] {
  return httpFunctions
    .map((registered) => {
      const trigger = triggerBindingOf(registered.metadata)!;
      const template =
        typeof trigger.route === "string" && trigger.route !== "" ? trigger.route : registered.metadata.name;
      const methods = Array.isArray(trigger.methods)
        ? new Set((trigger.methods as string[]).map((m) => m.toUpperCase()))
        : undefined;
      return { registered, template, methods, rank: routeRank(template) };
    })
    .sort((a, b) => compareRanks(a.rank, b.rank));
}

/** Durable: the state store, the driver (resumed from the saved state) and its pump. */
async function resumeDurableState(
  options: LocalHostOptions,
  app: DiscoveredApp,
  timeScale: number,
  log: (line: string) => void,
): Promise<DurableParts> {
  const { taskHubName } = app;
  const connectionString = options.storageConnectionString;
  const stateStore = await new DurableStateStore({ connectionString, taskHubName }).open();
  const systemKey = options.systemKey ?? (await stateStore.systemKey());
  if (systemKey.trim() === "") throw new Error("systemKey must not be empty");
  const driver = new ReplayDriver({
    registry: app.registry,
    startTime: new Date(),
    activityLatencyMs: 0,
    onLog: (instanceId, level, message) => {
      log(`[orchestration ${instanceId}] ${level === "information" ? "" : `${level}: `}${message}`);
    },
  });
  const saved = await stateStore.load();
  if (saved === undefined) {
    stateStore.assumeSaved(driver.exportState());
  } else {
    driver.importState(saved);
    // Continue from max(saved virtual now, wall clock): timers are neither stuck in the past nor skipped.
    driver.advanceTo(Date.now());
    const running = driver
      .listInstances()
      .filter((s) => s.runtimeStatus === "Running" || s.runtimeStatus === "Pending");
    log(
      `Durable state of task hub '${taskHubName}' resumed: ${saved.instances.length} instance(s), ` +
        `${running.length} running, ${saved.queue.length} queued work item(s)`,
    );
  }
  const pump = new DriverPump(driver, {
    clock: { mode: "realtime", scale: timeScale },
    onError: (error) => {
      log(`[durable] ${errorText(error)}`);
    },
    checkpoint: async () => {
      await stateStore.save(driver.exportState());
    },
  });
  return { stateStore, driver, pump, systemKey };
}

function newHostState(
  storageConnectionString: string,
  parts: Pick<HostState, "log" | "timeScale" | "app" | "durable">,
): HostState {
  return {
    ...parts,
    queueClients: new QueueClients({ defaultConnectionString: storageConnectionString }),
    pollersByQueue: new Map(),
    inFlight: new Set(),
    origin: "",
    durableClientData: undefined,
    closing: false,
    durableMutations: 0,
  };
}

/**
 * The origins are known once the servers listen; so is the `durableClient` input: calls go to the unkeyed loopback
 * listener, the URL templates (`createCheckStatusResponse`) to the public path with `code=<system key>`, as the
 * extension builds them.
 */
function setOrigin(state: HostState, origin: string, rpcOrigin: string): DurableClientData {
  state.origin = origin;
  state.durableClientData = buildDurableClientData({
    rpcBaseUrl: `${rpcOrigin}${RPC_BASE_PATH}/`,
    origin,
    taskHubName: state.app.taskHubName,
    systemKey: state.durable.systemKey,
  });
  return state.durableClientData;
}

/** The key a request presents, as the Functions host reads it: `x-functions-key` header, else `code` query. */
function presentedKey(req: IncomingMessage): string | undefined {
  const header = req.headers["x-functions-key"];
  if (typeof header === "string" && header !== "") return header;
  return new URL(req.url ?? "/", "http://localhost").searchParams.get("code") ?? undefined;
}

function isSystemKey(presented: string | undefined, systemKey: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(systemKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The durable API options both listeners share: the same pump, URLs to the public path with the key. */
function durableApiOptions(state: HostState) {
  return {
    pump: state.durable.pump,
    taskHubName: state.app.taskHubName,
    systemKey: state.durable.systemKey,
    origin: () => state.origin,
    publicBasePath: DEFAULT_DURABLE_BASE_PATH,
    onError: (error: unknown) => {
      state.log(`[durable] ${errorText(error)}`);
    },
  };
}

/** The loopback listener of the app's durable client: the durable API under `/durabletask/`, nothing else. */
function createRpcHandler(state: HostState): (req: IncomingMessage, res: ServerResponse) => void {
  const durableApi = createDurableClientApiHandler(state.durable.driver, {
    ...durableApiOptions(state),
    basePath: RPC_BASE_PATH,
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if ((req.method ?? "GET").toUpperCase() !== "GET") state.durableMutations++;
    if (await durableApi(req, res)) return;
    await discardBody(req);
    sendEmpty(res, 404);
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      state.log(`[dev host] durable RPC ${req.method ?? ""} ${req.url ?? ""} failed: ${errorText(error)}`);
      if (!res.headersSent) sendText(res, 500, "");
    });
  };
}

/** Runs a function like the worker, then sends its queue outputs; logs one line per invocation. */
function createInvoker(state: HostState): Invoke {
  return async (registered, input, triggerMetadata) => {
    const name = registered.metadata.name;
    const invocationId = randomUUID();
    const started = Date.now();
    const run = runInvocation(state, registered, input, invocationId, triggerMetadata);
    state.inFlight.add(run);
    try {
      const invocation = await run;
      state.log(`Executed '${name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      return invocation;
    } catch (error) {
      state.log(
        `Executed '${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${errorText(error)}`,
      );
      throw error;
    } finally {
      state.inFlight.delete(run);
    }
  };
}

async function runInvocation(
  state: HostState,
  registered: RegisteredFunction,
  input: unknown,
  invocationId: string,
  triggerMetadata: Record<string, unknown> | undefined,
): Promise<InvocationResult> {
  const name = registered.metadata.name;
  const mutationsBefore = state.durableMutations;
  const invocation = await invokeFunction(registered, input, {
    invocationId,
    durableClientData: state.durableClientData,
    ...(triggerMetadata === undefined ? {} : { triggerMetadata }),
    logHandler: (level, ...args) => {
      state.log(`[${name}] ${level === "information" ? "" : `${level}: `}${format(...args)}`);
    },
  });
  const written = await writeQueueOutputs(
    state.queueClients,
    registered.metadata,
    invocation,
    state.app.settings.queues.messageEncoding,
  );
  for (const queueName of new Set(written)) {
    for (const poller of state.pollersByQueue.get(queueName) ?? []) poller.poke();
  }
  // raiseEvent / terminate change the driver outside a pump pass: persist before the trigger completes.
  if (hasDurableClient(registered) && state.durableMutations !== mutationsBefore) {
    await state.durable.pump.exclusive(() => undefined);
  }
  return invocation;
}

/** The paths the host serves on its one port, and what answers them. */
interface RequestRouting {
  state: HostState;
  routes: HttpRoute[];
  invoke: Invoke;
  durableApi: ReturnType<typeof createDurableClientApiHandler>;
  eventGrid: ReturnType<typeof createEventGridHandler>;
  /** `/<routePrefix>/`, or `/` for an empty prefix. */
  apiPrefix: string;
}

function createRequestHandler(
  state: HostState,
  routes: HttpRoute[],
  invoke: Invoke,
): (req: IncomingMessage, res: ServerResponse) => void {
  const routing: RequestRouting = {
    state,
    routes,
    invoke,
    durableApi: createDurableClientApiHandler(state.durable.driver, durableApiOptions(state)),
    eventGrid: createEventGridHandler({
      findFunction: (name) =>
        state.app.eventGrid.find((f) => f.metadata.name.toLowerCase() === name.toLowerCase()),
      invoke: (registered, event) => invoke(registered, event),
      onError: () => {
        // already logged by invoke
      },
    }),
    apiPrefix: apiPrefixOf(state.app.settings),
  };
  return (req, res) => {
    handleRequest(routing, req, res).catch((error: unknown) => {
      state.log(`[dev host] request ${req.method ?? ""} ${req.url ?? ""} failed: ${errorText(error)}`);
      if (error instanceof BodyTooLargeError) sendText(res, 413, error.message);
      else sendText(res, 500, "");
    });
  };
}

async function handleRequest(
  routing: RequestRouting,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { state, apiPrefix } = routing;
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const method = (req.method ?? "GET").toUpperCase();
  if (path === DEFAULT_DURABLE_BASE_PATH || path.startsWith(`${DEFAULT_DURABLE_BASE_PATH}/`)) {
    // The Functions host answers an extension webhook without its system key 401, before the extension runs.
    if (!isSystemKey(presentedKey(req), state.durable.systemKey)) {
      await discardBody(req);
      sendEmpty(res, 401);
      return;
    }
    if (method !== "GET") state.durableMutations++;
    if (await routing.durableApi(req, res)) return;
  }
  if (path === "/" || path === "/admin/host/status") {
    const status = state.closing ? "Stopping" : "Running";
    sendJson(res, 200, {
      state: status,
      host: "dev host",
      url: state.origin,
      functions: state.app.functions,
    });
    return;
  }
  if (state.closing) {
    await discardBody(req);
    sendText(res, 503, "The host is shutting down");
    return;
  }
  if (path.replace(/\/+$/, "").toLowerCase() === EVENT_GRID_WEBHOOK_PATH) {
    await routing.eventGrid(req, res);
    return;
  }
  const lowerPath = path.toLowerCase();
  if (lowerPath.startsWith(apiPrefix.toLowerCase()) || lowerPath === apiPrefix.slice(0, -1)) {
    await serveHttpTrigger(routing, req, res, path.slice(apiPrefix.length));
    return;
  }
  await discardBody(req);
  sendText(res, 404, `Not found: ${path}`);
}

/** An HTTP-triggered function by route and method (404 / 405 otherwise); a failed invocation answers 500. */
async function serveHttpTrigger(
  routing: RequestRouting,
  req: IncomingMessage,
  res: ServerResponse,
  relativePath: string,
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const matches = routing.routes
    .map((route) => ({ route, params: matchHttpRoute(route.template, relativePath) }))
    .filter((m): m is { route: HttpRoute; params: Record<string, string> } => m.params !== undefined);
  if (matches.length === 0) {
    await discardBody(req);
    sendText(res, 404, `No function matches ${method} ${req.url ?? ""}`);
    return;
  }
  const hit = matches.find((m) => m.route.methods === undefined || m.route.methods.has(method));
  if (hit === undefined) {
    await discardBody(req);
    const allowed = [...new Set(matches.flatMap((m) => [...(m.route.methods ?? [])]))].join(", ");
    sendText(res, 405, `Method ${method} is not allowed for this route`, { Allow: allowed });
    return;
  }
  const body = await readRequestBody(req);
  const request = toHttpRequest(req, body, { params: hit.params, origin: routing.state.origin });
  try {
    const invocation = await routing.invoke(hit.route.registered, request);
    const returnBinding = hit.route.registered.metadata.bindings.$return;
    await writeHttpResponse(res, returnBinding?.type === "http" ? invocation.result : undefined);
  } catch (error) {
    if (!res.headersSent && !res.destroyed) sendText(res, 500, "");
    else res.destroy(error instanceof Error ? error : undefined);
  }
}

/** Queue pollers and timers (not started yet); a bad schedule closes the server and the pump, then throws. */
async function createTriggers(
  state: HostState,
  invoke: Invoke,
  servers: HostServers,
  pollIntervalMs: number,
): Promise<Triggers> {
  try {
    return {
      pollers: createQueuePollers(state, invoke, pollIntervalMs),
      timers: createTimerTriggers(state, invoke),
    };
  } catch (error) {
    await Promise.all([servers.server.close(), servers.rpc.close()]);
    await state.durable.pump.close();
    throw error;
  }
}

function createQueuePollers(state: HostState, invoke: Invoke, pollIntervalMs: number): QueueTriggerPoller[] {
  const { settings } = state.app;
  return state.app.queue.map((registered) => {
    const trigger = triggerBindingOf(registered.metadata)!;
    const queueName = normalizeQueueName(String(trigger.queueName));
    const connection = typeof trigger.connection === "string" ? trigger.connection : undefined;
    const poisonName = `${queueName}-poison`;
    const poller = new QueueTriggerPoller({
      functionName: registered.metadata.name,
      queue: state.queueClients.queue(queueName, connection),
      ...(queueName.endsWith("-poison") || poisonName.length > 63
        ? {}
        : { poisonQueue: state.queueClients.queue(poisonName, connection) }),
      batchSize: settings.queues.batchSize,
      maxDequeueCount: settings.queues.maxDequeueCount,
      visibilityTimeoutMs: settings.queues.visibilityTimeoutMs,
      messageEncoding: settings.queues.messageEncoding,
      pollIntervalMs,
      handle: (input, triggerMetadata) => invoke(registered, input, triggerMetadata),
      log: state.log,
    });
    state.pollersByQueue.set(queueName, [...(state.pollersByQueue.get(queueName) ?? []), poller]);
    return poller;
  });
}

function createTimerTriggers(state: HostState, invoke: Invoke): TimerTrigger[] {
  return state.app.timer.map((registered) => {
    const trigger = triggerBindingOf(registered.metadata)!;
    return new TimerTrigger({
      functionName: registered.metadata.name,
      schedule: parseTimerSchedule(resolveAppSettings(String(trigger.schedule))),
      runOnStartup: trigger.runOnStartup === true,
      timeScale: state.timeScale,
      invoke: (timer) => invoke(registered, timer),
      onError: () => {
        // already logged by invoke
      },
    });
  });
}

/** One line per function: where it listens, or what triggers it. */
function printBanner(state: HostState, routes: HttpRoute[], pollers: QueueTriggerPoller[]): void {
  const { log, origin, app } = state;
  const apiPrefix = apiPrefixOf(app.settings);
  log(`Dev host on ${origin} (task hub '${app.taskHubName}', time scale ${state.timeScale}), functions:`);
  for (const route of routes) {
    const methods = route.methods === undefined ? "*" : [...route.methods].join(",");
    log(
      `  ${route.registered.metadata.name}: [${methods}] ${origin}${apiPrefix}${route.template.replace(/^\/+/, "")}`,
    );
  }
  for (const f of app.eventGrid) {
    log(
      `  ${f.metadata.name}: eventGridTrigger ${origin}${EVENT_GRID_WEBHOOK_PATH}?functionName=${f.metadata.name}`,
    );
  }
  for (const p of pollers) log(`  ${p.functionName}: queueTrigger '${p.queueName}'`);
  for (const t of app.timer)
    log(`  ${t.metadata.name}: timerTrigger '${String(triggerBindingOf(t.metadata)?.schedule)}'`);
  for (const name of [...app.functions.orchestration, ...app.functions.activity]) log(`  ${name}: durable`);
  log(
    `  durable management API (system key required): ${origin}${DEFAULT_DURABLE_BASE_PATH}/instances?code=${state.durable.systemKey}`,
  );
}

function startTriggers(state: HostState, triggers: Triggers): void {
  for (const poller of triggers.pollers) poller.start();
  for (const timer of triggers.timers) timer.start();
  void state.durable.pump.kick(); // resumed work that is due
}

/** Stops timers, pollers and the server (waiting for running invocations), then persists the durable state. */
async function closeHost(state: HostState, triggers: Triggers, servers: HostServers): Promise<void> {
  state.closing = true;
  await Promise.all(triggers.timers.map((t) => t.stop()));
  await Promise.all(triggers.pollers.map((p) => p.stop()));
  // Running HTTP / Event Grid invocations may still call the durable API on this server.
  while (state.inFlight.size > 0) await Promise.allSettled([...state.inFlight]);
  await Promise.all([servers.server.close(), servers.rpc.close()]);
  const { driver, pump, stateStore } = state.durable;
  await pump.close();
  try {
    await stateStore.save(driver.exportState(), { force: true });
  } catch (error) {
    state.log(`[durable] saving the state on close failed: ${errorText(error)}`);
  }
}
