/** The DriverPump `checkpoint` hook the local host persists durable state with. */
import * as df from "durable-functions";
import { installFunctionsCoreStandIn, ReplayDriver } from "../../dev/durable";
import { DriverPump } from "../../dev/host";
import { registerSlowStep } from "./fixtures/slowStep";

const registry = installFunctionsCoreStandIn();
const checkpointStep = registerSlowStep("checkpointStep");

df.app.orchestration("checkpointChain", function* (context) {
  let n = 0;
  for (let i = 0; i < 3; i++) n = yield context.df.callActivity("checkpointStep", n);
  return n;
});

describe("DriverPump checkpoint", () => {
  it("runs after every pass and every exclusive operation, never while an activity runs", async () => {
    const driver = new ReplayDriver({ registry });
    const seen: { running: number; queued: number }[] = [];
    const pump = new DriverPump(driver, {
      checkpoint: () => {
        seen.push({ running: checkpointStep.running(), queued: driver.exportState().queue.length });
      },
    });
    await pump.exclusive(() => driver.startNew("checkpointChain", { instanceId: "c1" }));
    expect(seen).toEqual([{ running: 0, queued: 1 }]); // the start is checkpointed with its first activity queued
    await pump.kick();
    await pump.idle();
    expect(driver.getStatus("c1")?.output).toBe(3);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((s) => s.running === 0)).toBe(true);
    expect(seen.at(-1)).toEqual({ running: 0, queued: 0 });
  });

  it("reports a failing checkpoint to onError and keeps the pump going", async () => {
    const driver = new ReplayDriver({ registry });
    const errors: unknown[] = [];
    const pump = new DriverPump(driver, {
      checkpoint: () => Promise.reject(new Error("storage down")),
      onError: (error) => errors.push(error),
    });
    await expect(
      pump.exclusive(() => driver.startNew("checkpointChain", { instanceId: "c2" })),
    ).resolves.toBe("c2");
    await pump.kick();
    await pump.idle();
    expect(driver.getStatus("c2")?.runtimeStatus).toBe("Completed");
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(String(errors[0])).toContain("storage down");
  });
});
