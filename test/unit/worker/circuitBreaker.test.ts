import {
  breakerAfterFailure,
  breakerAfterSuccess,
  breakerGate,
  describeBreaker,
} from "../../../shared/worker/circuitBreaker";
import { faultBackoffSeconds } from "../../../shared/worker/faultBackoff";
import { NOW } from "./workerTestKit";

const later = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();
const settings = { breakerFailureThreshold: 3, breakerCooldownSeconds: 120 };

describe("circuit breaker", () => {
  it("lets calls through while closed", () => {
    expect(breakerGate({ failures: 2 }, NOW, settings)).toEqual({ kind: "call" });
  });

  it("opens for the cool-down once the threshold of consecutive failures is reached", () => {
    const after = breakerAfterFailure({ failures: 2 }, "503 Service Unavailable", NOW, settings);
    expect(after).toMatchObject({ failures: 3, openUntil: later(120), lastError: "503 Service Unavailable" });
    expect(breakerGate(after, later(60), settings)).toMatchObject({ kind: "open", until: later(120) });
    expect(describeBreaker(after, later(60))).toBe("open");
  });

  it("stays closed below the threshold", () => {
    expect(breakerAfterFailure({ failures: 0 }, "x", NOW, settings).openUntil).toBeUndefined();
  });

  it("allows one probe after the cool-down, re-arming the breaker for the next one", () => {
    const open = { failures: 3, openUntil: later(120) };
    expect(breakerGate(open, later(120), settings)).toEqual({ kind: "probe", rearmUntil: later(240) });
    expect(describeBreaker(open, later(121))).toBe("halfOpen");
  });

  it("closes on a success and writes nothing when it was closed already", () => {
    expect(breakerAfterSuccess({ failures: 3, openUntil: later(120) }, NOW)).toEqual({
      failures: 0,
      updatedAt: NOW,
    });
    expect(breakerAfterSuccess({ failures: 0 }, NOW)).toBeUndefined();
  });
});

describe("faultBackoffSeconds", () => {
  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [5, 480],
    [6, 600],
    [60, 600],
  ])("after %i faulted polls waits %i s (capped by FAULT_BACKOFF_MAX_SECONDS=600)", (faults, seconds) => {
    expect(faultBackoffSeconds(faults, { faultBackoffMaxSeconds: 600 })).toBe(seconds);
  });
});
