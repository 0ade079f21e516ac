/**
 * The real durable-functions client (`df.getClient(context)`) talking over HTTP to `startDurableClientApi`, which
 * answers from a ReplayDriver; functions invoked with `invokeFunction` like the Node worker would.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest, HttpResponse, app, output, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { installFunctionsCoreStandIn, ReplayDriver, type RegisteredFunction } from "../../dev/durable";
import {
  DriverPump,
  createDurableClientApiHandler,
  buildDurableClientData,
  invokeFunction,
  matchHttpRoute,
  serveHttpFunction,
  startDurableClientApi,
  type DurableClientApi,
  type PumpClock,
} from "../../dev/host";

const registry = installFunctionsCoreStandIn();

// ---- sample functions -------------------------------------------------------------------------------------------

df.app.activity("devHostGreet", { handler: (name: string) => `Hello ${name}` });

df.app.orchestration("devHostHello", function* (context) {
  const input = context.df.getInput<{ name: string }>();
  const greeting: string = yield context.df.callActivity("devHostGreet", input.name);
  return greeting;
});

df.app.orchestration("devHostApproval", function* (context) {
  const decision: unknown = yield context.df.waitForExternalEvent("approval");
  return { decision };
});

df.app.orchestration("devHostBroken", function* (context) {
  yield context.df.callActivity("devHostGreet", "x");
  throw new Error("broken on purpose");
});

df.app.client.http("devHostStart", {
  route: "start/{orchestrator}/{instanceId?}",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: async (request, client) => {
    const body = await request.text();
    const instanceId = await client.startNew(request.params.orchestrator!, {
      ...(request.params.instanceId === undefined ? {} : { instanceId: request.params.instanceId }),
      ...(body === "" ? {} : { input: JSON.parse(body) as unknown }),
    });
    return client.createCheckStatusResponse(request, instanceId);
  },
});

// A timer-triggered client: lists running instances (also how these tests obtain a DurableClient).
df.app.client.timer("devHostSweep", {
  schedule: "0 */5 * * * *",
  handler: async (_timer, client) => {
    const running = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running] });
    return running.map((s) => s.instanceId);
  },
});

const queueOut = output.storageQueue({ queueName: "dev-host-out", connection: "AzureWebJobsStorage" });
app.storageQueue("devHostQueue", {
  queueName: "dev-host-in",
  connection: "AzureWebJobsStorage",
  extraOutputs: [queueOut],
  handler: (message: unknown, context) => {
    const { tables } = message as { tables: string[] };
    context.extraOutputs.set(
      queueOut,
      tables.map((table) => ({ table, attempt: context.triggerMetadata?.dequeueCount })),
    );
  },
});

// ---- helpers ----------------------------------------------------------------------------------------------------

const timerInfo: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: {} as never };

function registered(name: string): RegisteredFunction {
  const fn = registry.get(name);
  if (fn === undefined) throw new Error(`${name} is not registered`);
  return fn;
}

interface Harness {
  driver: ReplayDriver;
  api: DurableClientApi;
  client: df.DurableClient;
}

const open: DurableClientApi[] = [];

async function setup(clock?: PumpClock): Promise<Harness> {
  const driver = new ReplayDriver({ registry });
  const api = await startDurableClientApi(driver, {
    ...(clock === undefined ? {} : { clock }),
    onError: () => {},
  });
  open.push(api);
  // A real InvocationContext built from the timer function's registration, then the real df.getClient.
  const { context } = await invokeFunction(registered("devHostSweep"), timerInfo, {
    durableClientData: api.durableClientData,
  });
  return { driver, api, client: df.getClient(context) };
}

async function startViaHttpFunction(
  h: Harness,
  orchestrator: string,
  instanceId: string | undefined,
  input: unknown,
): Promise<{ response: HttpResponse; body: Record<string, string> }> {
  const request = new HttpRequest({
    method: "POST",
    url: `http://localhost:7071/api/start/${orchestrator}${instanceId === undefined ? "" : `/${instanceId}`}`,
    headers: { "content-type": "application/json" },
    body: { string: JSON.stringify(input) },
    params: instanceId === undefined ? { orchestrator } : { orchestrator, instanceId },
  });
  const { result } = await invokeFunction(registered("devHostStart"), request, {
    durableClientData: h.api.durableClientData,
  });
  expect(result).toBeInstanceOf(HttpResponse);
  const response = result as HttpResponse;
  return { response, body: (await response.json()) as Record<string, string> };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((api) => api.close()));
});

