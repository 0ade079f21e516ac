/**
 * Replay driver basics: the stand-in registry, activity sequences, lifecycle (startNew / terminate / failures),
 * logs, unsupported APIs and snapshots.
 */
import {
  installFunctionsCoreStandIn,
  ReplayDriver,
  UnsupportedByReplayDriverError,
  triggerBindingOf,
} from "../../dev/durable";
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import type { InvocationContext } from "@azure/functions";
import { eventTypes, idPattern, logCollector } from "./fixtures/replayHelpers";

const registry = installFunctionsCoreStandIn();

const helloInputs: unknown[] = [];
df.app.activity("Hello", {
  handler: (name: unknown, context: InvocationContext) => {
    helloInputs.push(name);
    context.log(`saying hello to ${String(name)}`);
    return `Hello ${String(name)}`;
  },
});
df.app.activity("Boom", {
  handler: () => {
    throw new Error("kaboom");
  },
});

df.app.orchestration("Sequence", function* (context: OrchestrationContext) {
  const a: unknown = yield context.df.callActivity("Hello", context.df.getInput());
  const b: unknown = yield context.df.callActivity("Hello", "Seattle");
  if (!context.df.isReplaying) context.log("sequence done");
  return [a, b];
});

df.app.orchestration("CatchActivityFailure", function* (context: OrchestrationContext) {
  try {
    yield context.df.callActivity("Boom");
    return "unexpected";
  } catch (err) {
    return (err as Error).message;
  }
});

df.app.orchestration("Throws", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Hello", "x");
  throw new Error("orchestrator broke");
});

df.app.orchestration("WaitForever", function* (context: OrchestrationContext) {
  yield context.df.waitForExternalEvent("never");
  return "done";
});

df.app.orchestration("CallsMissingActivity", function* (context: OrchestrationContext) {
  yield context.df.callActivity("NoSuchActivity");
});

df.app.orchestration("UsesHttp", function* (context: OrchestrationContext) {
  yield context.df.callHttp({ method: "GET", url: "https://example.invalid/" });
});

df.app.orchestration("UsesSubOrchestration", function* (context: OrchestrationContext) {
  yield context.df.callSubOrchestrator("Sequence", "child");
});

df.app.orchestration("LongTimer", function* (context: OrchestrationContext) {
  const sevenDays = 7 * 24 * 3600 * 1000;
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + sevenDays));
});

/** Continues as new on every episode without ever waiting: an endless loop in virtual time. */
df.app.orchestration("ContinueForever", function* (context: OrchestrationContext) {
  const n = context.df.getInput<number>();
  if (n < 0) yield context.df.createTimer(context.df.currentUtcDateTime); // never taken
  context.df.continueAsNew(n + 1);
});

const START = Date.parse("2024-01-01T00:00:00Z");

beforeEach(() => {
  helloInputs.length = 0;
});

test("stand-in: install is idempotent and captures metadata with the trigger binding", () => {
  expect(installFunctionsCoreStandIn()).toBe(registry);
  const hello = registry.get("Hello");
  expect(hello).toBeDefined();
  expect(triggerBindingOf(hello!.metadata)).toMatchObject({ type: "activityTrigger", direction: "in" });
  expect(triggerBindingOf(registry.get("Sequence")!.metadata)?.type).toBe("orchestrationTrigger");
  expect(() => df.app.activity("Hello", { handler: () => 1 })).toThrow(/already been registered/);
});

test("activity sequence: output, decoded string inputs and history shape", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("Sequence", { instanceId: "seq", input: "Tokyo" });
  expect(driver.getStatus("seq")?.runtimeStatus).toBe("Running");
  await driver.run();

  const status = driver.getStatus("seq");
  expect(status).toMatchObject({
    name: "Sequence",
    runtimeStatus: "Completed",
    input: "Tokyo",
    output: ["Hello Tokyo", "Hello Seattle"],
    executions: 1,
    createdTime: "2024-01-01T00:00:00.000Z",
    lastUpdatedTime: "2024-01-01T00:00:02.000Z",
  });
  // JS pre-encodes string inputs ("\"Tokyo\""); the activity must still get the plain string
  // (docs/durable-protocol.md §6).
  expect(helloInputs).toEqual(["Tokyo", "Seattle"]);
  expect(idPattern(driver, "seq")).toEqual(["4:0", "5→0", "4:1", "5→1"]);
  expect(eventTypes(driver, "seq")).toEqual([12, 0, 4, 13, 12, 5, 4, 13, 12, 5, 13, 1]);
  expect(status?.historyLengths).toEqual([12]);
  expect(driver.now).toBe(START + 2000);
});

test("activity failure without retry surfaces 'Activity function ... failed' to the orchestrator", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("CatchActivityFailure", { instanceId: "boom" });
  await driver.run();
  const output = driver.getStatus("boom")?.output;
  expect(output).toMatch(/^Activity function 'Boom' failed: kaboom \n Error: kaboom/);
});

test("an orchestrator that throws ends Failed with the orchestrator's error", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("Throws", { instanceId: "throws" });
  await driver.run();
  const status = driver.getStatus("throws");
  expect(status?.runtimeStatus).toBe("Failed");
  expect(status?.error).toBe("Orchestrator function 'Throws' failed: orchestrator broke");
});

test("startNew rejects an id that is Running and restarts a finished one fresh", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("WaitForever", { instanceId: "single" });
  await expect(driver.startNew("Sequence", { instanceId: "single", input: "x" })).rejects.toThrow(
    "An orchestration instance with ID 'single' already exists and is Running.",
  );
  driver.terminate("single", "make room");
  await driver.startNew("Sequence", { instanceId: "single", input: "again" });
  await driver.run();
  expect(driver.getStatus("single")).toMatchObject({
    name: "Sequence",
    runtimeStatus: "Completed",
    output: ["Hello again", "Hello Seattle"],
    executions: 1,
  });
});

