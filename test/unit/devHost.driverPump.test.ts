import { setTimeout as sleep } from "node:timers/promises";
import * as df from "durable-functions";
import {
  installFunctionsCoreStandIn,
  NonDeterminismError,
  ReplayDriver,
  type RunOptions,
} from "../../dev/durable";
import { DriverPump } from "../../dev/host";
import { registerSlowStep } from "./fixtures/slowStep";

const registry = installFunctionsCoreStandIn();

const HOUR = 3_600_000;
const pumpStep = registerSlowStep("pumpStep");

df.app.orchestration("pumpTimerThenStep", function* (context) {
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + HOUR));
  const result: number = yield context.df.callActivity("pumpStep", 1);
  return result;
});

df.app.orchestration("pumpChain", function* (context) {
  let n = 0;
  const steps = context.df.getInput<number>();
  for (let i = 0; i < steps; i++) n = yield context.df.callActivity("pumpStep", n);
  return n;
});

df.app.orchestration("pumpWallClock", function* (context) {
  yield context.df.callActivity("pumpStep", 0);
  yield context.df.createTimer(new Date(Date.now() + 1000)); // non-deterministic on purpose
  return "never";
});

function newDriver(): ReplayDriver {
  return new ReplayDriver({ registry });
}

/** Wraps driver.run to measure how many run() calls overlap. */
function countConcurrentRuns(driver: ReplayDriver): { max: () => number; calls: () => number } {
  const original = driver.run.bind(driver);
  let running = 0;
  let max = 0;
  let calls = 0;
  driver.run = async (options?: RunOptions) => {
    running++;
    calls++;
    max = Math.max(max, running);
    try {
      await original(options);
    } finally {
      running--;
    }
  };
  return { max: () => max, calls: () => calls };
}

