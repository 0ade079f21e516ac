import { describeLink, type LinkRef } from "../domain/linkRef";
import type { ArmConfig, WorkerSettings } from "../config";
import type { WorkerHealth, WorkerLedger } from "../ledger/ledger";
import type { LinkActivityInput } from "./linkWorkerInput";
import { gitModeWarning, type ControlPlane } from "../synapse/controlPlane";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";
import type { OutcomePublisher } from "../outcomes/outcomePublisher";
import { isDue } from "./batchPlan";
import { failTables } from "./failTables";
import { sqlPoolReadiness } from "./sqlPoolReadiness";

/** What the preflight found; `notice` is said once per worker execution (git mode, an unknown pool). */
export type SqlPoolCheck =
  | { kind: "ready"; notice?: string }
  /** Wait (a durable timer) and check again (a resume in flight is kept on the worker's health row). */
  | { kind: "wait"; reason: string; notice?: string }
  /** The pool stayed unavailable past the deadline: the pending tables failed with `reason`. */
  | { kind: "failed"; reason: string; notice?: string };

export interface SqlPoolDeps {
  ledger: Pick<WorkerLedger, "listLinkTables" | "saveLinkTables" | "getWorkerHealth" | "saveWorkerHealth">;
  /** The tables failed past SQL_POOL_DEADLINE_MINUTES are reported like any failed table. */
  outcomes: OutcomePublisher;
  settings: Pick<WorkerSettings, "autoResumeSqlPools" | "sqlPoolDeadlineMinutes">;
  /** Absent without ARM: every check passes. */
  controlPlane?: ControlPlane;
  /** Reads the link's target linked service, which names the pool (docs/control-plane.md#finding-the-pool). */
  synapse: Pick<SynapseLinkClient, "getTargetPool">;
  config: { arm?: Pick<ArmConfig, "sqlPools" | "gitModeAcknowledged"> };
}

/** The activity's input: the link and the orchestration's now (references only, no operation URLs). */
export type CheckSqlPoolInput = LinkActivityInput;

/**
 * The preflight before an edit (docs/control-plane.md): the link's dedicated SQL pool must be
 * Online. A pool that is not is waited for (the orchestrator's timer), resumed when
 * AUTO_RESUME_SQL_POOLS allows (the long-running operation is started here and polled on later
 * checks, never waited for), and past SQL_POOL_DEADLINE_MINUTES the pending tables fail. The
 * wait's start and the resume's state are kept in the worker's health row, so the deadline holds
 * across executions and the resume's operation URLs stay out of the orchestration's history.
 */
export async function checkSqlPool(deps: SqlPoolDeps, link: LinkRef, now: string): Promise<SqlPoolCheck> {
  const { controlPlane, ledger } = deps;
  if (!controlPlane?.manages(link.workspace)) return { kind: "ready" };
  // Pending records only (filtered by the store), until one is due: not the link's finished tables.
  const due = await ledger.listLinkTables(link, ["Pending"], (soFar) => soFar.some((r) => isDue(r, now)));
  if (!due.some((r) => isDue(r, now))) return { kind: "ready" };

  const workspace = await controlPlane.getWorkspace(link.workspace);
  const warning =
    workspace.git && deps.config.arm?.gitModeAcknowledged !== true
      ? gitModeWarning(link.workspace, workspace.git)
      : undefined;
  const notices = warning ? [warning] : [];
  const health = await ledger.getWorkerHealth(link);
  const record = (wait?: { reason: string; since: string; resume: string | undefined }) =>
    recordOnHealth(ledger, link, health, now, warning, wait);

  const target = await targetPool(deps, controlPlane, link, now);
  if ("unknown" in target) {
    notices.push(target.unknown);
    await record();
    return withNotice({ kind: "ready" }, notices);
  }
  const { pool } = target;
  let resume = health?.sqlPoolResume;
  if (resume !== undefined) {
    try {
      const progress = await controlPlane.pollResume(link.workspace, pool, resume);
      resume = progress.done ? undefined : progress.state;
    } catch (error) {
      // The operation failed, expired, or its URL does not answer: following it no further, the
      // pool's own status below decides (Resuming: wait; Paused: resumed anew). Rethrowing would
      // poll the same dead operation on every check and hold off SQL_POOL_DEADLINE_MINUTES.
      resume = undefined;
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      notices.push(`the resume of SQL pool ${pool} could not be followed (${why}); its status decides`);
    }
  }
  const { status } = await controlPlane.getSqlPool(link.workspace, pool);
  const since = ongoingWaitSince(health, now, deps.settings.sqlPoolDeadlineMinutes);
  const decision = sqlPoolReadiness(
    {
      pool,
      status,
      resumeInFlight: resume !== undefined,
      ...(since !== undefined ? { waitingSince: since } : {}),
    },
    now,
    deps.settings,
  );
  if (decision.kind === "ready") {
    await record();
    return withNotice({ kind: "ready" }, notices);
  }
  if (decision.kind === "fail") {
    const pending = await ledger.listLinkTables(link, ["Pending"]);
    await failTables(deps, link, now, pending, () => decision.reason);
    await record();
    return withNotice({ kind: "failed", reason: decision.reason }, notices);
  }
  if (decision.resume) {
    const started = await controlPlane.beginResume(link.workspace, pool);
    resume = started.done ? undefined : started.state;
  }
  await record({ reason: decision.reason, since: since ?? now, resume });
  return withNotice({ kind: "wait", reason: decision.reason }, notices);
}

/**
 * How often a lasting wait refreshes its last sighting (`waitSeenAt`): a write every few minutes,
 * not one per check.
 */
const WAIT_SEEN_REFRESH_MS = 5 * 60_000;
/** A wait no check has seen for this long (nor for the deadline, if longer) is over: checks were off. */
const WAIT_FORGOTTEN_AFTER_MS = 60 * 60_000;

