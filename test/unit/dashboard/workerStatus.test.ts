import { durableWorkerStatusReader, parseWorkerPhase } from "../../../shared/dashboard/workerStatus";

describe("worker status for the dashboard", () => {
  it("reads the phase and times the worker publishes, and nothing else", () => {
    expect(
      parseWorkerPhase({
        phase: "waiting",
        execution: 3,
        poll: 2,
        nextPollAt: "2026-01-05T08:01:00.000Z",
        tables: {},
      }),
    ).toEqual({ phase: "waiting", nextPollAt: "2026-01-05T08:01:00.000Z" });
    expect(parseWorkerPhase({ phase: "backingOff", detail: "503", retryAt: "t" })).toEqual({
      phase: "backingOff",
      detail: "503",
      retryAt: "t",
    });
  });

  it.each([null, undefined, "text", { phase: "dancing" }, { nophase: true }])(
    "ignores a status it does not know: %p",
    (s) => {
      expect(parseWorkerPhase(s)).toBeUndefined();
    },
  );

  it("maps the client's 404 to no instance and passes other faults on", async () => {
    const missing = durableWorkerStatusReader({
      getStatus: () =>
        Promise.reject(
          new Error("DurableClient error: Durable Functions extension replied with HTTP 404 response."),
        ),
    });
    expect(await missing("x")).toBeUndefined();
    const broken = durableWorkerStatusReader({
      getStatus: () => Promise.reject(new Error("socket hang up")),
    });
    await expect(broken("x")).rejects.toThrow("socket hang up");
    const running = durableWorkerStatusReader({
      getStatus: () => Promise.resolve({ runtimeStatus: "Running", customStatus: { phase: "editing" } }),
    });
    expect(await running("x")).toEqual({ runtimeStatus: "Running", phase: { phase: "editing" } });
  });
});