test("startNew rejects unknown orchestrations and says what is registered", async () => {
  const driver = new ReplayDriver({ registry });
  await expect(driver.startNew("Nope", { instanceId: "n" })).rejects.toThrow(
    /The function 'Nope' doesn't exist.*Registered: .*Sequence/,
  );
  // An activity is not an orchestrator.
  await expect(driver.startNew("Hello", { instanceId: "n" })).rejects.toThrow(/not an orchestrator function/);
});

test("terminate: Terminated with the reason as output, queued work dropped, later events ignored", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("Sequence", { instanceId: "term", input: "t" });
  driver.terminate("term", "operator said so");
  driver.raiseEvent("term", "anything", 1); // ignored like HTTP 410
  driver.terminate("term", "again"); // ignored too
  await driver.run();

  expect(driver.getStatus("term")).toMatchObject({ runtimeStatus: "Terminated", output: "operator said so" });
  expect(helloInputs).toEqual([]); // the queued activity never ran
  expect(driver.getHistory("term").at(-1)?.EventType).toBe(3);
});

test("loseStart: the instance stays Pending for ever; events dropped, terminate ignored, a new start refused", async () => {
  const driver = new ReplayDriver({ registry, loseStart: (id) => id === "lost" });
  await driver.startNew("Sequence", { instanceId: "lost", input: "x" });
  driver.raiseEvent("lost", "anything", 1);
  driver.terminate("lost", "operator said so");
  await driver.run();
  expect(driver.getStatus("lost")).toMatchObject({ runtimeStatus: "Pending" });
  expect(driver.isIdle("lost")).toBe(true);
  expect(helloInputs).toEqual([]);
  await expect(driver.startNew("Sequence", { instanceId: "lost", input: "again" })).rejects.toThrow(
    "An orchestration instance with ID 'lost' already exists and is Pending.",
  );
  // Other instances are not affected.
  await driver.startNew("Sequence", { instanceId: "fine", input: "y" });
  await driver.run();
  expect(driver.getStatus("fine")?.runtimeStatus).toBe("Completed");
});

test("raiseEvent / terminate / isIdle on an unknown id throw like the client's 404", () => {
  const driver = new ReplayDriver({ registry });
  expect(() => {
    driver.raiseEvent("ghost", "e");
  }).toThrow("No instance with ID 'ghost' found.");
  expect(() => {
    driver.terminate("ghost", "r");
  }).toThrow("No instance with ID 'ghost' found.");
  expect(() => driver.isIdle("ghost")).toThrow("No instance with ID 'ghost' found.");
  expect(driver.getStatus("ghost")).toBeUndefined();
});

test("calling an unregistered activity fails the instance like the extension does", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("CallsMissingActivity", { instanceId: "missing" });
  expect(driver.getStatus("missing")).toMatchObject({ runtimeStatus: "Failed" });
  expect(driver.getStatus("missing")?.error).toMatch(/The function 'NoSuchActivity' doesn't exist/);
});

test.each([
  ["UsesHttp", /CallHttp is not supported by the replay driver/],
  ["UsesSubOrchestration", /CallSubOrchestrator 'Sequence' is not supported by the replay driver/],
  ["LongTimer", /timer longer than 6 days .* not supported by the replay driver/],
])("unsupported API %s is rejected with a clear error", async (name, message) => {
  const driver = new ReplayDriver({ registry });
  const start = driver.startNew(name, { instanceId: `u-${name}` });
  await expect(start).rejects.toBeInstanceOf(UnsupportedByReplayDriverError);
  await expect(start).rejects.toThrow(message);
  expect(driver.getStatus(`u-${name}`)?.runtimeStatus).toBe("Failed");
});

test("onLog receives orchestrator and activity logs once (not from the determinism re-invocation)", async () => {
  const logs = logCollector();
  const driver = new ReplayDriver({ registry, onLog: logs.onLog });
  await driver.startNew("Sequence", { instanceId: "logs", input: "Oslo" });
  await driver.run();
  expect(logs.lines).toEqual([
    "logs information saying hello to Oslo",
    "logs information saying hello to Seattle",
    "logs information sequence done",
  ]);
});

test("exportState / importState: a JSON snapshot taken mid-flight resumes in a new driver", async () => {
  const first = new ReplayDriver({ registry });
  await first.startNew("Sequence", { instanceId: "snap", input: "Lima" });
  await first.run({ maxVirtualMs: 1000 }); // first activity done, second one queued
  const persisted = JSON.stringify(first.exportState());

  const second = new ReplayDriver({ registry });
  second.importState(JSON.parse(persisted) as ReturnType<ReplayDriver["exportState"]>);
  expect(second.now).toBe(START + 1000);
  await second.run();
  expect(second.getStatus("snap")).toMatchObject({
    runtimeStatus: "Completed",
    output: ["Hello Lima", "Hello Seattle"],
  });
  // The original driver is unaffected by the copy.
  expect(first.getStatus("snap")?.runtimeStatus).toBe("Running");
});

test("maxEpisodes stops an endless continueAsNew loop with a clear error", async () => {
  const driver = new ReplayDriver({ registry, maxEpisodes: 50 });
  await driver.startNew("ContinueForever", { instanceId: "loop", input: 0 });
  await expect(driver.run()).rejects.toThrow(/more than 50 episodes in one call \(last instance 'loop'\)/);
  // startNew ran execution 1, run() 50 more; the 52nd is queued and would run on the next run().
  expect(driver.getStatus("loop")).toMatchObject({ runtimeStatus: "Running", executions: 52, input: 51 });
  expect(driver.isIdle("loop")).toBe(false);
});
