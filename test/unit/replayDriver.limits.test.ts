/**
 * Replay driver: the extension's 16 KB custom-status limit, and payloads over `largePayloadBytes` (reported, or
 * failing the instance with `failOnLargePayloads`).
 */
import { installFunctionsCoreStandIn, ReplayDriver, type ReplayDriverOptions } from "../../dev/durable";
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { logCollector } from "./fixtures/replayHelpers";

const registry = installFunctionsCoreStandIn();

const KB = 1024;

/** Sets a custom status string of `length` characters, then waits for "done". */
df.app.orchestration("LimitsStatus", function* (context: OrchestrationContext) {
  context.df.setCustomStatus("s".repeat(context.df.getInput<number>()));
  yield context.df.waitForExternalEvent("done");
  return "done";
});

df.app.activity("LimitsEcho", { handler: (text: string) => text.length });
df.app.activity("LimitsBig", { handler: (size: number) => "r".repeat(size) });

df.app.orchestration("LimitsActivities", function* (context: OrchestrationContext) {
  const { inputSize, resultSize } = context.df.getInput<{ inputSize: number; resultSize: number }>();
  const echoed: unknown = yield context.df.callActivity("LimitsEcho", "i".repeat(inputSize));
  const big = (yield context.df.callActivity("LimitsBig", resultSize)) as string;
  return { echoed, big: big.length };
});

df.app.orchestration("LimitsContinue", function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ round: number; padding: string }>();
  if (input.round === 0) {
    yield context.df.callActivity("LimitsEcho", "x");
    context.df.continueAsNew({ round: 1, padding: "p".repeat(70 * KB) });
    return undefined;
  }
  return input.padding.length;
});

function driverWith(options: Omit<ReplayDriverOptions, "registry"> = {}): ReplayDriver {
  return new ReplayDriver({ registry, ...options });
}

describe("custom status over 16 KB", () => {
  // The extension counts UTF-16 bytes of the JSON (2 per character; the string's quotes count) in whole KB,
  // rounded down: 8 701 characters → 17 406 bytes → 16 KB passes; 8 702 → 17 408 bytes → 17 KB fails.
  it("fails the instance with the extension's message at 17 KB of UTF-16 JSON", async () => {
    const driver = driverWith();
    await driver.startNew("LimitsStatus", { instanceId: "big-status", input: 8702 });
    const status = driver.getStatus("big-status");
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.error).toBe(
      "Orchestrator function 'LimitsStatus' failed: The UTF-16 size of the JSON-serialized payload must not " +
        "exceed 16 KB. The current payload size is 17 KB.",
    );
    // SetCustomStatus threw: the status keeps its previous value.
    expect(status?.customStatus).toBeNull();
  });

  it("accepts a custom status that rounds down to 16 KB", async () => {
    const driver = driverWith();
    await driver.startNew("LimitsStatus", { instanceId: "edge-status", input: 8701 });
    expect(driver.getStatus("edge-status")?.runtimeStatus).toBe("Running");
    driver.raiseEvent("edge-status", "done");
    await driver.run();
    expect(driver.getStatus("edge-status")).toMatchObject({ runtimeStatus: "Completed", output: "done" });
  });
});

describe("payloads over largePayloadBytes", () => {
  it("reports a large activity input and result on the status and as warnings, and the instance completes", async () => {
    const logs = logCollector();
    const driver = driverWith({ onLog: logs.onLog });
    await driver.startNew("LimitsActivities", {
      instanceId: "report",
      input: { inputSize: 70 * KB, resultSize: 100 * KB },
    });
    await driver.run();
    const status = driver.getStatus("report");
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: { echoed: 70 * KB, big: 100 * KB } });
    expect(status?.largePayloads).toEqual([
      // JS pre-encodes a string input ("\"iii…\""), and the wire JSON encodes that string again: 6 extra bytes.
      { kind: "activityInput", name: "LimitsEcho", bytes: 70 * KB + 6, execution: 1 },
      { kind: "activityResult", name: "LimitsBig", bytes: 100 * KB + 2, execution: 1 },
    ]);
    expect(logs.lines.filter((l) => l.startsWith("report warning replay driver:"))).toEqual([
      expect.stringContaining(
        "the input of activity 'LimitsEcho' is 71,686 bytes of JSON, over the 65,536-byte",
      ),
      expect.stringContaining("the result of activity 'LimitsBig' is 102,402 bytes of JSON"),
    ]);
  });

  it("failOnLargePayloads: a large activity result fails the instance, naming the activity and the size", async () => {
    const driver = driverWith({ failOnLargePayloads: true });
    await driver.startNew("LimitsActivities", {
      instanceId: "fail-result",
      input: { inputSize: 1, resultSize: 100 * KB },
    });
    await driver.run();
    expect(driver.getStatus("fail-result")).toMatchObject({
      runtimeStatus: "Failed",
      error:
        "Orchestrator function 'LimitsActivities' failed: payload too large (failOnLargePayloads): the result of " +
        "activity 'LimitsBig' is 102,402 bytes of JSON, over the 65,536-byte threshold.",
    });
  });

  it("failOnLargePayloads: a large activity input fails the instance before the activity runs", async () => {
    const driver = driverWith({ failOnLargePayloads: true });
    await driver.startNew("LimitsActivities", {
      instanceId: "fail-input",
      input: { inputSize: 70 * KB, resultSize: 1 },
    });
    expect(driver.getStatus("fail-input")).toMatchObject({
      runtimeStatus: "Failed",
      error: expect.stringContaining("the input of activity 'LimitsEcho' is 71,686 bytes") as unknown,
    });
    expect(driver.getHistory("fail-input").some((e) => e.EventType === 4)).toBe(false);
  });

  it("a large orchestration input at start is reported; with failOnLargePayloads the instance fails at once", async () => {
    const input = { inputSize: 1, resultSize: 1, padding: "q".repeat(80 * KB) };
    const reporting = driverWith();
    await reporting.startNew("LimitsActivities", { instanceId: "start-report", input });
    await reporting.run();
    expect(reporting.getStatus("start-report")).toMatchObject({
      runtimeStatus: "Completed",
      largePayloads: [{ kind: "orchestrationInput", name: "LimitsActivities" }],
    });

    const failing = driverWith({ failOnLargePayloads: true });
    await failing.startNew("LimitsActivities", { instanceId: "start-fail", input });
    expect(failing.getStatus("start-fail")).toMatchObject({
      runtimeStatus: "Failed",
      error: expect.stringContaining("the input of orchestration 'LimitsActivities' is") as unknown,
    });
  });

  it("a large continueAsNew input is reported with the execution that produced it", async () => {
    const driver = driverWith();
    await driver.startNew("LimitsContinue", { instanceId: "can-big", input: { round: 0, padding: "" } });
    await driver.run();
    expect(driver.getStatus("can-big")).toMatchObject({
      runtimeStatus: "Completed",
      output: 70 * KB,
      executions: 2,
      largePayloads: [{ kind: "continueAsNewInput", name: "LimitsContinue", execution: 1 }],
    });
  });

  it("a larger largePayloadBytes leaves the same payloads unreported", async () => {
    const driver = driverWith({ largePayloadBytes: 200 * KB, failOnLargePayloads: true });
    await driver.startNew("LimitsActivities", {
      instanceId: "quiet",
      input: { inputSize: 70 * KB, resultSize: 100 * KB },
    });
    await driver.run();
    expect(driver.getStatus("quiet")).toMatchObject({ runtimeStatus: "Completed", largePayloads: [] });
  });
});
