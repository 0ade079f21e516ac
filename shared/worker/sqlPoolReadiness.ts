import type { WorkerSettings } from "../config";

/** What the worker does about the link's dedicated SQL pool before it edits the link. */
export type SqlPoolReadiness =
  | { kind: "ready" }
  /** Wait on a durable timer and ask again; `resume`: start resuming the pool first. */
  | { kind: "wait"; reason: string; resume: boolean }
  /** The pool stayed unavailable past the deadline: the pending tables fail with `reason`. */
  | { kind: "fail"; reason: string };

export interface SqlPoolObservation {
  pool: string;
  /** The service's raw `properties.status`; the spec gives it no enum, so any string may come. */
  status: string;
  /** When the worker first found the pool not Online; absent the first time. */
  waitingSince?: string;
  /** A resume this worker started has not finished yet. */
  resumeInFlight: boolean;
}

/**
 * Only an Online pool takes new tables. Paused, Pausing, Resuming, Scaling and any value the app
 * does not know mean "not ready": waiting is safe, whereas editing a link whose pool is
 * unavailable has no documented outcome (docs/control-plane.md). Status strings are compared
 * without regard to case, since the SDK types them as plain strings.
 */
export function sqlPoolReadiness(
  observed: SqlPoolObservation,
  now: string,
  settings: Pick<WorkerSettings, "autoResumeSqlPools" | "sqlPoolDeadlineMinutes">,
): SqlPoolReadiness {
  const status = observed.status.trim();
  const normalized = status.toLowerCase();
  if (normalized === "online") return { kind: "ready" };
  const shown = status === "" ? "no status" : status;
  const since = Date.parse(observed.waitingSince ?? now);
  const deadlineMs = settings.sqlPoolDeadlineMinutes * 60_000;
  if (Date.parse(now) - since >= deadlineMs) {
    return {
      kind: "fail",
      reason:
        `SQL pool ${observed.pool} stayed unavailable (${shown}) for ${settings.sqlPoolDeadlineMinutes} minutes ` +
        `(SQL_POOL_DEADLINE_MINUTES): tables are only added while the link's target pool is Online. Resume the pool` +
        `${settings.autoResumeSqlPools ? "" : " (or set AUTO_RESUME_SQL_POOLS=true)"} and onboard the tables again.`,
    };
  }
  const waiting = `waiting for SQL pool ${observed.pool} (${shown})`;
  if (normalized === "paused") {
    if (settings.autoResumeSqlPools) {
      return { kind: "wait", reason: `${waiting}; resuming it`, resume: !observed.resumeInFlight };
    }
    return {
      kind: "wait",
      reason: `${waiting}; resume it, or set AUTO_RESUME_SQL_POOLS=true`,
      resume: false,
    };
  }
  return { kind: "wait", reason: waiting, resume: false };
}
