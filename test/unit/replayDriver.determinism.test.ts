/**
 * Replay driver: determinism checks (docs/durable-protocol.md §7, §8.1 step 4, §12.1, §13 #122). The JS SDK never
 * checks that a replay matches the history; the driver does, more strictly than DTFx.
 */
// Side-effect import first: the pattern for test files whose imports register functions at load time.
import "../../dev/durable/installStandIn";
import { installFunctionsCoreStandIn, NonDeterminismError, ReplayDriver } from "../../dev/durable";
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";

const registry = installFunctionsCoreStandIn();

df.app.activity("Echo", { handler: (x: unknown) => x });
df.app.activity("Other", { handler: () => "other" });

// Branches on the wall clock.
df.app.orchestration("BranchOnWallClock", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Echo", "start");
  if (Date.now() % 2 === 0) yield context.df.callActivity("Echo", "even");
  else yield context.df.callActivity("Other");
  return "ok";
});

// Timer deadline from the wall clock.
df.app.orchestration("TimerFromWallClock", function* (context: OrchestrationContext) {
  yield context.df.createTimer(new Date(Date.now() + 1000));
  yield context.df.callActivity("Echo", "after");
  return "ok";
});

// The deterministic equivalent of both.
df.app.orchestration("TimerFromOrchestrationClock", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Echo", "start");
  if (context.df.currentUtcDateTime.getTime() % 2 === 0) yield context.df.callActivity("Echo", "even");
  else yield context.df.callActivity("Other");
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 1000));
  const id = context.df.newGuid(context.df.instanceId);
  return { id: id.length, at: context.df.currentUtcDateTime.toISOString() };
});

// Branches on mutable module state that changes on every invocation.
let flip = false;
df.app.orchestration("BranchOnModuleState", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Echo", "x");
  flip = !flip;
  if (flip) yield context.df.callActivity("Echo", "y");
  else yield context.df.callActivity("Other");
  return "ok";
});

// "Deployment" of new code between episodes: a module flag the test flips while the instance waits.
let deployedVersion = 1;
df.app.orchestration("ChangedCode", function* (context: OrchestrationContext) {
  if (deployedVersion === 1) yield context.df.callActivity("Echo", "v1");
  else yield context.df.callActivity("Other");
  yield context.df.waitForExternalEvent("continue");
  return deployedVersion;
});

// Same activity, different input on replay.
let inputSalt = 0;
df.app.orchestration("ChangedInput", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Echo", { salt: inputSalt });
  yield context.df.waitForExternalEvent("continue");
  return "ok";
});

// Reads the clock only for logging (state stays deterministic) and asks an activity for the real clock.
df.app.activity("RealClock", { handler: () => Date.now() });
df.app.orchestration("LogsWallClock", function* (context: OrchestrationContext) {
  context.log(`orchestrator sees ${new Date().toISOString()}`);
  const activityNow: unknown = yield context.df.callActivity("RealClock");
  return activityNow;
});

beforeEach(() => {
  flip = false;
  deployedVersion = 1;
  inputSalt = 0;
});

async function runToEnd(driver: ReplayDriver, name: string, instanceId: string): Promise<void> {
  await driver.startNew(name, { instanceId });
  await driver.run();
}

test("branching on Date.now() is caught by the double invocation", async () => {
  const driver = new ReplayDriver({ registry });
  const run = runToEnd(driver, "BranchOnWallClock", "wall-branch");
  await expect(run).rejects.toBeInstanceOf(NonDeterminismError);
  await expect(run).rejects.toThrow(
    /'BranchOnWallClock' \(instance 'wall-branch'\), action #1: the first invocation produced CallActivity '(Echo|Other)'.*a second one on the same history CallActivity '(Other|Echo)'/,
  );
  // DTFx fails the instance on non-determinism; so does the driver.
  expect(driver.getStatus("wall-branch")).toMatchObject({ runtimeStatus: "Failed" });
  expect(driver.getStatus("wall-branch")?.error).toMatch(/Non-deterministic orchestration/);
});

