/**
 * `startLocalHost`: a local stand-in for `func start` (Core Tools cannot run here), assembled from the building
 * blocks of this folder. It installs the `@azure/functions-core` stand-in, loads the app's modules and serves, on
 * one port:
 *
 * - HTTP triggers at `/<routePrefix>/<route>` (default `/api/...`), route parameters, 404 / 405;
 * - the Event Grid webhook `/runtime/webhooks/eventgrid?functionName=...` (`eventGridEndpoint.ts`);
 * - the durable client HTTP API at `/runtime/webhooks/durabletask/` (`durableClientApi.ts`), driven by one
 *   `ReplayDriver` + a realtime `DriverPump` (time × `timeScale`), its state saved in Azurite Table storage after
 *   every pump pass and on close (`durableStateStore.ts`) and resumed on start;
 * - queue triggers polled from Azurite (`queueTriggerPoller.ts`), timer triggers on their NCRONTAB schedules
 *   (`timerTriggers.ts`);
 * - queue outputs of every invocation, sent before the trigger completes (for HTTP: before the response is written).
 *
 * The function registry is per process (per Jest test file): modules are loaded once and a second host in the same
 * process serves the same registrations. See README.md ("Local host").
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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
}

interface HttpRoute {
  registered: RegisteredFunction;
  template: string;
  methods: ReadonlySet<string> | undefined;
  rank: number[];
}

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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} on ${host} is already in use (set DEV_HOST_PORT / options.port)`)
          : error,
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => {
      resolveClose();
    });
    server.closeAllConnections();
  });
}

/** Starts the local host. The app's environment (AzureWebJobsStorage etc.) must be set before. */
let appStarted = false;
async function runAppStartHooksOnce(repoRoot: string): Promise<void> {
  if (appStarted) return;
  await runAppStartHooks(repoRoot);
  appStarted = true;
}

