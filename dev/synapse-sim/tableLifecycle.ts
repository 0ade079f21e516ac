// A link table's status as a pure function of the sim clock: no timers, so an injected clock fully controls it.
// Waiting (waitingMs) → Snapshotting (snapshotMs) → Replicating, or Waiting → Failed when the add was doomed.
import type { SimTimings } from "./publicTypes";

export type TableStatus = "Waiting" | "Snapshotting" | "Replicating" | "Failed";

export interface TableFailure {
  code: string;
  message: string;
}

export interface TableProgress {
  /** Sim time at which the table's lifecycle (elapsed = 0) started. */
  anchor: number;
  /** While the link is stopped / paused the lifecycle does not advance: elapsed is pinned to this value. */
  frozenElapsed?: number;
  /** When set, the pin holds only until this time (the link is Starting / Resuming). */
  thawAt?: number;
  /** Decided when the add was accepted; takes effect when Waiting ends. */
  failure?: TableFailure;
}

export function elapsedAt(progress: TableProgress, now: number): number {
  const pinned =
    progress.frozenElapsed !== undefined && (progress.thawAt === undefined || now < progress.thawAt);
  return pinned ? (progress.frozenElapsed ?? 0) : Math.max(0, now - progress.anchor);
}

export function tableStatusAt(progress: TableProgress, now: number, timings: SimTimings): TableStatus {
  const elapsed = elapsedAt(progress, now);
  if (elapsed < timings.waitingMs) return "Waiting";
  if (progress.failure) return "Failed";
  return elapsed < timings.waitingMs + timings.snapshotMs ? "Snapshotting" : "Replicating";
}

/** Pins the lifecycle where it is now (link stopping or pausing). */
export function freeze(progress: TableProgress, now: number): TableProgress {
  return { ...progress, frozenElapsed: elapsedAt(progress, now), thawAt: undefined };
}

/** Continues from the pinned point once the link is Running again at `runningAt` (resume). */
export function thaw(progress: TableProgress, runningAt: number): TableProgress {
  const elapsed = progress.frozenElapsed ?? 0;
  return { ...progress, anchor: runningAt - elapsed, frozenElapsed: elapsed, thawAt: runningAt };
}

/** Starts over from Waiting once the link is Running at `runningAt` (stop then start = full re-snapshot). */
export function restart(progress: TableProgress, runningAt: number): TableProgress {
  return { ...progress, anchor: runningAt, frozenElapsed: 0, thawAt: runningAt };
}
