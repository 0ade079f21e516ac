import type { WorkerSettings } from "../config";

const FIRST_BACKOFF_SECONDS = 30;

/**
 * Back-off of the worker after an activity that failed all its retries: 30 s, 60 s, 120 s … up to
 * FAULT_BACKOFF_MAX_SECONDS. `faults` counts consecutive faulted polls (1 for the first).
 */
export function faultBackoffSeconds(
  faults: number,
  settings: Pick<WorkerSettings, "faultBackoffMaxSeconds">,
): number {
  const exponent = Math.min(Math.max(faults, 1) - 1, 20);
  return Math.min(settings.faultBackoffMaxSeconds, FIRST_BACKOFF_SECONDS * 2 ** exponent);
}
