/**
 * Replay driver: what continueAsNew does with external events (`continueAsNewEvents`), as DTFx on Azure Storage
 * with `EventBehaviourForContinueAsNew = Carryover` does, and the old "drop" behaviour.
 */
import { installFunctionsCoreStandIn, ReplayDriver } from "../../dev/durable";
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { eventTypes } from "./fixtures/replayHelpers";

const registry = installFunctionsCoreStandIn();

const MINUTE = 60_000;
const START = Date.parse("2024-01-01T00:00:00Z");

interface Round {
  round: number;
  /** Who won the previous execution's race. */
  last: "start" | "nudge" | "timer";
}

/** What each execution's activity was called with, in call order (activities may have side effects). */
let workCalls: Round[] = [];
df.app.activity("CanWork", {
  handler: (input: Round) => {
    workCalls.push(input);
    return input.round;
  },
});

function* raceThenContinue(context: OrchestrationContext, input: Round): Generator<Task, void, unknown> {
  const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + MINUTE));
  const nudge = context.df.waitForExternalEvent("nudge");
  const winner: unknown = yield context.df.Task.any([timer, nudge]);
  if (winner === nudge) timer.cancel();
  context.df.continueAsNew({
    round: input.round + 1,
    last: winner === nudge ? "nudge" : "timer",
  } satisfies Round);
}

/** The shape of azure-functions-durable-extension #2606: race a timer and an event, cancel, continue as new. */
df.app.orchestration("Issue2606", function* (context: OrchestrationContext) {
  yield* raceThenContinue(context, context.df.getInput<Round>());
});

/** The link worker's shape: an activity first, then the same race. */
df.app.orchestration("WorkThenRace", function* (context: OrchestrationContext) {
  const input = context.df.getInput<Round>();
  yield context.df.callActivity("CanWork", input);
  yield* raceThenContinue(context, input);
});

/** Fails its first call ever, then succeeds. */
let flakyCalls = 0;
df.app.activity("CanFlakyOnce", {
  handler: (input: Round) => {
    if (flakyCalls++ === 0) throw new Error("first call fails");
    workCalls.push(input);
    return input.round;
  },
});

/** As WorkThenRace, with the activity retried (the link worker uses callActivityWithRetry). */
df.app.orchestration("RetryThenRace", function* (context: OrchestrationContext) {
  const input = context.df.getInput<Round>();
  yield context.df.callActivityWithRetry("CanFlakyOnce", new df.RetryOptions(1000, 3), input);
  yield* raceThenContinue(context, input);
});

/** One execution waits for the timer to be running, then nudges it once. */
async function nudgeOnce(driver: ReplayDriver, name: string, instanceId: string): Promise<void> {
  await driver.startNew(name, { instanceId, input: { round: 0, last: "start" } satisfies Round });
  await driver.run({ maxVirtualMs: 10_000 });
  driver.raiseEvent(instanceId, "nudge", null);
}

beforeEach(() => {
  workCalls = [];
  flakyCalls = 0;
});

test("#2606 shape under carryOver (default): one nudge makes an endless loop without virtual time passing", async () => {
  const driver = new ReplayDriver({ registry, maxEpisodes: 300 });
  await nudgeOnce(driver, "Issue2606", "loop");

  // The episode budget is what stops it: every execution is won at once by the carried-over nudge.
  await expect(driver.run({ maxVirtualMs: 10 * MINUTE })).rejects.toThrow(/more than 300 episodes/);
  const status = driver.getStatus("loop");
  expect(status?.executions).toBeGreaterThan(250);
  expect(status?.input).toMatchObject({ last: "nudge" });
  expect(driver.now).toBe(START + 10_000);
  // The carried event is part of the new execution's first episode: OrchestratorStarted, ExecutionStarted, it.
  expect(eventTypes(driver, "loop").slice(0, 3)).toEqual([12, 0, 15]);
});

test("#2606 shape under drop: one nudge ends one execution early, then the timer paces the loop", async () => {
  const driver = new ReplayDriver({ registry, maxEpisodes: 300, continueAsNewEvents: "drop" });
  await nudgeOnce(driver, "Issue2606", "paced");

  await driver.run({ maxVirtualMs: 10 * MINUTE });
  const status = driver.getStatus("paced");
  // Execution 1 ends with the nudge at +10 s; executions 2–12 start at +0:10, +1:10, … +10:10 (the run's end).
  expect(status?.executions).toBe(12);
  expect(status?.input).toMatchObject({ last: "timer" });
  expect(eventTypes(driver, "paced").slice(0, 3)).toEqual([12, 0, 10]);
});

test("activity before the race under carryOver: the carried nudge costs one extra round, then no loop", async () => {
  const driver = new ReplayDriver({ registry, maxEpisodes: 300 });
  await nudgeOnce(driver, "WorkThenRace", "work");

  await driver.run({ maxVirtualMs: 3 * MINUTE });
  // Execution 2 sees the nudge again (the SDK had it in deferredTasks), but the extension's own wait takes it from
  // its buffer while the activity runs, so it is not carried a second time: execution 3 waits for its timer.
  expect(workCalls.map((c) => c.last)).toEqual(["start", "nudge", "nudge", "timer", "timer"]);
  expect(driver.getStatus("work")?.executions).toBe(5);
});

test("retried activity before the race under carryOver: the shim passes the finished retry, one extra round", async () => {
  const driver = new ReplayDriver({ registry, maxEpisodes: 300 });
  await nudgeOnce(driver, "RetryThenRace", "retry");

  await driver.run({ maxVirtualMs: 3 * MINUTE });
  // Execution 1's call failed once and succeeded on retry; the shim must see it done to reach ContinueAsNew
  // before the nudge, or nothing would be carried over.
  expect(flakyCalls).toBe(6);
  expect(workCalls.map((c) => c.last)).toEqual(["start", "nudge", "nudge", "timer", "timer"]);
});

test("activity before the race under drop: the nudge wins once and nothing is replayed", async () => {
  const driver = new ReplayDriver({ registry, maxEpisodes: 300, continueAsNewEvents: "drop" });
  await nudgeOnce(driver, "WorkThenRace", "work-drop");

  await driver.run({ maxVirtualMs: 3 * MINUTE });
  expect(workCalls.map((c) => c.last)).toEqual(["start", "nudge", "timer", "timer"]);
  expect(driver.getStatus("work-drop")?.executions).toBe(4);
});

test("carryOver: the consumed nudge and a still-queued one both reach the new execution, in order", async () => {
  const driver = new ReplayDriver({ registry });
  await driver.startNew("WorkThenRace", { instanceId: "queued", input: { round: 0, last: "start" } });
  await driver.run({ maxVirtualMs: 10_000 });
  // Two nudges at once: the first wins execution 1's race (and is carried over as well), the second is still
  // queued when the execution continues as new.
  driver.raiseEvent("queued", "nudge", "first");
  driver.raiseEvent("queued", "nudge", "second");
  await driver.run({ until: () => (driver.getStatus("queued")?.executions ?? 0) >= 2 });
  await driver.run({ maxVirtualMs: 0 });

  const raised = driver
    .getHistory("queued")
    .flatMap((e) => (e.EventType === 15 ? [JSON.parse(e.Input ?? "null") as unknown] : []));
  expect(raised).toEqual(["first", "second"]);
});
