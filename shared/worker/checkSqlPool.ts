import { describeLink, type LinkRef } from "../domain/linkRef";
import type { ArmConfig, WorkerSettings } from "../config";
import type { WorkerHealth, WorkerLedger } from "../ledger/ledger";
import type { LinkActivityInput } from "./linkWorkerInput";
import { gitModeWarning, type ControlPlane } from "../synapse/controlPlane";
import { isDue } from "./batchPlan";
import { sqlPoolReadiness } from "./sqlPoolReadiness";

/** What the preflight found; `notice` is said once per worker execution (git mode, an unknown pool). */
export type SqlPoolCheck =
  | { kind: "ready"; notice?: string }
  /** Wait (a durable timer) and check again; `resumeState` is a resume in flight, for the next check. */
  | { kind: "wait"; reason: string; resumeState?: string; notice?: string }
  /** The pool stayed unavailable past the deadline: the pending tables failed with `reason`. */
  | { kind: "failed"; reason: string; notice?: string };

export interface SqlPoolDeps {
  ledger: Pick<WorkerLedger, "listLinkTables" | "saveLinkTables" | "getWorkerHealth" | "saveWorkerHealth">;
  settings: Pick<WorkerSettings, "autoResumeSqlPools" | "sqlPoolDeadlineMinutes">;
  /** Absent without ARM: every check passes. */
  controlPlane?: ControlPlane;
  config: { arm?: Pick<ArmConfig, "sqlPools" | "gitModeAcknowledged"> };
}

/** The activity's input: the link, the orchestration's now, and a resume this execution started. */
export interface CheckSqlPoolInput extends LinkActivityInput {
  resumeState?: string;
}

/**
 * The preflight before an edit (docs/control-plane.md): the link's dedicated SQL pool must be
 * Online. A pool that is not is waited for (the orchestrator's timer), resumed when
 * AUTO_RESUME_SQL_POOLS allows (the long-running operation is started here and polled on later
 * checks, never waited for), and past SQL_POOL_DEADLINE_MINUTES the pending tables fail. The
 * wait's start is kept in the worker's health row so the deadline holds across executions.
 */
export async function checkSqlPool(
  deps: SqlPoolDeps,
  link: LinkRef,
  now: string,
  resumeState?: string,
): Promise<SqlPoolCheck> {
  const { controlPlane, ledger } = deps;
  if (!controlPlane?.manages(link.workspace)) return { kind: "ready" };
  const records = await ledger.listLinkTables(link);
  const pending = records.filter((r) => r.status === "Pending");
  if (!pending.some((r) => isDue(r, now))) return { kind: "ready" };

  const workspace = await controlPlane.getWorkspace(link.workspace);
  const warning =
    workspace.git && deps.config.arm?.gitModeAcknowledged !== true
      ? gitModeWarning(link.workspace, workspace.git)
      : undefined;
  const notices = warning ? [warning] : [];
  const health = await ledger.getWorkerHealth(link);
  const record = (wait?: { reason: string; since: string }) =>
    recordOnHealth(ledger, link, health, now, warning, wait);

  const pool = await targetPool(deps, controlPlane, link);
  if (typeof pool !== "string") {
    notices.push(pool.unknown);
    await record();
    return withNotice({ kind: "ready" }, notices);
  }
  let resume = resumeState;
  if (resume !== undefined) {
    const progress = await controlPlane.pollResume(link.workspace, pool, resume);
    resume = progress.done ? undefined : progress.state;
  }
  const { status } = await controlPlane.getSqlPool(link.workspace, pool);
  const decision = sqlPoolReadiness(
    {
      pool,
      status,
      resumeInFlight: resume !== undefined,
      ...(health?.waitingSince ? { waitingSince: health.waitingSince } : {}),
    },
    now,
    deps.settings,
  );
  if (decision.kind === "ready") {
    await record();
    return withNotice({ kind: "ready" }, notices);
  }
  if (decision.kind === "fail") {
    await ledger.saveLinkTables(
      link,
      pending.map((r) => ({ ...r, status: "Failed", error: decision.reason, updatedAt: now })),
    );
    await record();
    return withNotice({ kind: "failed", reason: decision.reason }, notices);
  }
  if (decision.resume) {
    const started = await controlPlane.beginResume(link.workspace, pool);
    resume = started.done ? undefined : started.state;
  }
  await record({ reason: decision.reason, since: health?.waitingSince ?? now });
  return withNotice(
    { kind: "wait", reason: decision.reason, ...(resume !== undefined ? { resumeState: resume } : {}) },
    notices,
  );
}

/**
 * Keeps the wait (for `GET /api/links/…` and the deadline) and the git-mode warning on the
 * worker's health row; writes only when either changed.
 */
async function recordOnHealth(
  ledger: SqlPoolDeps["ledger"],
  link: LinkRef,
  health: WorkerHealth | undefined,
  now: string,
  warning: string | undefined,
  wait: { reason: string; since: string } | undefined,
): Promise<void> {
  const same =
    health?.warning === warning &&
    health?.waitingFor === wait?.reason &&
    health?.waitingSince === wait?.since;
  if (same) return;
  const {
    waitingFor: _for,
    waitingSince: _since,
    warning: _warning,
    ...rest
  } = health ?? {
    consecutiveFaults: 0,
    updatedAt: now,
  };
  await ledger.saveWorkerHealth(link, {
    ...rest,
    ...(warning !== undefined ? { warning } : {}),
    ...(wait ? { waitingFor: wait.reason, waitingSince: wait.since } : {}),
    updatedAt: now,
  });
}

/**
 * The link's target pool: the SYNAPSE_SQL_POOLS entry, else the workspace's only dedicated pool.
 * (The link's linked service names the pool only inside its connection settings, which this
 * version does not read: docs/control-plane.md#finding-the-pool.)
 */
async function targetPool(
  deps: SqlPoolDeps,
  controlPlane: ControlPlane,
  link: LinkRef,
): Promise<string | { unknown: string }> {
  const configured = deps.config.arm?.sqlPools.find(
    (p) =>
      p.workspace.toLowerCase() === link.workspace.toLowerCase() &&
      p.linkConnection.toLowerCase() === link.linkConnection.toLowerCase(),
  );
  if (configured) return configured.pool;
  const pools = await controlPlane.listSqlPools(link.workspace);
  const [only] = pools;
  if (pools.length === 1 && only) return only.name;
  return {
    unknown:
      `The SQL pool of ${describeLink(link)} is not checked: workspace ${link.workspace} has ${pools.length} dedicated ` +
      `SQL pools; name the link's in SYNAPSE_SQL_POOLS (${link.workspace}/${link.linkConnection}=<pool>).`,
  };
}

function withNotice<T extends SqlPoolCheck>(check: T, notices: string[]): T {
  return notices.length > 0 ? { ...check, notice: notices.join(" ") } : check;
}