// ---- tests ------------------------------------------------------------------------------------------------------

describe("dev host: durable client API with the real DurableClient", () => {
  it("an app.http client function starts an orchestration and returns the 202 check-status response", async () => {
    const h = await setup();
    const { response, body } = await startViaHttpFunction(h, "devHostHello", "hello-1", { name: "Ada" });

    expect(response.status).toBe(202);
    expect(body.id).toBe("hello-1");
    expect(body.statusQueryGetUri).toBe(
      "http://localhost:7071/runtime/webhooks/durabletask/instances/hello-1?taskHub=TestHubName&connection=Storage",
    );
    expect(body.sendEventPostUri).toContain("/instances/hello-1/raiseEvent/{eventName}?");
    expect(response.headers.get("location")).toBe(body.statusQueryGetUri);

    await h.api.pump.idle();
    const status = await h.client.getStatus("hello-1");
    expect(status).toMatchObject({
      name: "devHostHello",
      instanceId: "hello-1",
      runtimeStatus: "Completed",
      input: { name: "Ada" },
      output: "Hello Ada",
    });
    expect(status.createdTime).toBeInstanceOf(Date);
  });

  it("getStatus reports Running while the activity is not due yet, Completed once the clock reaches it", async () => {
    // Frozen realtime clock: work is due only when advanceBy moves the host clock (activities take 1 s).
    const h = await setup({ mode: "realtime", scale: 0 });
    const id = await h.client.startNew("devHostHello", { instanceId: "clocked", input: { name: "Bo" } });
    expect(id).toBe("clocked");

    await h.api.pump.idle();
    expect((await h.client.getStatus("clocked")).runtimeStatus).toBe("Running");

    await h.api.pump.advanceBy(1000);
    await h.api.pump.idle();
    expect(await h.client.getStatus("clocked")).toMatchObject({
      runtimeStatus: "Completed",
      output: "Hello Bo",
    });
  });

  it("startNew without an instance id gets a generated 32-hex-digit id", async () => {
    const h = await setup();
    const id = await h.client.startNew("devHostHello", { input: { name: "Cy" } });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await h.api.pump.idle();
    expect((await h.client.getStatus(id)).output).toBe("Hello Cy");
  });

  it("getStatus of an unknown instance id throws the client's HTTP 404 error", async () => {
    const h = await setup();
    await expect(h.client.getStatus("nobody")).rejects.toThrow(/replied with HTTP 404/);
  });

  it("an unknown instance id gets a 404 with an empty body, as from the extension", async () => {
    const h = await setup();
    const raw = await fetch(`${h.api.rpcBaseUrl}instances/nobody`);
    expect(raw.status).toBe(404);
    expect(await raw.text()).toBe("");
    // Without a body the client's message has no "Details" part; durableClientScheduler only looks for "404".
    await expect(h.client.getStatus("nobody")).rejects.toThrow(
      /^DurableClient error: Durable Functions extension replied with HTTP 404 response\. [^]*: nobody\.$/,
    );
  });

  it("raiseEvent reaches an orchestration waiting for the event", async () => {
    const h = await setup();
    await h.client.startNew("devHostApproval", { instanceId: "approve-1" });
    await h.api.pump.idle();
    expect((await h.client.getStatus("approve-1")).runtimeStatus).toBe("Running");

    await h.client.raiseEvent("approve-1", "approval", { approved: true, by: "ops" });
    await h.api.pump.idle();

    expect(await h.client.getStatus("approve-1")).toMatchObject({
      runtimeStatus: "Completed",
      output: { decision: { approved: true, by: "ops" } },
    });
  });

  it("raiseEvent to an unknown instance rejects with the client's 'No instance' error", async () => {
    const h = await setup();
    await expect(h.client.raiseEvent("ghost", "approval", 1)).rejects.toThrow(
      "No instance with ID 'ghost' found.",
    );
  });

  it("terminate ends a waiting orchestration with the reason as output", async () => {
    const h = await setup();
    await h.client.startNew("devHostApproval", { instanceId: "term-1" });
    await h.api.pump.idle();

    await h.client.terminate("term-1", "no longer needed");
    await h.api.pump.idle();

    expect(await h.client.getStatus("term-1")).toMatchObject({
      runtimeStatus: "Terminated",
      output: "no longer needed",
    });
  });

  it("terminate and raiseEvent on a terminated instance answer 410, which the client accepts", async () => {
    const h = await setup();
    await h.client.startNew("devHostApproval", { instanceId: "term-2" });
    await h.client.terminate("term-2", "first");

    const raw = await fetch(`${h.api.rpcBaseUrl}instances/term-2/terminate?reason=again`, { method: "POST" });
    expect(raw.status).toBe(410);
    const rawEvent = await fetch(`${h.api.rpcBaseUrl}instances/term-2/raiseEvent/approval`, {
      method: "POST",
      body: "1",
      headers: { "content-type": "application/json" },
    });
    expect(rawEvent.status).toBe(410);
    await expect(h.client.terminate("term-2", "again")).resolves.toBeUndefined();
    await expect(h.client.raiseEvent("term-2", "approval", true)).resolves.toBeUndefined();
    expect((await h.client.getStatus("term-2")).output).toBe("first");
  });

  it("terminate of an unknown instance rejects", async () => {
    const h = await setup();
    await expect(h.client.terminate("ghost", "why")).rejects.toThrow("No instance with ID 'ghost' found.");
  });

  it("starting an instance id that is still Running is refused with the extension's 500", async () => {
    const h = await setup();
    await h.client.startNew("devHostApproval", { instanceId: "single" });
    await h.api.pump.idle();

    await expect(h.client.startNew("devHostApproval", { instanceId: "single" })).rejects.toThrow(
      /unexpected status code: 500\. Details: .*An Orchestration instance with the status Running already exists\./,
    );
    const raw = await fetch(`${h.api.rpcBaseUrl}orchestrators/devHostApproval/single`, { method: "POST" });
    expect(raw.status).toBe(500);
    expect(await raw.json()).toEqual({
      Message: "Something went wrong while processing your request",
      ExceptionMessage: "An Orchestration instance with the status Running already exists.",
      ExceptionType: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
      StackTrace: null,
    });
    expect((await h.client.getStatus("single")).runtimeStatus).toBe("Running");
  });

  it("starting an id whose instance Completed starts it afresh (NonRunningStates)", async () => {
    const h = await setup();
    await h.client.startNew("devHostHello", { instanceId: "again", input: { name: "one" } });
    await h.api.pump.idle();
    await h.client.startNew("devHostHello", { instanceId: "again", input: { name: "two" } });
    await h.api.pump.idle();
    expect(await h.client.getStatus("again")).toMatchObject({
      runtimeStatus: "Completed",
      output: "Hello two",
    });
  });

  it("starting an unregistered orchestrator is rejected with 400", async () => {
    const h = await setup();
    const response = await fetch(`${h.api.rpcBaseUrl}orchestrators/noSuchOrchestrator/x1`, {
      method: "POST",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("doesn't exist");
    await expect(h.client.startNew("noSuchOrchestrator")).rejects.toThrow(/unexpected status code: 400/);
  });

  it("a failed orchestration reports Failed (HTTP 200, or 500 with returnInternalServerErrorOnFailure)", async () => {
    const h = await setup();
    await h.client.startNew("devHostBroken", { instanceId: "broken-1" });
    await h.api.pump.idle();

    const status = await h.client.getStatus("broken-1");
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toContain("broken on purpose");
    const strict = await fetch(
      `${h.api.rpcBaseUrl}instances/broken-1?returnInternalServerErrorOnFailure=true`,
    );
    expect(strict.status).toBe(500);
  });

  it("getStatusAll lists every instance and getStatusBy filters by runtimeStatus and createdTime", async () => {
    const h = await setup({ mode: "realtime", scale: 0 });
    await h.client.startNew("devHostApproval", { instanceId: "list-waiting" });
    await h.api.pump.advanceBy(60_000);
    await h.client.startNew("devHostHello", { instanceId: "list-done", input: { name: "L" } });
    await h.api.pump.advanceBy(1000);
    await h.api.pump.idle();

    const all = await h.client.getStatusAll();
    expect(all.map((s) => s.instanceId).sort()).toEqual(["list-done", "list-waiting"]);
    for (const s of all) expect(Object.keys(s)).toEqual(expect.arrayContaining(["input", "output"]));
    // startNew without input: the client posts "" and axios JSON-encodes it to `""`, so the input is "".
    expect(all.find((s) => s.instanceId === "list-waiting")).toMatchObject({ input: "", output: null });

    const running = await h.client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running] });
    expect(running.map((s) => s.instanceId)).toEqual(["list-waiting"]);
    const completedOrFailed = await h.client.getStatusBy({
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed, df.OrchestrationRuntimeStatus.Failed],
    });
    expect(completedOrFailed.map((s) => s.instanceId)).toEqual(["list-done"]);

    const firstCreated = Date.parse(all.find((s) => s.instanceId === "list-waiting")!.createdTime as never);
    const late = await h.client.getStatusBy({ createdTimeFrom: new Date(firstCreated + 30_000) });
    expect(late.map((s) => s.instanceId)).toEqual(["list-done"]);
    const early = await h.client.getStatusBy({ createdTimeTo: new Date(firstCreated + 30_000) });
    expect(early.map((s) => s.instanceId)).toEqual(["list-waiting"]);
  });

  it("the instance list pages with top + x-ms-continuation-token, which the client follows", async () => {
    const h = await setup();
    for (const id of ["p1", "p2", "p3"]) await h.client.startNew("devHostApproval", { instanceId: id });
    const first = await fetch(`${h.api.rpcBaseUrl}instances/?top=2`);
    expect(((await first.json()) as unknown[]).length).toBe(2);
    const token = first.headers.get("x-ms-continuation-token");
    expect(token).toBe("2");
    const second = await fetch(`${h.api.rpcBaseUrl}instances/?top=2`, {
      headers: { "x-ms-continuation-token": token! },
    });
    expect(((await second.json()) as { instanceId: string }[]).map((s) => s.instanceId)).toEqual(["p3"]);
    expect(second.headers.get("x-ms-continuation-token")).toBeNull();
  });

  it("purgeInstanceHistory deletes the instance; purging it again reports 0 deleted", async () => {
    const h = await setup();
    await h.client.startNew("devHostHello", { instanceId: "purge-1", input: { name: "P" } });
    await h.api.pump.idle();

    expect(await h.client.purgeInstanceHistory("purge-1")).toEqual({ instancesDeleted: 1 });
    await expect(h.client.getStatus("purge-1")).rejects.toThrow(/HTTP 404/);
    expect(h.driver.getStatus("purge-1")).toBeUndefined();
    expect(await h.client.purgeInstanceHistory("purge-1")).toEqual({ instancesDeleted: 0 });
  });

  it("purging a waiting instance also drops it from the driver so later events cannot reach it", async () => {
    const h = await setup();
    await h.client.startNew("devHostApproval", { instanceId: "purge-2" });
    await h.api.pump.idle();
    expect(await h.client.purgeInstanceHistory("purge-2")).toEqual({ instancesDeleted: 1 });
    await expect(h.client.raiseEvent("purge-2", "approval", 1)).rejects.toThrow(/No instance/);
  });

  it("purgeInstanceHistoryBy deletes the instances matching the filter", async () => {
    const h = await setup();
    await h.client.startNew("devHostHello", { instanceId: "pb-done", input: { name: "D" } });
    await h.client.startNew("devHostApproval", { instanceId: "pb-waiting" });
    await h.api.pump.idle();

    const result = await h.client.purgeInstanceHistoryBy({
      createdTimeFrom: new Date(0),
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    expect(result).toEqual({ instancesDeleted: 1 });
    expect((await h.client.getStatusAll()).map((s) => s.instanceId)).toEqual(["pb-waiting"]);
  });

  it("a timer-triggered client function sees the running instances", async () => {
    const h = await setup();
    await h.client.startNew("devHostApproval", { instanceId: "sweep-a" });
    await h.client.startNew("devHostHello", { instanceId: "sweep-b", input: { name: "S" } });
    await h.api.pump.idle();

    const { result } = await invokeFunction(registered("devHostSweep"), timerInfo, {
      durableClientData: h.api.durableClientData,
    });
    expect(result).toEqual(["sweep-a"]);
  });

  it("the storage-queue function's extra output is collected under its binding name", async () => {
    const fn = registered("devHostQueue");
    const { result, outputs } = await invokeFunction(
      fn,
      { tables: ["dbo.A", "dbo.B"] },
      { triggerMetadata: { dequeueCount: 2, id: "m-1" } },
    );
    expect(result).toBeUndefined();
    expect(queueOut.name).toMatch(/^queueOutput/);
    expect(fn.metadata.bindings[queueOut.name]).toMatchObject({ type: "queue", direction: "out" });
    expect([...outputs.keys()]).toEqual([queueOut.name]);
    expect(outputs.get(queueOut.name)).toEqual([
      { table: "dbo.A", attempt: 2 },
      { table: "dbo.B", attempt: 2 },
    ]);
  });
});