test("a timer built from Date.now() is caught on the first episode by the double invocation", async () => {
  const driver = new ReplayDriver({ registry });
  const start = driver.startNew("TimerFromWallClock", { instanceId: "wall-timer" });
  await expect(start).rejects.toBeInstanceOf(NonDeterminismError);
  await expect(start).rejects.toThrow(/action #0: .*CreateTimer .*timer fireAt changed/);
});

test("a timer built from Date.now() is caught between episodes without the double invocation", async () => {
  const driver = new ReplayDriver({ registry, doubleInvoke: false });
  const run = runToEnd(driver, "TimerFromWallClock", "wall-timer-2");
  await expect(run).rejects.toThrow(NonDeterminismError);
  await expect(run).rejects.toThrow(
    /instance 'wall-timer-2'\), action #0: history has CreateTimer \(fireAt .*\), replay produced CreateTimer \(fireAt .*\) \(timer fireAt changed/,
  );
});

test("the Date.now()-free equivalent passes every check", async () => {
  const driver = new ReplayDriver({ registry });
  await runToEnd(driver, "TimerFromOrchestrationClock", "clean");
  expect(driver.getStatus("clean")).toMatchObject({
    runtimeStatus: "Completed",
    output: { id: 36, at: "2024-01-01T00:00:03.000Z" },
  });
});

test("branching on mutable module state is caught (double invocation)", async () => {
  const driver = new ReplayDriver({ registry });
  const run = runToEnd(driver, "BranchOnModuleState", "flip");
  await expect(run).rejects.toThrow(NonDeterminismError);
  await expect(run).rejects.toThrow(
    /instance 'flip'\), action #1: the first invocation produced CallActivity 'Echo'/,
  );
});

test("branching on mutable module state is caught across episodes without the double invocation", async () => {
  const driver = new ReplayDriver({ registry, doubleInvoke: false });
  const run = runToEnd(driver, "BranchOnModuleState", "flip-2");
  await expect(run).rejects.toThrow(
    "Non-deterministic orchestration 'BranchOnModuleState' (instance 'flip-2'), action #1: history has " +
      "CallActivity 'Echo' (input \"\\\"y\\\"\"), replay produced CallActivity 'Other' (input undefined) " +
      "(different action).",
  );
});

test("code changed while an instance waits violates the DTFx prefix rule", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("ChangedCode", { instanceId: "deploy" });
  await driver.run();
  expect(driver.isIdle("deploy")).toBe(true);

  deployedVersion = 2;
  driver.raiseEvent("deploy", "continue");
  const run = driver.run();
  await expect(run).rejects.toThrow(NonDeterminismError);
  await expect(run).rejects.toThrow(
    /action #0: history has CallActivity 'Echo'.*replay produced CallActivity 'Other'/,
  );
  const error = await run.catch((e: unknown) => e);
  expect((error as NonDeterminismError).details).toMatchObject({ instanceId: "deploy", actionIndex: 0 });
});

test("a changed activity input is caught with strictInputs and tolerated (like DTFx) without", async () => {
  for (const strictInputs of [true, false]) {
    inputSalt = 0;
    const driver = new ReplayDriver({ registry, strictInputs });
    await driver.startNew("ChangedInput", { instanceId: "input" });
    await driver.run();
    inputSalt = 1;
    driver.raiseEvent("input", "continue");
    if (strictInputs) {
      await expect(driver.run()).rejects.toThrow(/action #0: .*input changed/);
    } else {
      await driver.run();
      expect(driver.getStatus("input")?.runtimeStatus).toBe("Completed");
    }
  }
});

test("the wall-clock trap only applies inside orchestrator invocations", async () => {
  const OriginalDate = Date;
  const lines: string[] = [];
  const driver = new ReplayDriver({ registry, onLog: (_id, _level, message) => lines.push(message) });
  await runToEnd(driver, "LogsWallClock", "trap");

  // The orchestrator saw the virtual clock (plus a small lag), not the real one...
  expect(lines[0]).toMatch(/^orchestrator sees 2024-01-01T00:00:0\d\.\d{3}Z$/);
  // ...while the activity saw real time, and the global is restored afterwards.
  expect(Math.abs((driver.getStatus("trap")?.output as number) - Date.now())).toBeLessThan(60_000);
  expect(Date).toBe(OriginalDate);
  expect(new Date() instanceof OriginalDate).toBe(true);
});
