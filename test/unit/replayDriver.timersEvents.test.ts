/**
 * Replay driver: timers, external events and continueAsNew (docs/durable-protocol.md §7, §8.1, §12.2, §12.4).
 */
import { installFunctionsCoreStandIn, ReplayDriver } from "../../dev/durable";
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { eventTypes } from "./fixtures/replayHelpers";

const registry = installFunctionsCoreStandIn();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.parse("2024-01-01T00:00:00Z");

// Status becomes "Succeeded" on the 5th poll (polls counted across executions).
df.app.activity("PollStatus", { handler: (polls: number) => (polls >= 4 ? "Succeeded" : "InProgress") });
df.app.activity("Work", { handler: () => "work-done" });

interface MonitorState {
  polls: number;
}

/** A monitor: poll, wait for a timer or a "cancel" event, continueAsNew every 2 polls to bound history (§12.2). */
df.app.orchestration("Monitor", function* (context: OrchestrationContext) {
  const state = context.df.getInput<MonitorState>();
  let polls = state.polls;
  for (let round = 0; round < 2; round++) {
    const status: unknown = yield context.df.callActivity("PollStatus", polls);
    polls++;
    context.df.setCustomStatus({ polls, status });
    if (status === "Succeeded") return { polls };
    const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + MINUTE));
    const cancel = context.df.waitForExternalEvent("cancel");
    const winner: unknown = yield context.df.Task.any([timer, cancel]);
    if (winner === cancel) {
      timer.cancel();
      return "cancelled";
    }
  }
  context.df.continueAsNew({ polls });
  return undefined;
});

/** Task.any(timer +1 h, event "stop"); optionally forgets to cancel the timer (§12.4). */
df.app.orchestration("Interruptible", function* (context: OrchestrationContext) {
  const cancelTimer = context.df.getInput<boolean>();
  const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + HOUR));
  const stop = context.df.waitForExternalEvent("stop");
  const winner: unknown = yield context.df.Task.any([timer, stop]);
  if (winner === stop && cancelTimer) timer.cancel();
  return winner === stop ? { stoppedWith: stop.result } : "timeout";
});

/** Busy with an activity first; events raised meanwhile must wait in history for the later waits. */
df.app.orchestration("LateListener", function* (context: OrchestrationContext) {
  yield context.df.callActivity("Work");
  const first: unknown = yield context.df.waitForExternalEvent("go");
  const second: unknown = yield context.df.waitForExternalEvent("go");
  return [first, second];
});

/** Two waiters for the same name at once. */
df.app.orchestration("TwoWaiters", function* (context: OrchestrationContext) {
  const a = context.df.waitForExternalEvent("go");
  const b = context.df.waitForExternalEvent("go");
  yield context.df.Task.all([a, b]);
  return { a: a.result, b: b.result };
});

/** Continues as new once, then waits for "ping" in the new execution. */
df.app.orchestration("ContinueOnce", function* (context: OrchestrationContext) {
  const generation = context.df.getInput<number>();
  if (generation === 0) {
    yield context.df.callActivity("Work");
    context.df.setCustomStatus("from generation 0");
    context.df.continueAsNew(1);
    return undefined;
  }
  const ping: unknown = yield context.df.waitForExternalEvent("ping");
  return { generation, ping };
});

test("monitor with Task.any(timer, event) and continueAsNew: several executions, bounded history", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("Monitor", { instanceId: "mon", input: { polls: 0 } });
  await driver.run();

  const status = driver.getStatus("mon");
  expect(status).toMatchObject({
    runtimeStatus: "Completed",
    output: { polls: 5 },
    input: { polls: 4 },
    customStatus: { polls: 5, status: "Succeeded" },
    executions: 3,
  });
  expect(status?.historyLengths).toHaveLength(3);
  // Each execution replays at most two polls: the history never grows past one execution's worth.
  expect(Math.max(...(status?.historyLengths ?? []))).toBeLessThanOrEqual(26);
  // 5 polls (1 s each) and 4 one-minute waits.
  expect(driver.now).toBe(START + 5 * 1000 + 4 * MINUTE);
});

test("an external event interrupting a cancelled timer completes immediately in virtual time", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("Interruptible", { instanceId: "int", input: true });
  await driver.run({ maxVirtualMs: 10_000 });
  expect(driver.now).toBe(START + 10_000);
  expect(driver.pendingTimers("int")).toEqual([new Date(START + HOUR)]);

  driver.raiseEvent("int", "stop", { by: "test" });
  await driver.run();

  expect(driver.getStatus("int")).toMatchObject({
    runtimeStatus: "Completed",
    output: { stoppedWith: { by: "test" } },
    lastUpdatedTime: new Date(START + 10_000).toISOString(),
  });
  expect(driver.now).toBe(START + 10_000);
  expect(driver.pendingTimers("int")).toEqual([]);
  expect(driver.getHistory("int").some((e) => e.EventType === 11)).toBe(false); // never fired
});

