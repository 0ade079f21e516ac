import { describeLink, linkWorkerInstanceId, sameLink, type LinkRef } from "../domain/linkRef";
import { TABLE_STATUSES, type TableStatus } from "../domain/tableStatus";
import type { Ledger } from "../ledger/ledger";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";
import { runtimeStatusOnly, type WorkerPhase, type WorkerStatusReader } from "../dashboard/workerStatus";
import type { LinkPolicy } from "./checkLink";
import { encodeToken, decodeToken } from "./listRequests";
import { getLinkStatus, type LinkStatusBody } from "./linkStatus";
import type { FieldError } from "./refusals";
import { refused, type Refused } from "./refusals";

/** One link on the dashboard's overview: what `GET /api/links/{ws}/{link}` says, condensed. */
export interface LinkSummary extends LinkRef {
  /** The service's status; `NotFound` when it has no such link, `NotAllowed` when the config no longer allows it. */
  linkStatus: string;
  serviceError?: string;
  worker: {
    running: boolean;
    runtimeStatus?: string;
    phase?: WorkerPhase["phase"];
    detail?: string;
    consecutiveFaults: number;
  };
  breaker: LinkStatusBody["breaker"]["state"];
  /** Tables the app tracks in this link, by status (only statuses with tables). */
  tables: Partial<Record<TableStatus, number>>;
  /** The worker's fault, else the breaker's last error, else the newest table error. */
  lastError?: string;
  /** The newest table change (or request) the ledger knows of. */
  lastChangeAt?: string;
  nextPollAt?: string;
  /** Things an operator should know even when nothing failed (another part of the app may add more). */
  warnings: string[];
}

export interface LinkListBody {
  links: LinkSummary[];
  continuationToken?: string;
}

export type ListLinksResult = { kind: "ok"; body: LinkListBody } | Refused<"invalidParameters">;

/**
 * Links summarized per call: each costs two service calls, one durable status read and one read of
 * the link's table rows in the ledger (at most the link's table limit).
 */
export const LINKS_PER_PAGE = 20;

/** Links the configuration names exactly (a `workspace/*` entry names none it could list). */
export function configuredLinks(policy: LinkPolicy): LinkRef[] {
  const named = [
    ...policy.routing.allowedLinks.filter((p) => p.linkConnection !== "*"),
    ...policy.routing.rules.map((r) => ({ workspace: r.workspace, linkConnection: r.linkConnection })),
  ].filter((l) => policy.workspaces.includes(l.workspace));
  return named.filter((l, i) => named.findIndex((m) => sameLink(l, m)) === i);
}

function countByStatus(records: readonly { status: TableStatus }[]): LinkSummary["tables"] {
  const counts: LinkSummary["tables"] = {};
  for (const status of TABLE_STATUSES) {
    const n = records.filter((r) => r.status === status).length;
    if (n > 0) counts[status] = n;
  }
  return counts;
}

const newest = (times: readonly (string | undefined)[]) =>
  times
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1);

