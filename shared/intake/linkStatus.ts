import { linkWorkerInstanceId, type LinkRef } from "../domain/linkRef";
import type { TableStatus } from "../domain/tableStatus";
import { problem, type Problem } from "../http/problem";
import type { Ledger } from "../ledger/ledger";
import { isLinkAllowed, type Routing } from "../routing/routingRules";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";
import type { WorkerScheduler } from "../worker/ensureLinkWorker";
import { invalidLinkParameters } from "./identifiers";

export interface LinkStatusBody extends LinkRef {
  linkStatus: string;
  worker: { running: boolean; instanceId: string };
  tables: { schema: string; name: string; status: TableStatus; error?: string; requestId?: string }[];
}

const RUNNING = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);

/** `GET /api/links/{workspace}/{linkConnection}`: the service's view, the worker's, and every table the app tracks. */
export async function getLinkStatus(
  deps: {
    ledger: Pick<Ledger, "listLinkTables">;
    synapse: Pick<SynapseLinkClient, "getDetailedStatus" | "getLinkConnection">;
    scheduler: Pick<WorkerScheduler, "getRuntimeStatus">;
    routing: Routing;
    workspaces: readonly string[];
  },
  link: LinkRef,
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
  const instanceId = linkWorkerInstanceId(link);
  const [detailed, records, runtime] = await Promise.all([
    deps.synapse.getDetailedStatus(link),
    deps.ledger.listLinkTables(link),
    deps.scheduler.getRuntimeStatus(instanceId),
  ]);
  return {
    kind: "ok",
    body: {
      ...link,
      linkStatus: detailed.rawStatus || detailed.status,
      worker: { running: runtime !== undefined && RUNNING.has(runtime), instanceId },
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