/**
 * The start of the wait the deadline counts from, if one is still going on. A wait recorded and
 * then not seen for longer than the deadline (at least an hour) is left over from checks that
 * stopped (the ARM settings or the workspace's resource id removed for a while): the pool gets a new wait, rather
 * than its tables failing at once when checks come back. A row written before `waitSeenAt` existed
 * keeps its wait.
 */
function ongoingWaitSince(
  health: WorkerHealth | undefined,
  now: string,
  deadlineMinutes: number,
): string | undefined {
  if (health?.waitingSince === undefined) return undefined;
  if (health.waitSeenAt === undefined) return health.waitingSince;
  const unseenMs = Date.parse(now) - Date.parse(health.waitSeenAt);
  return unseenMs <= Math.max(deadlineMinutes * 60_000, WAIT_FORGOTTEN_AFTER_MS)
    ? health.waitingSince
    : undefined;
}

/**
 * Keeps the wait (for `GET /api/links/…` and the deadline), the resume it follows and the git-mode
 * warning on the worker's health row; writes only when one changed, or the wait's last sighting is
 * a few minutes old.
 */
async function recordOnHealth(
  ledger: SqlPoolDeps["ledger"],
  link: LinkRef,
  health: WorkerHealth | undefined,
  now: string,
  warning: string | undefined,
  wait: { reason: string; since: string; resume: string | undefined } | undefined,
): Promise<void> {
  const seenLately =
    wait === undefined ||
    (health?.waitSeenAt !== undefined &&
      Date.parse(now) - Date.parse(health.waitSeenAt) < WAIT_SEEN_REFRESH_MS);
  const same =
    health?.warning === warning &&
    health?.waitingFor === wait?.reason &&
    health?.waitingSince === wait?.since &&
    health?.sqlPoolResume === wait?.resume &&
    seenLately;
  if (same) return;
  const {
    waitingFor: _for,
    waitingSince: _since,
    waitSeenAt: _seen,
    warning: _warning,
    sqlPoolResume: _resume,
    ...rest
  } = health ?? {
    consecutiveFaults: 0,
    updatedAt: now,
  };
  await ledger.saveWorkerHealth(link, {
    ...rest,
    ...(warning !== undefined ? { warning } : {}),
    ...(wait ? { waitingFor: wait.reason, waitingSince: wait.since, waitSeenAt: now } : {}),
    ...(wait?.resume !== undefined ? { sqlPoolResume: wait.resume } : {}),
    updatedAt: now,
  });
}

/**
 * How long a link's pool found through its linked service is reused: the worker checks the pool on
 * every poll while tables wait, and the link's linked service changes rarely (an edit is picked up
 * within this time). Measured on the orchestration's clock, so replays and tests agree.
 */
const TARGET_POOL_TTL_MS = 5 * 60_000;

type TargetPool = { pool: string } | { unknown: string };

/** Per SynapseLinkClient (one per app, one per test), per link: the pool found and when (orchestration time). */
const resolvedPools = new WeakMap<object, Map<string, { at: number; target: TargetPool }>>();

/**
 * The link's target pool: an explicit SYNAPSE_SQL_POOLS entry wins; else the pool the link's linked
 * service names (if the workspace has it); else the workspace's only dedicated pool. Without any, the
 * pool is not checked and the notice says which setting to add. All but the setting are cached for
 * TARGET_POOL_TTL_MS, so a waiting worker reads the link and its linked service once, not per poll.
 */
async function targetPool(
  deps: SqlPoolDeps,
  controlPlane: ControlPlane,
  link: LinkRef,
  now: string,
): Promise<TargetPool> {
  const configured = deps.config.arm?.sqlPools.find(
    (p) =>
      p.workspace.toLowerCase() === link.workspace.toLowerCase() &&
      p.linkConnection.toLowerCase() === link.linkConnection.toLowerCase(),
  );
  if (configured) return { pool: configured.pool };
  let byLink = resolvedPools.get(deps.synapse);
  if (!byLink) {
    byLink = new Map();
    resolvedPools.set(deps.synapse, byLink);
  }
  const key = `${link.workspace}/${link.linkConnection}`.toLowerCase();
  const at = Date.parse(now);
  const cached = byLink.get(key);
  if (cached && at >= cached.at && at - cached.at < TARGET_POOL_TTL_MS) return cached.target;
  const target = await resolveTargetPool(deps, controlPlane, link);
  byLink.set(key, { at, target });
  return target;
}

async function resolveTargetPool(
  deps: SqlPoolDeps,
  controlPlane: ControlPlane,
  link: LinkRef,
): Promise<TargetPool> {
  const named = await deps.synapse.getTargetPool(link);
  const pools = await controlPlane.listSqlPools(link.workspace);
  let why: string;
  if ("pool" in named) {
    const match = pools.find((p) => p.name.toLowerCase() === named.pool.toLowerCase());
    if (match) return { pool: match.name };
    why = `its linked service ${named.linkedService} names SQL pool ${named.pool}, which workspace ${link.workspace} does not have`;
  } else {
    why = `its target linked service names no pool (${named.none})`;
  }
  const [only] = pools;
  if (pools.length === 1 && only) return { pool: only.name };
  return {
    unknown:
      `The SQL pool of ${describeLink(link)} is not checked: ${why}, and workspace ${link.workspace} has ${pools.length} ` +
      `dedicated SQL pools; name the link's in SYNAPSE_SQL_POOLS (${link.workspace}/${link.linkConnection}=<pool>).`,
  };
}

function withNotice<T extends SqlPoolCheck>(check: T, notices: string[]): T {
  return notices.length > 0 ? { ...check, notice: notices.join(" ") } : check;
}