export async function startLocalHost(options: LocalHostOptions): Promise<RunningLocalHost> {
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
  const listenHost = options.host ?? "127.0.0.1";

  // 1. Registrations: stand-in first, then the app's modules (once per process).
  const registry: FunctionRegistry = installFunctionsCoreStandIn();
  const repoRoot = findRepoRoot();
  const settings: HostSettings = readHostSettings(options.hostJsonPath ?? join(repoRoot, "host.json"));
  const appGlob = options.appGlob ?? packageMainGlob(repoRoot);
  loadAppModules(resolve(repoRoot, appGlob), repoRoot);
  // As the worker does after loading the app: a bad setting fails the start, naming the setting.
  await runAppStartHooksOnce(repoRoot);
  const taskHubName = options.taskHubName ?? settings.hubName;

  const all = [...registry.values()].filter((f) => !isDisabled(f.metadata.name));
  const byTrigger = (type: string) => all.filter((f) => triggerType(f).toLowerCase() === type.toLowerCase());
  const httpFunctions = byTrigger("httpTrigger");
  const eventGridFunctions = byTrigger("eventGridTrigger");
  const queueFunctions = byTrigger("queueTrigger");
  const timerFunctions = byTrigger("timerTrigger");
  const known = new Set([...httpFunctions, ...eventGridFunctions, ...queueFunctions, ...timerFunctions]);
  const functions: RunningLocalHost["functions"] = {
    http: httpFunctions.map((f) => f.metadata.name),
    eventGrid: eventGridFunctions.map((f) => f.metadata.name),
    queue: queueFunctions.map((f) => f.metadata.name),
    timer: timerFunctions.map((f) => f.metadata.name),
    orchestration: byTrigger("orchestrationTrigger").map((f) => f.metadata.name),
    activity: byTrigger("activityTrigger").map((f) => f.metadata.name),
    other: [],
  };
  for (const f of all) {
    const type = triggerType(f);
    if (!known.has(f) && type !== "orchestrationTrigger" && type !== "activityTrigger") {
      functions.other.push(f.metadata.name);
    }
  }

  const routePrefix = settings.routePrefix;
  const httpRoutes: HttpRoute[] = httpFunctions
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

  // 2. Durable: state store, driver (resumed), pump.
  const stateStore = await new DurableStateStore({
    connectionString: options.storageConnectionString,
    taskHubName,
  }).open();
  const driver = new ReplayDriver({
    registry,
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

  // 3. The server (origin known after listen).
  let origin = "";
  let closing = false;
  let durableMutations = 0;
  const inFlight = new Set<Promise<unknown>>();
  const queueClients = new QueueClients({ defaultConnectionString: options.storageConnectionString });
  const pollersByQueue = new Map<string, QueueTriggerPoller[]>();

  const durableApi = createDurableClientApiHandler(driver, {
    pump,
    taskHubName,
    onError: (error) => {
      log(`[durable] ${errorText(error)}`);
    },
  });

  /** Runs a function like the worker, then sends its queue outputs; logs one line per invocation. */
  async function invoke(
    registered: RegisteredFunction,
    input: unknown,
    triggerMetadata?: Record<string, unknown>,
  ): Promise<InvocationResult> {
    const name = registered.metadata.name;
    const invocationId = randomUUID();
    const started = Date.now();
    const mutationsBefore = durableMutations;
    const run = (async () => {
      const invocation = await invokeFunction(registered, input, {
        invocationId,
        durableClientData,
        ...(triggerMetadata === undefined ? {} : { triggerMetadata }),
        logHandler: (level, ...args) => {
          log(`[${name}] ${level === "information" ? "" : `${level}: `}${format(...args)}`);
        },
      });
      const written = await writeQueueOutputs(
        queueClients,
        registered.metadata,
        invocation,
        settings.queues.messageEncoding,
      );
      for (const queueName of new Set(written)) {
        for (const poller of pollersByQueue.get(queueName) ?? []) poller.poke();
      }
      // raiseEvent / terminate change the driver outside a pump pass: persist before the trigger completes.
      if (hasDurableClient(registered) && durableMutations !== mutationsBefore)
        await pump.exclusive(() => undefined);
      return invocation;
    })();
    inFlight.add(run);
    try {
      const invocation = await run;
      log(`Executed '${name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
      return invocation;
    } catch (error) {
      log(
        `Executed '${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${errorText(error)}`,
      );
      throw error;
    } finally {
      inFlight.delete(run);
    }
  }

  const eventGrid = createEventGridHandler({
    findFunction: (name) =>
      eventGridFunctions.find((f) => f.metadata.name.toLowerCase() === name.toLowerCase()),
    invoke: (registered, event) => invoke(registered, event),
    onError: () => {
      // already logged by invoke
    },
  });

  async function serveHttp(req: IncomingMessage, res: ServerResponse, relativePath: string): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const matches = httpRoutes
      .map((route) => ({ route, params: matchHttpRoute(route.template, relativePath) }))
      .filter((m): m is { route: HttpRoute; params: Record<string, string> } => m.params !== undefined);
    if (matches.length === 0) {
      await readRequestBody(req).catch(() => undefined);
      sendText(res, 404, `No function matches ${method} ${req.url ?? ""}`);
      return;
    }
    const hit = matches.find((m) => m.route.methods === undefined || m.route.methods.has(method));
    if (hit === undefined) {
      await readRequestBody(req).catch(() => undefined);
      const allowed = [...new Set(matches.flatMap((m) => [...(m.route.methods ?? [])]))].join(", ");
      sendText(res, 405, `Method ${method} is not allowed for this route`, { Allow: allowed });
      return;
    }
    const body = await readRequestBody(req);
    const request = toHttpRequest(req, body, { params: hit.params });
    try {
      const invocation = await invoke(hit.route.registered, request);
      const returnBinding = hit.route.registered.metadata.bindings.$return;
      await writeHttpResponse(res, returnBinding?.type === "http" ? invocation.result : undefined);
    } catch (error) {
      if (!res.headersSent && !res.destroyed) sendText(res, 500, "");
      else res.destroy(error instanceof Error ? error : undefined);
    }
  }

  const durablePrefix = `${DEFAULT_DURABLE_BASE_PATH}/`;
  const apiPrefix = routePrefix === "" ? "/" : `/${routePrefix}/`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = (req.method ?? "GET").toUpperCase();
    if (path === DEFAULT_DURABLE_BASE_PATH || path.startsWith(durablePrefix)) {
      if (method !== "GET") durableMutations++;
      if (await durableApi(req, res)) return;
    }
    if (path === "/" || path === "/admin/host/status") {
      sendJson(res, 200, {
        state: closing ? "Stopping" : "Running",
        host: "dev host",
        url: origin,
        functions,
      });
      return;
    }
    if (closing) {
      await readRequestBody(req).catch(() => undefined);
      sendText(res, 503, "The host is shutting down");
      return;
    }
    if (path.replace(/\/+$/, "").toLowerCase() === EVENT_GRID_WEBHOOK_PATH) {
      await eventGrid(req, res);
      return;
    }
    if (
      path.toLowerCase().startsWith(apiPrefix.toLowerCase()) ||
      path.toLowerCase() === apiPrefix.slice(0, -1)
    ) {
      await serveHttp(req, res, path.slice(apiPrefix.length));
      return;
    }
    await readRequestBody(req).catch(() => undefined);
    sendText(res, 404, `Not found: ${path}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`[dev host] request ${req.method ?? ""} ${req.url ?? ""} failed: ${errorText(error)}`);
      if (!res.headersSent && !res.destroyed) sendText(res, 500, "");
    });
  });
  const port = await listen(server, options.port ?? 7071, listenHost);
  const urlHost =
    listenHost === "0.0.0.0" || listenHost === "::"
      ? "127.0.0.1"
      : listenHost.includes(":")
        ? `[${listenHost}]`
        : listenHost;
  origin = `http://${urlHost}:${port}`;
  const durableClientData = buildDurableClientData({
    rpcBaseUrl: `${origin}${DEFAULT_DURABLE_BASE_PATH}/`,
    origin,
    taskHubName,
  });

  // 4. Queue pollers and timers.
  const pollers: QueueTriggerPoller[] = [];
  const timers: TimerTrigger[] = [];
  try {
    for (const registered of queueFunctions) {
      const trigger = triggerBindingOf(registered.metadata)!;
      const queueName = normalizeQueueName(String(trigger.queueName));
      const connection = typeof trigger.connection === "string" ? trigger.connection : undefined;
      const poisonName = `${queueName}-poison`;
      const poller = new QueueTriggerPoller({
        functionName: registered.metadata.name,
        queue: queueClients.queue(queueName, connection),
        ...(queueName.endsWith("-poison") || poisonName.length > 63
          ? {}
          : { poisonQueue: queueClients.queue(poisonName, connection) }),
        batchSize: settings.queues.batchSize,
        maxDequeueCount: settings.queues.maxDequeueCount,
        visibilityTimeoutMs: settings.queues.visibilityTimeoutMs,
        messageEncoding: settings.queues.messageEncoding,
        pollIntervalMs: options.queuePollIntervalMs ?? 500,
        handle: (input, triggerMetadata) => invoke(registered, input, triggerMetadata),
        log,
      });
      pollers.push(poller);
      pollersByQueue.set(queueName, [...(pollersByQueue.get(queueName) ?? []), poller]);
    }
    for (const registered of timerFunctions) {
      const trigger = triggerBindingOf(registered.metadata)!;
      const schedule = parseTimerSchedule(resolveAppSettings(String(trigger.schedule)));
      timers.push(
        new TimerTrigger({
          functionName: registered.metadata.name,
          schedule,
          runOnStartup: trigger.runOnStartup === true,
          timeScale,
          invoke: (timer) => invoke(registered, timer),
          onError: () => {
            // already logged by invoke
          },
        }),
      );
    }
  } catch (error) {
    await closeServer(server);
    await pump.close();
    throw error;
  }

  log(`Dev host on ${origin} (task hub '${taskHubName}', time scale ${timeScale}), functions:`);
  for (const route of httpRoutes) {
    const methods = route.methods === undefined ? "*" : [...route.methods].join(",");
    log(
      `  ${route.registered.metadata.name}: [${methods}] ${origin}${apiPrefix}${route.template.replace(/^\/+/, "")}`,
    );
  }
  for (const f of eventGridFunctions) {
    log(
      `  ${f.metadata.name}: eventGridTrigger ${origin}${EVENT_GRID_WEBHOOK_PATH}?functionName=${f.metadata.name}`,
    );
  }
  for (const p of pollers) log(`  ${p.functionName}: queueTrigger '${p.queueName}'`);
  for (const t of timerFunctions)
    log(`  ${t.metadata.name}: timerTrigger '${String(triggerBindingOf(t.metadata)?.schedule)}'`);
  for (const name of [...functions.orchestration, ...functions.activity]) log(`  ${name}: durable`);

  for (const poller of pollers) poller.start();
  for (const timer of timers) timer.start();
  void pump.kick(); // resumed work that is due

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    await Promise.all(timers.map((t) => t.stop()));
    await Promise.all(pollers.map((p) => p.stop()));
    // Running HTTP / Event Grid invocations may still call the durable API on this server.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    await closeServer(server);
    await pump.close();
    try {
      await stateStore.save(driver.exportState(), { force: true });
    } catch (error) {
      log(`[durable] saving the state on close failed: ${errorText(error)}`);
    }
  }

  return {
    url: origin,
    port,
    close: () => (closed ??= close()),
    functions,
    taskHubName,
    driver,
    pump,
    stateStore,
    durableClientData,
  };
}
