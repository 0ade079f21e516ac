/**
 * Replay driver: callActivityWithRetry bookkeeping (docs/durable-protocol.md §7, §8.2, §8.4) — DTFx RetryInterceptor
 * timers mirrored id for id by the JS RetryableTask.
 */
import { installFunctionsCoreStandIn, ReplayDriver, StuckOrchestrationError } from "../../dev/durable";
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import { idPattern } from "./fixtures/replayHelpers";

const registry = installFunctionsCoreStandIn();

let failuresLeft = 0;
const flakyInputs: unknown[] = [];
df.app.activity("Flaky", {
  handler: (x: number) => {
    flakyInputs.push(x);
    if (failuresLeft-- > 0) throw new Error("transient");
    return x * 2;
  },
});

function firstLine(err: unknown): string {
  return (err as Error).message.split("\n")[0] ?? "";
}

/** Flaky's value with `retry`, or "gave up: <the error's first line>" once the retries are spent. */
function* flakyOrGiveUp(
  context: OrchestrationContext,
  retry: df.RetryOptions,
  input: number,
): Generator<Task, unknown, unknown> {
  try {
    const value: unknown = yield context.df.callActivityWithRetry("Flaky", retry, input);
    return value;
  } catch (err) {
    return `gave up: ${firstLine(err)}`;
  }
}

df.app.orchestration("RetryFlaky", function* (context: OrchestrationContext) {
  const retry = new df.RetryOptions(5000, 3);
  retry.backoffCoefficient = 2;
  return yield* flakyOrGiveUp(context, retry, 21);
});

// retryTimeoutInMilliseconds: DTFx stops without a timer once it expired; JS waits forever (#629).
df.app.orchestration("RetryWithTimeout", function* (context: OrchestrationContext) {
  const retry = new df.RetryOptions(5000, 3);
  retry.retryTimeoutInMilliseconds = 3000;
  return yield* flakyOrGiveUp(context, retry, 1);
});

// Retry plus a sibling activity and a follow-up activity: ids of the follow-up come after the retry bookkeeping.
df.app.orchestration("RetryThenMore", function* (context: OrchestrationContext) {
  const retry = new df.RetryOptions(1000, 2);
  retry.maxRetryIntervalInMilliseconds = 500;
  const results: unknown = yield context.df.Task.all([
    context.df.callActivityWithRetry("Flaky", retry, 1),
    context.df.callActivity("Flaky", 100),
  ]);
  const after: unknown = yield context.df.callActivity("Flaky", 5);
  return { results, after };
});

const START = Date.parse("2024-01-01T00:00:00Z");

beforeEach(() => {
  failuresLeft = 0;
  flakyInputs.length = 0;
});

/** RetryFlaky's first two attempts failing, each followed by its retry timer (+5 s, then +10 s), and the third scheduled. */
const TWO_FAILURES_THEN_THIRD = [
  "4:0@0s",
  "6→0@1s",
  "10:1@6s",
  "11→1@6s",
  "4:2@6s",
  "6→2@7s",
  "10:3@17s",
  "11→3@17s",
  "4:4@17s",
];

test("retry: two failures then success gives the DTFx id pattern of protocol §8.4", async () => {
  failuresLeft = 2;
  const driver = new ReplayDriver({ registry });
  await driver.startNew("RetryFlaky", { instanceId: "r1" });
  await driver.run();

  expect(driver.getStatus("r1")).toMatchObject({ runtimeStatus: "Completed", output: 42 });
  // TimerCreated is shown with its fireAt, everything else with its timestamp (first retry +5 s, then +10 s).
  expect(idPattern(driver, "r1", { withTime: true, startMs: START })).toEqual([
    ...TWO_FAILURES_THEN_THIRD,
    "5→4@18s",
  ]);
  expect(flakyInputs).toEqual([21, 21, 21]);
});

test("retry exhausted: the error reaches the orchestrator only after the immediate dummy timer", async () => {
  failuresLeft = 10;
  const driver = new ReplayDriver({ registry });
  await driver.startNew("RetryFlaky", { instanceId: "r2" });
  await driver.run();

  const status = driver.getStatus("r2");
  expect(status?.runtimeStatus).toBe("Completed");
  expect(status?.output).toBe("gave up: Activity function 'Flaky' failed: transient ");
  expect(idPattern(driver, "r2", { withTime: true, startMs: START })).toEqual([
    ...TWO_FAILURES_THEN_THIRD,
    "6→4@18s",
    "10:5@18s", // "Dummy timer for back-compat": fires immediately
    "11→5@18s",
  ]);
  expect(flakyInputs).toHaveLength(3);
});

test("retry inside Task.all with a sibling activity: DTFx id interleaving, delay capped by maxRetryInterval", async () => {
  failuresLeft = 1;
  const driver = new ReplayDriver({ registry });
  await driver.startNew("RetryThenMore", { instanceId: "r3" });
  await driver.run();

  expect(driver.getStatus("r3")).toMatchObject({
    runtimeStatus: "Completed",
    output: { results: [2, 200], after: 10 },
  });
  expect(idPattern(driver, "r3", { withTime: true, startMs: START })).toEqual([
    "4:0@0s", // retry unit, first attempt
    "4:1@0s", // sibling activity
    "6→0@1s",
    "10:2@1.5s", // 1000 ms capped to 500 ms
    "5→1@1s",
    "11→2@1.5s",
    "4:3@1.5s",
    "5→3@2.5s",
    "4:4@2.5s", // the follow-up activity
    "5→4@3.5s",
  ]);
});

test("retry: pendingTimers lists the retry timer while the instance waits for it", async () => {
  failuresLeft = 1;
  const driver = new ReplayDriver({ registry });
  await driver.startNew("RetryFlaky", { instanceId: "r4" });
  await driver.run({ maxVirtualMs: 2000 });

  expect(driver.getStatus("r4")?.runtimeStatus).toBe("Running");
  expect(driver.pendingTimers("r4")).toEqual([new Date(START + 6000)]);
  expect(driver.isIdle("r4")).toBe(true);
  await driver.run();
  expect(driver.getStatus("r4")?.output).toBe(42);
});

test("retryTimeoutInMilliseconds expiry is reported as a stuck instance instead of hanging silently", async () => {
  failuresLeft = 10;
  const driver = new ReplayDriver({ registry });
  await driver.startNew("RetryWithTimeout", { instanceId: "r5" });

  const run = driver.run();
  await expect(run).rejects.toBeInstanceOf(StuckOrchestrationError);
  await expect(run).rejects.toThrow(/#629/);
  await expect(run).rejects.toThrow(/instance 'r5'|Instance 'r5'/);

  // Attempt 1 fails at 1 s (< 3 s timeout) → retry timer; attempt 2 fails at 7 s → DTFx gives up without a timer.
  expect(idPattern(driver, "r5")).toEqual(["4:0", "6→0", "10:1", "11→1", "4:2", "6→2"]);
  expect(driver.getStatus("r5")?.runtimeStatus).toBe("Running");
  expect(driver.pendingTimers("r5")).toEqual([]);
  expect(driver.isIdle("r5")).toBe(true);
});