describe("DriverPump", () => {
  it("instant mode: a kick drains everything queued, timers included, jumping the virtual clock", async () => {
    const driver = newDriver();
    const pump = new DriverPump(driver);
    const start = driver.now;
    await driver.startNew("pumpTimerThenStep", { instanceId: "t1" });

    await pump.kick();

    expect(driver.getStatus("t1")).toMatchObject({ runtimeStatus: "Completed", output: 2 });
    expect(driver.now).toBeGreaterThanOrEqual(start + HOUR);
  });

  it("realtime mode with a frozen clock delivers a timer only once advanceBy reaches it", async () => {
    const driver = newDriver();
    const pump = new DriverPump(driver, { clock: { mode: "realtime", scale: 0 } });
    await driver.startNew("pumpTimerThenStep", { instanceId: "t2" });

    await pump.advanceBy(HOUR - 1);
    await pump.idle();
    expect(driver.getStatus("t2")?.runtimeStatus).toBe("Running");
    expect(driver.pendingTimers("t2")).toHaveLength(1);

    await pump.advanceBy(1); // the timer fires; the activity is queued 1 s (driver latency) later
    await pump.idle();
    expect(driver.getStatus("t2")?.runtimeStatus).toBe("Running");
    expect(driver.pendingTimers("t2")).toHaveLength(0);

    await pump.advanceBy(1000);
    await pump.idle();
    expect(driver.getStatus("t2")).toMatchObject({ runtimeStatus: "Completed", output: 2 });
  });

  it("realtime mode follows the (scaled) wall clock and keeps the driver clock in step", async () => {
    let wall = 1_000_000;
    const driver = newDriver();
    const pump = new DriverPump(driver, { clock: { mode: "realtime", scale: 60 }, wallClock: () => wall });
    const virtualStart = driver.now;
    await driver.startNew("pumpTimerThenStep", { instanceId: "t3" });

    wall += 59_000; // 59 wall seconds = 59 virtual minutes
    await pump.kick();
    expect(driver.getStatus("t3")?.runtimeStatus).toBe("Running");
    expect(driver.now).toBe(virtualStart + 59 * 60_000);

    wall += 1_100; // 1.1 wall seconds = 66 virtual seconds: timer (at 60 min) and activity (+1 s) are due
    await pump.kick();
    expect(driver.getStatus("t3")).toMatchObject({ runtimeStatus: "Completed", output: 2 });
    expect(pump.virtualNow()).toBe(virtualStart + HOUR + 6_000);
  });

  it("realtime mode wakes itself up when the next timer becomes due on the wall clock", async () => {
    const driver = newDriver();
    // One virtual hour passes in 50 wall milliseconds.
    const pump = new DriverPump(driver, { clock: { mode: "realtime", scale: HOUR / 50 } });
    await driver.startNew("pumpTimerThenStep", { instanceId: "t4" });
    await pump.kick(); // nothing due yet: schedules the wake-up for the timer

    expect(driver.getStatus("t4")?.runtimeStatus).toBe("Running");
    const deadline = Date.now() + 5_000;
    while (driver.getStatus("t4")?.runtimeStatus !== "Completed" && Date.now() < deadline) await sleep(10);
    expect(driver.getStatus("t4")).toMatchObject({ runtimeStatus: "Completed", output: 2 });
    await pump.close();
  });

  it("never runs the driver concurrently, however many kicks arrive", async () => {
    const driver = newDriver();
    const runs = countConcurrentRuns(driver);
    const pump = new DriverPump(driver);
    const ids = ["c1", "c2", "c3", "c4", "c5"];

    await Promise.all(
      ids.map(async (instanceId) => {
        await pump.exclusive(() => driver.startNew("pumpChain", { instanceId, input: 4 }));
        void pump.kick();
        void pump.kick();
      }),
    );
    await pump.idle();

    for (const id of ids)
      expect(driver.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: 4 });
    expect(runs.calls()).toBeGreaterThan(0);
    expect(runs.max()).toBe(1);
  });

  it("exclusive() runs between two episodes of an ongoing drain instead of after it", async () => {
    const driver = newDriver();
    const pump = new DriverPump(driver);
    await driver.startNew("pumpChain", { instanceId: "x1", input: 30 });
    const drained = pump.kick();
    await sleep(10); // let a few activities run

    const seen = await pump.exclusive(() => ({
      activityInFlight: pumpStep.running() > 0,
      status: driver.getStatus("x1")?.runtimeStatus,
    }));
    expect(seen).toEqual({ activityInFlight: false, status: "Running" });

    await drained;
    await pump.idle();
    expect(driver.getStatus("x1")).toMatchObject({ runtimeStatus: "Completed", output: 30 });
  });

  it("reports a failing instance to onError and keeps driving the others", async () => {
    const driver = newDriver();
    const reported: unknown[] = [];
    const pump = new DriverPump(driver, { onError: (e) => reported.push(e) });
    await driver.startNew("pumpChain", { instanceId: "ok", input: 2 });
    await driver.startNew("pumpWallClock", { instanceId: "bad" }); // turns non-deterministic in its 2nd episode
    await driver.startNew("pumpChain", { instanceId: "ok2", input: 1 });

    await pump.kick();
    await pump.idle();

    expect(driver.getStatus("ok")).toMatchObject({ runtimeStatus: "Completed", output: 2 });
    expect(driver.getStatus("ok2")).toMatchObject({ runtimeStatus: "Completed", output: 1 });
    expect(driver.getStatus("bad")?.runtimeStatus).toBe("Failed");
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(NonDeterminismError);
    expect(pump.errors).toEqual(reported);
  });

  it("reports errors thrown while draining (a run that fails mid-way) and recovers on the next pass", async () => {
    const driver = newDriver();
    const reported: unknown[] = [];
    const pump = new DriverPump(driver, { onError: (e) => reported.push(e) });
    const original = driver.run.bind(driver);
    let failOnce = true;
    driver.run = async (options?: RunOptions) => {
      if (failOnce) {
        failOnce = false;
        throw new Error("transient driver failure");
      }
      await original(options);
    };
    await driver.startNew("pumpChain", { instanceId: "r1", input: 2 });

    await pump.kick();
    await pump.idle();

    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toContain("transient driver failure");
    expect(driver.getStatus("r1")).toMatchObject({ runtimeStatus: "Completed", output: 2 });
  });

  it("parks after maxConsecutiveErrors failing passes, so idle() returns instead of spinning", async () => {
    const driver = newDriver();
    const pump = new DriverPump(driver, { onError: () => {}, maxConsecutiveErrors: 3 });
    let attempts = 0;
    driver.run = () => {
      attempts++;
      return Promise.reject(new Error("always failing"));
    };
    await driver.startNew("pumpChain", { instanceId: "p1", input: 1 });

    await pump.kick();
    await pump.idle();

    expect(attempts).toBe(3);
    expect(pump.errors).toHaveLength(3);
    expect(driver.getStatus("p1")?.runtimeStatus).toBe("Running");
  });
});
