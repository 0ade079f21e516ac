/**
 * Replay driver: `batchEvents` (everything due in one episode, like DTFx batches messages) and
 * `deliverCancelledTimers` (the ignored TimerFired Azure Storage still delivers).
 */
import { installFunctionsCoreStandIn, ReplayDriver, type ReplayDriverOptions } from "../../dev/durable";
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { eventTypes, idPattern } from "./fixtures/replayHelpers";

const registry = installFunctionsCoreStandIn();

const HOUR = 3_600_000;
const retry = new df.RetryOptions(1000, 3);

df.app.activity("BatchEcho", { handler: (name: string) => name });
let flakyFailures = 0;
df.app.activity("BatchFlakyOnce", {
  handler: (name: string) => {
    if (flakyFailures++ === 0) throw new Error("first attempt fails");
    return name;
  },
});

/** Two events at once; records how many episodes it took through the custom status. */
df.app.orchestration("BatchTwoEvents", function* (context: OrchestrationContext) {
  const a = context.df.waitForExternalEvent("a");
  const b = context.df.waitForExternalEvent("b");
  yield context.df.Task.all([a, b]);
  return [a.result, b.result];
});

df.app.orchestration("BatchFanOut", function* (context: OrchestrationContext) {
  const names = ["x", "y", "z"];
  return (yield context.df.Task.all(names.map((n) => context.df.callActivity("BatchEcho", n)))) as unknown;
});

/** A plain activity and a retried one that fails once, both completing at the same virtual time. */
df.app.orchestration("BatchRetryMix", function* (context: OrchestrationContext) {
  const flakyFirst = context.df.getInput<boolean>();
  const ok = context.df.callActivity("BatchEcho", "ok");
  const flaky = context.df.callActivityWithRetry("BatchFlakyOnce", retry, "flaky");
  return (yield context.df.Task.all(flakyFirst ? [flaky, ok] : [ok, flaky])) as unknown;
});

/** Cancels its timer when "go" wins, then keeps running until "done". */
df.app.orchestration("BatchCancelThenWait", function* (context: OrchestrationContext) {
  const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + HOUR));
  const go = context.df.waitForExternalEvent("go");
  const winner: unknown = yield context.df.Task.any([timer, go]);
  if (winner === go) timer.cancel();
  yield context.df.waitForExternalEvent("done");
  return winner === go ? "go" : "timer";
});

function driverWith(options: Omit<ReplayDriverOptions, "registry"> = {}): ReplayDriver {
  return new ReplayDriver({ registry, ...options });
}

/** Episodes of the current execution = OrchestratorStarted events. */
function episodes(driver: ReplayDriver, instanceId: string): number {
  return driver.getHistory(instanceId).filter((e) => e.EventType === 12).length;
}

beforeEach(() => {
  flakyFailures = 0;
});

test("default: two events raised at once are delivered in two episodes", async () => {
  const driver = driverWith();
  await driver.startNew("BatchTwoEvents", { instanceId: "one-by-one" });
  driver.raiseEvent("one-by-one", "a", 1);
  driver.raiseEvent("one-by-one", "b", 2);
  await driver.run();
  expect(driver.getStatus("one-by-one")).toMatchObject({ runtimeStatus: "Completed", output: [1, 2] });
  expect(episodes(driver, "one-by-one")).toBe(3);
});

test("batchEvents: two events raised at once are delivered in one episode", async () => {
  const driver = driverWith({ batchEvents: true });
  await driver.startNew("BatchTwoEvents", { instanceId: "batched" });
  driver.raiseEvent("batched", "a", 1);
  driver.raiseEvent("batched", "b", 2);
  await driver.run();
  expect(driver.getStatus("batched")).toMatchObject({ runtimeStatus: "Completed", output: [1, 2] });
  expect(episodes(driver, "batched")).toBe(2);
  expect(eventTypes(driver, "batched")).toEqual([12, 0, 13, 12, 15, 15, 13, 1]);
});

test("batchEvents: fan-out completions due at the same time arrive in one episode", async () => {
  const driver = driverWith({ batchEvents: true });
  await driver.startNew("BatchFanOut", { instanceId: "fan" });
  await driver.run();
  expect(driver.getStatus("fan")).toMatchObject({ runtimeStatus: "Completed", output: ["x", "y", "z"] });
  expect(idPattern(driver, "fan")).toEqual(["4:0", "4:1", "4:2", "5→0", "5→1", "5→2"]);
  expect(episodes(driver, "fan")).toBe(2);
});

test("batchEvents: events due later than the first one are not pulled into its batch", async () => {
  const driver = driverWith({ batchEvents: true });
  await driver.startNew("BatchTwoEvents", { instanceId: "apart" });
  driver.raiseEvent("apart", "a", 1);
  driver.advanceTo(driver.now + 1000);
  driver.raiseEvent("apart", "b", 2);
  await driver.run();
  expect(episodes(driver, "apart")).toBe(3);
});

test("batchEvents: a retry failure behind another completion waits for the next episode (ids as in JS)", async () => {
  const driver = driverWith({ batchEvents: true });
  await driver.startNew("BatchRetryMix", { instanceId: "ok-first", input: false });
  await driver.run();
  expect(driver.getStatus("ok-first")).toMatchObject({ runtimeStatus: "Completed", output: ["ok", "flaky"] });
  // 5→0 alone; 6→1 heads the next episode and gets its retry timer 10:2 before anything else.
  expect(idPattern(driver, "ok-first")).toEqual(["4:0", "4:1", "5→0", "6→1", "10:2", "11→2", "4:3", "5→3"]);
  expect(episodes(driver, "ok-first")).toBe(5);
});

test("batchEvents: a retry failure heading a batch shares its episode with the other completion", async () => {
  const driver = driverWith({ batchEvents: true });
  await driver.startNew("BatchRetryMix", { instanceId: "flaky-first", input: true });
  await driver.run();
  expect(driver.getStatus("flaky-first")).toMatchObject({
    runtimeStatus: "Completed",
    output: ["flaky", "ok"],
  });
  expect(idPattern(driver, "flaky-first")).toEqual([
    "4:0",
    "4:1",
    "6→0",
    "5→1",
    "10:2",
    "11→2",
    "4:3",
    "5→3",
  ]);
  expect(episodes(driver, "flaky-first")).toBe(4);
});

test("deliverCancelledTimers: the cancelled timer's TimerFired costs an episode and changes nothing", async () => {
  const driver = driverWith({ deliverCancelledTimers: true });
  await driver.startNew("BatchCancelThenWait", { instanceId: "late-fire" });
  driver.raiseEvent("late-fire", "go", null);
  await driver.run({ maxVirtualMs: 2 * HOUR });
  expect(driver.getStatus("late-fire")?.runtimeStatus).toBe("Running");
  expect(idPattern(driver, "late-fire")).toEqual(["10:0", "11→0"]);
  expect(episodes(driver, "late-fire")).toBe(3);

  driver.raiseEvent("late-fire", "done", null);
  await driver.run();
  expect(driver.getStatus("late-fire")).toMatchObject({ runtimeStatus: "Completed", output: "go" });
});

test("default: a cancelled timer is never delivered", async () => {
  const driver = driverWith();
  await driver.startNew("BatchCancelThenWait", { instanceId: "no-fire" });
  driver.raiseEvent("no-fire", "go", null);
  await driver.run({ maxVirtualMs: 2 * HOUR });
  expect(idPattern(driver, "no-fire")).toEqual(["10:0"]);
  expect(episodes(driver, "no-fire")).toBe(2);
});
