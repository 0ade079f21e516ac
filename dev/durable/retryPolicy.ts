/**
 * DTFx `RetryInterceptor` timing (docs/durable-protocol.md §7, §8.2). JS only mirrors the id bookkeeping
 * (`RetryableTask`); the host decides when the next attempt runs:
 *
 *   for attempt in 0..max-1:
 *     try the call; on success return
 *     if last attempt: CreateTimer(now)  ("Dummy timer for back-compat"), then rethrow
 *     delay = ComputeNextDelay(attempt)  (0 when retryTimeout expired → rethrow WITHOUT a timer)
 *     CreateTimer(now + delay)
 */
import type { WireRetryOptions } from "./actions";

/** Extension default for `maxRetryIntervalInMilliseconds` (§12.3). */
export const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 3600 * 1000;

export type RetryDecision =
  /** Schedule a timer that fires at `now + delayMs`, then retry (or surface the error for the dummy timer). */
  | { kind: "timer"; delayMs: number; lastAttempt: boolean }
  /** DTFx gives up without a timer: `retryTimeout` expired. JS keeps waiting for a timer (#629). */
  | { kind: "giveUpWithoutTimer" };

/**
 * What DTFx does after attempt number `failedAttempts` (1-based) failed.
 * `firstAttemptAt` is the orchestration time when the retry call started; `now` the time of this episode.
 */
export function decideAfterFailure(
  options: WireRetryOptions,
  failedAttempts: number,
  firstAttemptAt: number,
  now: number,
): RetryDecision {
  if (failedAttempts >= options.maxNumberOfAttempts) {
    return { kind: "timer", delayMs: 0, lastAttempt: true };
  }
  const timeout = options.retryTimeoutInMilliseconds;
  // ComputeNextDelay: retry only while CurrentUtcDateTime < firstAttempt + RetryTimeout.
  if (timeout !== undefined && !(now < firstAttemptAt + timeout)) {
    return { kind: "giveUpWithoutTimer" };
  }
  const coefficient = options.backoffCoefficient ?? 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttempts - 1);
  const max = options.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS;
  const delayMs = delay < max ? delay : max;
  // A zero delay also makes DTFx break out of the loop without a timer.
  if (!(delayMs > 0)) return { kind: "giveUpWithoutTimer" };
  return { kind: "timer", delayMs, lastAttempt: false };
}