test("an uncancelled timer keeps the instance Running until it fires (DTFx HasOpenTasks)", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("Interruptible", { instanceId: "open", input: false });
  await driver.run({ maxVirtualMs: 10_000 });
  driver.raiseEvent("open", "stop", 1);
  await driver.run({ maxVirtualMs: 30 * MINUTE });

  expect(driver.getStatus("open")).toMatchObject({ runtimeStatus: "Running", output: null });
  expect(driver.pendingTimers("open")).toEqual([new Date(START + HOUR)]);
  expect(driver.isIdle("open")).toBe(true);

  await driver.run();
  expect(driver.getStatus("open")).toMatchObject({
    runtimeStatus: "Completed",
    output: { stoppedWith: 1 },
    lastUpdatedTime: new Date(START + HOUR).toISOString(),
  });
});

test("events raised while the orchestrator is not waiting are delivered, in order, to later waits", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("LateListener", { instanceId: "late" });
  driver.raiseEvent("late", "go", "first");
  driver.raiseEvent("late", "go", "second");
  expect(driver.isIdle("late")).toBe(false);
  await driver.run();

  expect(driver.getStatus("late")).toMatchObject({ runtimeStatus: "Completed", output: ["first", "second"] });
  // Both events went into history before the activity completed: the SDK buffered them (deferredTasks).
  const types = eventTypes(driver, "late");
  expect(types.indexOf(15)).toBeLessThan(types.indexOf(5));
});

test("SDK quirk: with two simultaneous waiters for one name, the first event goes to the newest waiter", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("TwoWaiters", { instanceId: "two" });
  driver.raiseEvent("two", "go", 1);
  driver.raiseEvent("two", "go", 2);
  await driver.run();
  // TaskOrchestrationExecutor.setTaskValue pops the waiter list (LIFO); buffered events are FIFO instead.
  expect(driver.getStatus("two")?.output).toEqual({ a: 2, b: 1 });
});

/** ContinueOnce with an event raised either while its activity runs (0 s) or queued behind its completion (+1 s). */
async function continueOnceWithEarlyPing(
  mode: "carryOver" | "drop",
  queuedAtTransition: boolean,
): Promise<ReplayDriver> {
  const driver = new ReplayDriver({ registry, continueAsNewEvents: mode });
  await driver.startNew("ContinueOnce", { instanceId: "can", input: 0 });
  // The activity completes at +1 s. Raised at 0 s the event lands in execution 0's history (buffered, unused);
  // raised at +1 s it is queued behind the activity completion that triggers the continue-as-new.
  if (queuedAtTransition) driver.advanceTo(START + 1000);
  driver.raiseEvent("can", "ping", "too early");
  await driver.run();
  return driver;
}

test.each(["carryOver", "drop"] as const)(
  "continueAsNew (%s): an event delivered to the old execution but never awaited does not reach the new one",
  async (mode) => {
    const driver = await continueOnceWithEarlyPing(mode, false);
    let status = driver.getStatus("can");
    expect(status).toMatchObject({ runtimeStatus: "Running", executions: 2, input: 1 });
    expect(status?.customStatus).toBe("from generation 0"); // carried over (DTFx carryOverStatus)
    expect(driver.isIdle("can")).toBe(true);
    expect(driver.getHistory("can").some((e) => e.EventType === 15)).toBe(false);

    driver.raiseEvent("can", "ping", "on time");
    await driver.run();
    status = driver.getStatus("can");
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: { generation: 1, ping: "on time" } });
    expect(status?.historyLengths).toHaveLength(2);
  },
);

test("continueAsNew (carryOver, the default): an event still queued at the transition reaches the new execution", async () => {
  const driver = await continueOnceWithEarlyPing("carryOver", true);
  const status = driver.getStatus("can");
  expect(status).toMatchObject({
    runtimeStatus: "Completed",
    executions: 2,
    output: { generation: 1, ping: "too early" },
  });
  // Delivered in the new execution's second episode, after its ExecutionStarted episode.
  expect(eventTypes(driver, "can")).toEqual([12, 0, 13, 12, 15, 13, 1]);
});

test("continueAsNew (drop): an event still queued at the transition is discarded", async () => {
  const driver = await continueOnceWithEarlyPing("drop", true);
  expect(driver.getStatus("can")).toMatchObject({ runtimeStatus: "Running", executions: 2, input: 1 });
  expect(driver.isIdle("can")).toBe(true);
  expect(driver.getHistory("can").some((e) => e.EventType === 15)).toBe(false);
});

test("run({ until }) stops after the episode that satisfies the predicate", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("Monitor", { instanceId: "until", input: { polls: 0 } });
  await driver.run({ until: () => (driver.getStatus("until")?.executions ?? 0) >= 2 });
  expect(driver.getStatus("until")).toMatchObject({ runtimeStatus: "Running", executions: 2 });
  expect(driver.now).toBe(START + 2 * 1000 + 2 * MINUTE);
});
