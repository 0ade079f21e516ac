import { linkWorkerInstanceId, type LinkRef } from "../domain/linkRef";
import type { TableStatus } from "../domain/tableStatus";
import { problem, type Problem } from "../http/problem";
import type { Ledger } from "../ledger/ledger";
import { isLinkAllowed, type Routing } from "../routing/routingRules";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";
import { describeBreaker } from "../worker/circuitBreaker";
import type { WorkerScheduler } from "../worker/ensureLinkWorker";
import { invalidLinkParameters } from "./identifiers";

export interface LinkStatusBody extends LinkRef {
  linkStatus: string;
  /** Why the service could not be asked; the ledger's view is still shown. */
  serviceError?: string;
  worker: {
    running: boolean;
    instanceId: string;
    runtimeStatus?: string;
    fault?: string;
    faultAt?: string;
    retryAt?: string;
    consecutiveFaults: number;
  };
  breaker: {
    state: "closed" | "open" | "halfOpen";
    failures: number;
    openUntil?: string;
    lastError?: string;
  };
  tables: { schema: string; name: string; status: TableStatus; error?: string; requestId?: string }[];
}

const RUNNING = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);

/** `GET /api/links/{workspace}/{linkConnection}`: the service's view, the worker's, and every table the app tracks. */
export async function getLinkStatus(
  deps: {
    ledger: Pick<Ledger, "listLinkTables" | "getWorkerHealth" | "getBreaker">;
    synapse: Pick<SynapseLinkClient, "getDetailedStatus" | "getLinkConnection">;
    scheduler: Pick<WorkerScheduler, "getRuntimeStatus">;
    routing: Routing;
    workspaces: readonly string[];
  },
  link: LinkRef,
  now: string,
): Promise<{ kind: "ok"; body: LinkStatusBody } | { kind: "problem"; problem: Problem }> {
  const invalid = invalidLinkParameters(link);
  if (invalid.length > 0) {
    return {
      kind: "problem",
      problem: problem(
        400,
        "invalid-request",
        `Invalid route parameter(s): ${invalid.map((e) => e.pointer).join(", ")}`,
        {
          errors: invalid,
        },
      ),
    };
  }
  if (!deps.workspaces.includes(link.workspace) || !isLinkAllowed(deps.routing, link)) {
    return {
      kind: "problem",
      problem: problem(
        403,
        "link-not-allowed",
        `Link connection ${link.workspace}/${link.linkConnection} is not allowed by this app's configuration`,
      ),
    };
  }
  // The link's own status needs the service; while it is unreachable (the worker is likely backing
  // off) the route still answers with what the app knows, and says why the service part is missing.
  let service: { linkStatus: string } | { serviceError: string };
  try {
    if (!(await deps.synapse.getLinkConnection(link))) {
      return {
        kind: "problem",
        problem: problem(
          404,
          "link-not-found",
          `Link connection ${link.linkConnection} does not exist in workspace ${link.workspace}`,
        ),
      };
    }
    const detailed = await deps.synapse.getDetailedStatus(link);
    service = { linkStatus: detailed.rawStatus || detailed.status };
  } catch (error) {
    service = { serviceError: error instanceof Error ? error.message : String(error) };
  }
  const instanceId = linkWorkerInstanceId(link);
  const [records, runtime, health, breaker] = await Promise.all([
    deps.ledger.listLinkTables(link),
    deps.scheduler.getRuntimeStatus(instanceId),
    deps.ledger.getWorkerHealth(link),
    deps.ledger.getBreaker(link.workspace),
  ]);
  return {
    kind: "ok",
    body: {
      ...link,
      ...("linkStatus" in service
        ? service
        : { linkStatus: "Unavailable", serviceError: service.serviceError }),
      worker: {
        running: runtime !== undefined && RUNNING.has(runtime),
        instanceId,
        ...(runtime ? { runtimeStatus: runtime } : {}),
        ...(health?.fault ? { fault: health.fault } : {}),
        ...(health?.faultAt ? { faultAt: health.faultAt } : {}),
        ...(health?.retryAt ? { retryAt: health.retryAt } : {}),
        consecutiveFaults: health?.consecutiveFaults ?? 0,
      },
      breaker: {
        state: describeBreaker(breaker.state, now),
        failures: breaker.state.failures,
        ...(breaker.state.openUntil ? { openUntil: breaker.state.openUntil } : {}),
        ...(breaker.state.lastError ? { lastError: breaker.state.lastError } : {}),
      },
      tables: records.map((r) => ({
        schema: r.source.schema,
        name: r.source.name,
        status: r.status,
        ...(r.error ? { error: r.error } : {}),
        ...(r.requestIds.length > 0 ? { requestId: r.requestIds[r.requestIds.length - 1] } : {}),
      })),
    },
  };
}
