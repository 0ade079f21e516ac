import { linkWorkerInstanceId, type LinkRef } from "../domain/linkRef";
import type { TableStatus } from "../domain/tableStatus";
import type { BreakerState, Ledger, WorkerHealth } from "../ledger/ledger";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";
import { whatToDo } from "../dashboard/advice";
import { describeBreaker } from "../worker/circuitBreaker";
import { ACTIVE_STATUSES, type WorkerRuntimeStatus, type WorkerScheduler } from "../worker/ensureLinkWorker";
import { refuseRouteLink, type LinkPolicy } from "./checkLink";
import { refused, type Refused } from "./refusals";

export interface LinkStatusBody extends LinkRef {
  linkStatus: string;
  /** Why the service could not be asked; the ledger's view is still shown. */
  serviceError?: string;
  /** Standing warnings, e.g. the workspace is connected to git (docs/control-plane.md#git-mode). */
  warnings?: string[];
  worker: {
    running: boolean;
    instanceId: string;
    runtimeStatus?: string;
    fault?: string;
    faultAt?: string;
    retryAt?: string;
    consecutiveFaults: number;
    /** What the worker waits for before it edits, e.g. "waiting for SQL pool dw (Paused)". */
    waiting?: string;
    waitingSince?: string;
  };
  breaker: {
    state: "closed" | "open" | "halfOpen";
    failures: number;
    openUntil?: string;
    lastError?: string;
  };
  tables: {
    schema: string;
    name: string;
    status: TableStatus;
    error?: string;
    requestId?: string;
    /** When the table last changed status (or was last saved), when its current add was sent, remediations used. */
    updatedAt: string;
    editedAt?: string;
    requestedAt?: string;
    attempts: number;
    /** One line on what an operator can do (Failed, Rejected, Suspended tables). */
    whatToDo?: string;
  }[];
}

export type LinkStatusResult =
  { kind: "ok"; body: LinkStatusBody } | Refused<"invalidParameters" | "linkNotAllowed" | "linkNotFound">;

type ServiceView = { linkStatus: string } | { linkStatus: "Unavailable"; serviceError: string };

/**
 * The link's own status needs the service; while it is unreachable (the worker is likely backing
 * off) the route still answers with what the app knows, and says why the service part is missing.
 * Undefined when the service says the link does not exist.
 */
async function askService(
  synapse: Pick<SynapseLinkClient, "getDetailedStatus" | "getLinkConnection">,
  link: LinkRef,
): Promise<ServiceView | undefined> {
  try {
    if (!(await synapse.getLinkConnection(link))) return undefined;
    const detailed = await synapse.getDetailedStatus(link);
    return { linkStatus: detailed.rawStatus || detailed.status };
  } catch (error) {
    return {
      linkStatus: "Unavailable",
      serviceError: error instanceof Error ? error.message : String(error),
    };
  }
}

function workerView(
  instanceId: string,
  runtime: WorkerRuntimeStatus | undefined,
  health: WorkerHealth | undefined,
): LinkStatusBody["worker"] {
  return {
    running: runtime !== undefined && ACTIVE_STATUSES.has(runtime),
    instanceId,
    ...(runtime ? { runtimeStatus: runtime } : {}),
    ...(health?.fault ? { fault: health.fault } : {}),
    ...(health?.faultAt ? { faultAt: health.faultAt } : {}),
    ...(health?.retryAt ? { retryAt: health.retryAt } : {}),
    consecutiveFaults: health?.consecutiveFaults ?? 0,
    ...(health?.waitingFor ? { waiting: health.waitingFor } : {}),
    ...(health?.waitingSince ? { waitingSince: health.waitingSince } : {}),
  };
}

function breakerView(state: BreakerState, now: string): LinkStatusBody["breaker"] {
  return {
    state: describeBreaker(state, now),
    failures: state.failures,
    ...(state.openUntil ? { openUntil: state.openUntil } : {}),
    ...(state.lastError ? { lastError: state.lastError } : {}),
  };
}

function withAdvice(r: { status: TableStatus; error?: string }): { whatToDo?: string } {
  const advice = whatToDo(r.status, r.error);
  return advice ? { whatToDo: advice } : {};
}

/** `GET /api/links/{workspace}/{linkConnection}`: the service's view, the worker's, and every table the app tracks. */
export async function getLinkStatus(
  deps: LinkPolicy & {
    ledger: Pick<Ledger, "listLinkTables" | "getWorkerHealth" | "getBreaker">;
    synapse: Pick<SynapseLinkClient, "getDetailedStatus" | "getLinkConnection">;
    scheduler: Pick<WorkerScheduler, "getRuntimeStatus">;
  },
  link: LinkRef,
  now: string,
): Promise<LinkStatusResult> {
  const refusal = refuseRouteLink(deps, link);
  if (refusal) return refused(refusal);
  const service = await askService(deps.synapse, link);
  if (!service) return refused({ kind: "linkNotFound", link });
  const instanceId = linkWorkerInstanceId(link);
  const [records, runtime, health, breaker] = await Promise.all([
    deps.ledger.listLinkTables(link),
    deps.scheduler.getRuntimeStatus(instanceId),
    deps.ledger.getWorkerHealth(link),
    deps.ledger.getBreaker(link.workspace),
  ]);
  const body: LinkStatusBody = {
    ...link,
    ...service,
    // The worker records the warning on each preflight (shared/worker/checkSqlPool.ts).
    ...(health?.warning ? { warnings: [health.warning] } : {}),
    worker: workerView(instanceId, runtime, health),
    breaker: breakerView(breaker.state, now),
    tables: records.map((r) => ({
      schema: r.source.schema,
      name: r.source.name,
      status: r.status,
      ...(r.error ? { error: r.error } : {}),
      ...(r.requestIds.length > 0 ? { requestId: r.requestIds[r.requestIds.length - 1] } : {}),
      updatedAt: r.updatedAt,
      ...(r.editedAt ? { editedAt: r.editedAt } : {}),
      ...(r.requestedAt ? { requestedAt: r.requestedAt } : {}),
      attempts: r.attempts,
      ...withAdvice(r),
    })),
  };
  return { kind: "ok", body };
}
