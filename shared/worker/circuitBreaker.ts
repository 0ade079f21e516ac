import { plusSeconds } from "../domain/time";
import type { WorkerSettings } from "../config";
import type { BreakerState } from "../ledger/ledger";

export type { BreakerState };

/**
 * A per-workspace circuit breaker whose state lives in the ledger, so it holds across process
 * restarts and across instances of the app (an in-process breaker such as cockatiel's forgets on
 * every cold start and is not shared; see docs/worker.md "Faults"). These functions are the whole
 * policy; `guardSynapse` is the I/O around them.
 */
export type BreakerGate =
  | { kind: "call" }
  /** The cool-down is over: this caller may send one probe (after claiming it in the ledger). */
  | { kind: "probe"; rearmUntil: string }
  | { kind: "open"; until: string; reason: string };

type BreakerSettings = Pick<WorkerSettings, "breakerFailureThreshold" | "breakerCooldownSeconds">;

export function breakerGate(state: BreakerState, now: string, settings: BreakerSettings): BreakerGate {
  if (state.openUntil === undefined) return { kind: "call" };
  if (Date.parse(now) < Date.parse(state.openUntil)) {
    return {
      kind: "open",
      until: state.openUntil,
      reason: `circuit breaker open after ${state.failures} failed calls${state.lastError ? ` (last: ${state.lastError})` : ""}`,
    };
  }
  // Re-arming before probing means a probe that never reports back still reopens the breaker.
  return { kind: "probe", rearmUntil: plusSeconds(now, settings.breakerCooldownSeconds) };
}

export function breakerAfterFailure(
  state: BreakerState,
  error: string,
  now: string,
  settings: BreakerSettings,
): BreakerState {
  const failures = state.failures + 1;
  const opens = failures >= settings.breakerFailureThreshold;
  return {
    failures,
    lastError: error.slice(0, 300),
    updatedAt: now,
    ...(opens ? { openUntil: plusSeconds(now, settings.breakerCooldownSeconds) } : {}),
  };
}

/** A success closes the breaker; `undefined` when nothing changes (no write needed). */
export function breakerAfterSuccess(state: BreakerState, now: string): BreakerState | undefined {
  return state.failures === 0 && state.openUntil === undefined ? undefined : { failures: 0, updatedAt: now };
}

/** What `GET /api/links/…` shows. */
export function describeBreaker(state: BreakerState, now: string): "closed" | "open" | "halfOpen" {
  if (state.openUntil === undefined) return "closed";
  return Date.parse(now) < Date.parse(state.openUntil) ? "open" : "halfOpen";
}