async function summarize(
  deps: LinkPolicy & {
    ledger: Pick<Ledger, "listLinkTables" | "getWorkerHealth" | "getBreaker">;
    synapse: Pick<SynapseLinkClient, "getDetailedStatus" | "getLinkConnection">;
    readWorker: WorkerStatusReader;
  },
  link: LinkRef & { lastRequestAt?: string },
  now: string,
): Promise<LinkSummary> {
  const ref = { workspace: link.workspace, linkConnection: link.linkConnection };
  const worker = await deps.readWorker(linkWorkerInstanceId(ref));
  const result = await getLinkStatus({ ...deps, scheduler: runtimeStatusOnly(worker) }, ref, now);
  const body = result.kind === "ok" ? result.body : undefined;
  // A link the route refuses still shows what the ledger holds for it.
  const records: { status: TableStatus; error?: string; updatedAt: string }[] =
    body?.tables ??
    (await deps.ledger.listLinkTables(ref)).map(({ status, error, updatedAt }) => ({
      status,
      updatedAt,
      ...(error ? { error } : {}),
    }));
  const failed = records
    .filter((r) => r.error)
    .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
    .at(-1)?.error;
  const phase = worker?.phase;
  const warnings = [
    ...(body?.breaker.state === "open" ? [`circuit breaker open for workspace ${link.workspace}`] : []),
    ...(body?.worker.waiting ? [body.worker.waiting] : []),
    ...(body?.warnings ?? []),
  ];
  const lastError = body?.worker.fault ?? body?.breaker.lastError ?? failed;
  const nextPollAt = phase?.retryAt ?? phase?.nextPollAt;
  const lastChangeAt = newest([link.lastRequestAt, ...records.map((r) => r.updatedAt)]);
  return {
    ...ref,
    linkStatus:
      body?.linkStatus ??
      (result.kind === "refused" && result.refusal.kind === "linkNotFound" ? "NotFound" : "NotAllowed"),
    ...(body?.serviceError ? { serviceError: body.serviceError } : {}),
    worker: {
      running: body?.worker.running ?? false,
      ...(worker ? { runtimeStatus: worker.runtimeStatus } : {}),
      ...(phase ? { phase: phase.phase } : {}),
      ...(phase?.detail ? { detail: phase.detail } : {}),
      consecutiveFaults: body?.worker.consecutiveFaults ?? 0,
    },
    breaker: body?.breaker.state ?? "closed",
    tables: countByStatus(records),
    ...(lastError ? { lastError } : {}),
    ...(lastChangeAt ? { lastChangeAt } : {}),
    ...(nextPollAt ? { nextPollAt } : {}),
    warnings,
  };
}

/**
 * `GET /api/links`: every link the configuration names and every link the ledger has a request
 * for, `LINKS_PER_PAGE` at a time (the configured ones on the first page). Each is summarized as
 * its own route would show it.
 */
export async function listLinks(
  deps: LinkPolicy & {
    ledger: Pick<Ledger, "listTrackedLinks" | "listLinkTables" | "getWorkerHealth" | "getBreaker">;
    synapse: Pick<SynapseLinkClient, "getDetailedStatus" | "getLinkConnection">;
    readWorker: WorkerStatusReader;
  },
  query: { continuationToken?: string | null },
  now: string,
): Promise<ListLinksResult> {
  let after: string | undefined;
  if (query.continuationToken) {
    after = decodeToken(query.continuationToken);
    if (after === undefined) {
      const error: FieldError = { pointer: "continuationToken", detail: "is not a token this API gave" };
      return refused({ kind: "invalidParameters", errors: [error] });
    }
  }
  const page = await deps.ledger.listTrackedLinks({ ...(after ? { after } : {}), limit: LINKS_PER_PAGE });
  const links: (LinkRef & { lastRequestAt?: string })[] = after ? [] : configuredLinks(deps);
  for (const tracked of page.items) {
    // A configured link with requests is listed once, spelled as its requests spell it.
    const known = links.findIndex((l) => sameLink(l, tracked));
    if (known >= 0) links.splice(known, 1, tracked);
    else links.push(tracked);
  }
  // The links of one workspace share its breaker row: read once per workspace for the page.
  const breakers = new Map<string, ReturnType<Ledger["getBreaker"]>>();
  const ledger: Pick<Ledger, "listLinkTables" | "getWorkerHealth" | "getBreaker"> = {
    listLinkTables: (link, statuses, enough) => deps.ledger.listLinkTables(link, statuses, enough),
    getWorkerHealth: (link) => deps.ledger.getWorkerHealth(link),
    getBreaker: (workspace: string) => {
      const key = workspace.toLowerCase();
      let read = breakers.get(key);
      if (!read) breakers.set(key, (read = deps.ledger.getBreaker(workspace)));
      return read;
    },
  };
  const summaries = await Promise.all(links.map((link) => summarize({ ...deps, ledger }, link, now)));
  summaries.sort((a, b) => describeLink(a).localeCompare(describeLink(b)));
  return {
    kind: "ok",
    body: { links: summaries, ...(page.after ? { continuationToken: encodeToken(page.after) } : {}) },
  };
}
