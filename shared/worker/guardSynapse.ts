import { plusSeconds } from "../domain/time";
import { SynapseRequestError, SynapseThrottledError } from "../synapse/synapseLinkClient";
import { breakerAfterFailure, breakerAfterSuccess, breakerGate } from "./circuitBreaker";
import type { WorkerDeps } from "./workerDeps";

/** An activity that did not call Synapse, or was told to come back later: the worker waits until `until`. */
export interface Deferred {
  kind: "deferred";
  until: string;
  reason: string;
}

/** Faults worth counting against the workspace: the service or the path to it is unwell. */
export function isTransientFault(error: unknown): error is SynapseRequestError {
  if (!(error instanceof SynapseRequestError)) return false;
  const status = error.statusCode;
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

/**
 * Runs an activity's Synapse work behind the workspace's circuit breaker (state in the ledger) and
 * turns throttling with a long Retry-After into a `Deferred` the orchestrator waits out on a
 * durable timer, instead of holding the activity. Other errors are rethrown for the activity's
 * retry policy.
 */
export async function guardSynapse<T>(
  deps: Pick<WorkerDeps, "ledger" | "settings">,
  workspace: string,
  now: string,
  work: () => Promise<T>,
): Promise<T | Deferred> {
  const { ledger, settings } = deps;
  const { state, etag } = await ledger.getBreaker(workspace);
  const gate = breakerGate(state, now, settings);
  if (gate.kind === "open")
    return { kind: "deferred", until: gate.until, reason: `workspace ${workspace}: ${gate.reason}` };
  if (gate.kind === "probe") {
    // One probe across every instance of the app: whoever re-arms the breaker first sends it.
    const mine = await ledger.saveBreaker(
      workspace,
      { ...state, openUntil: gate.rearmUntil, updatedAt: now },
      etag,
    );
    if (!mine) {
      return {
        kind: "deferred",
        until: gate.rearmUntil,
        reason: `workspace ${workspace}: another worker is probing`,
      };
    }
  }
  try {
    const result = await work();
    const closed = breakerAfterSuccess(state, now);
    if (closed) await ledger.saveBreaker(workspace, closed);
    return result;
  } catch (error) {
    if (!isTransientFault(error)) throw error;
    const after = breakerAfterFailure(state, error.message, now, settings);
    await ledger.saveBreaker(workspace, after);
    // Throttling that outlasts the call's budget: come back when the service said (or later).
    const retryAt =
      error instanceof SynapseThrottledError ? plusSeconds(now, error.retryAfterSeconds) : undefined;
    const until = [retryAt, after.openUntil]
      .filter((t): t is string => t !== undefined)
      .sort()
      .pop();
    if (until === undefined) throw error;
    const why = after.openUntil
      ? `circuit breaker opened after ${after.failures} failed calls (last: ${after.lastError ?? ""})`
      : `throttled: ${error.message}`;
    return { kind: "deferred", until, reason: `workspace ${workspace}: ${why}` };
  }
}

export function isDeferred(value: unknown): value is Deferred {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "deferred";
}
