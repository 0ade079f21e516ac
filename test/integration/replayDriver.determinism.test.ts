import * as df from "durable-functions";
import { installFunctionsCoreStandIn, NonDeterminismError, ReplayDriver } from "../../dev/durable";

const registry = installFunctionsCoreStandIn();

// A poll loop written the way the link worker must NOT be: its timer comes from the wall clock.
df.app.activity("wallClockProbe", { handler: () => Promise.resolve("probed") });
df.app.orchestration("wallClockMonitor", function* (context) {
  for (let i = 0; i < 3; i++) {
    yield context.df.callActivity("wallClockProbe", i);
    yield context.df.createTimer(new Date(Date.now() + 30_000));
  }
  return "done";
});
df.app.orchestration("virtualClockMonitor", function* (context) {
  for (let i = 0; i < 3; i++) {
    yield context.df.callActivity("wallClockProbe", i);
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 30_000));
  }
  return "done";
});

describe("replay driver: determinism", () => {
  it("(j) rejects an orchestrator whose timers depend on Date.now()", async () => {
    const driver = new ReplayDriver({ registry });
    const run = async () => {
      await driver.startNew("wallClockMonitor", { instanceId: "bad" });
      await driver.run();
    };
    await expect(run()).rejects.toThrow(NonDeterminismError);
  });

  it("(j) runs the same loop to completion when it uses context.df.currentUtcDateTime", async () => {
    const driver = new ReplayDriver({ registry });
    await driver.startNew("virtualClockMonitor", { instanceId: "good" });
    await driver.run();
    expect(driver.getStatus("good")).toMatchObject({ runtimeStatus: "Completed", output: "done" });
  });
});
