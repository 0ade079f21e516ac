import type { WorkerSettings } from "../config";
import type { MonitorSummary } from "./monitorTables";

/**
 * Adaptive monitoring interval: back to the minimum whenever something moved (an edit was just
 * sent, a status changed), otherwise doubling up to the maximum while snapshots grind on.
 */
export function nextPollSeconds(
  summary: Pick<MonitorSummary, "changed" | "counts">,
  previousSeconds: number,
  settings: Pick<WorkerSettings, "pollMinSeconds" | "pollMaxSeconds">,
): number {
  const { pollMinSeconds: min, pollMaxSeconds: max } = settings;
  if (summary.changed > 0 || (summary.counts.Adding ?? 0) > 0) return min;
  return Math.min(max, Math.max(min, previousSeconds * 2));
}