describe("dev host: one server hosting an app.http function and the durable API", () => {
  let server: Server | undefined;
  let pump: DriverPump | undefined;

  afterEach(async () => {
    await pump?.close();
    if (server !== undefined) {
      const s = server;
      await new Promise<void>((resolve) =>
        s.close(() => {
          resolve();
        }),
      );
      s.closeAllConnections();
    }
    server = undefined;
  });

  it("maps the HTTP request to the function and its check-status URLs work against the same server", async () => {
    const driver = new ReplayDriver({ registry });
    pump = new DriverPump(driver, { onError: () => {} });
    const durableApi = createDurableClientApiHandler(driver, { pump, onError: () => {} });
    const startFn = registered("devHostStart");
    const route = String(
      Object.values(startFn.metadata.bindings).find((b) => b.type === "httpTrigger")?.route,
    );
    let origin = "";

    server = createServer((req, res) => {
      void (async () => {
        if (await durableApi(req, res)) return;
        const path = new URL(req.url ?? "/", "http://x").pathname;
        const params = path.startsWith("/api/") ? matchHttpRoute(route, path.slice(5)) : undefined;
        if (params === undefined || req.method !== "POST") {
          res.writeHead(404).end();
          return;
        }
        await serveHttpFunction(startFn, req, res, {
          params,
          durableClientData: buildDurableClientData({
            rpcBaseUrl: `${origin}/runtime/webhooks/durabletask/`,
            origin,
          }),
        });
      })();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const started = await fetch(`${origin}/api/start/devHostApproval/web-1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "web" }),
    });
    expect(started.status).toBe(202);
    const links = (await started.json()) as Record<string, string>;
    expect(started.headers.get("location")).toBe(links.statusQueryGetUri);
    expect(
      links.statusQueryGetUri!.startsWith(`${origin}/runtime/webhooks/durabletask/instances/web-1?`),
    ).toBe(true);

    await pump.idle();
    const running = await fetch(links.statusQueryGetUri!);
    expect(running.status).toBe(202);
    expect(await running.json()).toMatchObject({
      runtimeStatus: "Running",
      input: { from: "web" },
      output: null,
    });

    const sent = await fetch(links.sendEventPostUri!.replace("{eventName}", "approval"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("yes"),
    });
    expect(sent.status).toBe(202);
    await pump.idle();

    const done = await fetch(links.statusQueryGetUri!);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ runtimeStatus: "Completed", output: { decision: "yes" } });
  });
});
