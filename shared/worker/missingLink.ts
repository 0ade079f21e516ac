import { configuredWorkspaceName, describeLink, type LinkRef } from "../domain/linkRef";
import { NON_TERMINAL_STATUSES } from "../domain/tableStatus";
import type { LinkTableRecord } from "../ledger/ledger";
import { SynapseRequestError, type SynapseLinkClient } from "../synapse/synapseLinkClient";
import { failTables } from "./failTables";
import type { WorkerDeps } from "./workerDeps";

/**
 * Whether `error` means the link connection no longer exists: a 404 the service explains as not
 * found (REC-22/23: `{"code":"NotFound","message":"The document could not be retrieved because it
 * does not exist."}`), confirmed by reading the link itself. A 404 without that code (a gateway,
 * an endpoint that points elsewhere) is not taken as the link's end: ending its tables on a false
 * 404 would be wrong for good, whereas a fault is retried.
 */
export async function linkIsGone(
  synapse: Pick<SynapseLinkClient, "getLinkConnection">,
  link: LinkRef,
  error: unknown,
): Promise<boolean> {
  if (!(error instanceof SynapseRequestError) || error.statusCode !== 404) return false;
  if (!/notfound/i.test(error.code ?? "")) return false;
  return (await synapse.getLinkConnection(link)) === undefined;
}

/**
 * Why the app can no longer reach the link at all: its workspace left SYNAPSE_WORKSPACES (a
 * redeploy changed the settings) after its requests were recorded. Undefined: it is configured.
 */
export function unconfiguredWorkspace(
  deps: Pick<WorkerDeps, "workspaces">,
  link: LinkRef,
): string | undefined {
  if (configuredWorkspaceName(deps.workspaces, link.workspace) !== undefined) return undefined;
  return `workspace ${link.workspace} is no longer configured (SYNAPSE_WORKSPACES: ${deps.workspaces.join(", ")}), so link connection ${describeLink(link)} cannot be reached`;
}

/**
 * The link was deleted while tables were in flight: no poll will ever see them again, so each ends
 * now. Adds and re-adds fail naming the link; a removal is done (the link, and the table in it, are
 * gone). The failed tables are reported like a poll's, and their requests finish at the next
 * completion. Returns how many tables ended.
 */
export async function endTablesOfMissingLink(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
): Promise<number> {
  const records = await deps.ledger.listLinkTables(link, NON_TERMINAL_STATUSES);
  const done = records.filter((r) => r.status === "Removing" && r.action === "remove");
  await deps.ledger.saveLinkTables(
    link,
    done.map((r): LinkTableRecord => ({ ...r, status: "Removed", updatedAt: now })),
  );
  const error = `Link connection ${describeLink(link)} does not exist: it was deleted while its tables were being onboarded`;
  await failTables(
    deps,
    link,
    now,
    records.filter((r) => !done.includes(r)),
    () => error,
  );
  return records.length;
}
