import { SynapseRequestError, SynapseThrottledError } from "../../../shared/synapse/synapseLinkClient";
import { guardSynapse } from "../../../shared/worker/guardSynapse";
import { makeDeps, NOW } from "./workerTestKit";

const later = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();
const unavailable = () => new SynapseRequestError("Service Unavailable", 503, undefined, "getDetailedStatus");

describe("guardSynapse", () => {
  it("returns the work's result and writes nothing while the breaker is closed", async () => {
    const { deps, ledger } = makeDeps();
    expect(await guardSynapse(deps, "demo", NOW, () => Promise.resolve(42))).toBe(42);
    expect(ledger.breakers.size).toBe(0);
  });

  it("counts transient failures and rethrows them for the retry policy until the breaker opens", async () => {
    const { deps, ledger } = makeDeps({ breakerFailureThreshold: 2, breakerCooldownSeconds: 120 });
    await expect(guardSynapse(deps, "demo", NOW, () => Promise.reject(unavailable()))).rejects.toThrow(
      "Service Unavailable",
    );
    expect(await guardSynapse(deps, "demo", NOW, () => Promise.reject(unavailable()))).toMatchObject({
      kind: "deferred",
      until: later(120),
      reason: expect.stringMatching(/circuit breaker opened after 2 failed calls/),
    });
    expect(ledger.breakers.get("demo")?.state).toMatchObject({ failures: 2, openUntil: later(120) });
  });

  it("does not call the workspace while its breaker is open, for any worker of the app", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.saveBreaker("demo", { failures: 5, openUntil: later(120) });
    let called = false;
    const result = await guardSynapse(deps, "demo", later(60), () => {
      called = true;
      return Promise.resolve(1);
    });
    expect(called).toBe(false);
    expect(result).toMatchObject({ kind: "deferred", until: later(120) });
  });

  it("lets exactly one caller probe after the cool-down and closes the breaker when the probe succeeds", async () => {
    const { deps, ledger } = makeDeps({ breakerCooldownSeconds: 120 });
    await ledger.saveBreaker("demo", { failures: 5, openUntil: later(120) });
    let release: () => void = () => undefined;
    const probe = guardSynapse(
      deps,
      "demo",
      later(130),
      () =>
        new Promise<string>((resolve) => {
          release = () => {
            resolve("probed");
          };
        }),
    );
    await new Promise((r) => setImmediate(r));
    const second = await guardSynapse(deps, "demo", later(130), () => Promise.resolve("second"));
    expect(second).toMatchObject({ kind: "deferred", until: later(250) });
    release();
    expect(await probe).toBe("probed");
    expect(ledger.breakers.get("demo")?.state).toEqual({ failures: 0, updatedAt: later(130) });
  });

  it("turns a long Retry-After into a deferral instead of holding the activity", async () => {
    const { deps } = makeDeps();
    const throttled = new SynapseThrottledError("Too many requests", 429, undefined, "editTables", 2131);
    expect(await guardSynapse(deps, "demo", NOW, () => Promise.reject(throttled))).toMatchObject({
      kind: "deferred",
      until: later(2131),
    });
  });

  it("rethrows a refusal (4xx) without counting it against the workspace", async () => {
    const { deps, ledger } = makeDeps();
    const refused = new SynapseRequestError("Bad request", 400, undefined, "editTables");
    await expect(guardSynapse(deps, "demo", NOW, () => Promise.reject(refused))).rejects.toThrow(
      "Bad request",
    );
    expect(ledger.breakers.size).toBe(0);
  });
});
