import type { LinkRef } from "../domain/linkRef";
import { tableKey, type TableName } from "../domain/tableName";
import type { LinkedTable, SynapseLinkClient } from "../synapse/synapseLinkClient";
import type { WorkerDeps } from "./workerDeps";

/** One workspace's links and the tables each holds, as read at `readAt` (ms, the activity's clock). */
interface WorkspaceListing {
  readAt: number;
  /** Table key → the link (name as the service spells it) that holds it. */
  owners: Map<string, string>;
}

/**
 * Listings of every link of a workspace, kept per Synapse client (so per process and per test),
 * keyed by workspace. Reading them costs one `linkconnections` call plus one `linktables` call per
 * link; the links of one workspace send their batches within seconds of each other, so one
 * listing serves every worker of the process for a cycle (docs/performance.md).
 */
const listings = new WeakMap<SynapseLinkClient, Map<string, WorkspaceListing>>();

/** How fresh a listing must be: read no earlier than `notBefore` (ms). */
async function workspaceListing(
  synapse: SynapseLinkClient,
  workspace: string,
  now: number,
  notBefore: number,
): Promise<WorkspaceListing> {
  let byWorkspace = listings.get(synapse);
  if (!byWorkspace) listings.set(synapse, (byWorkspace = new Map<string, WorkspaceListing>()));
  const kept = byWorkspace.get(workspace);
  if (kept && kept.readAt >= notBefore && kept.readAt <= now) return kept;
  const owners = new Map<string, string>();
  for (const name of await synapse.listLinkConnections(workspace)) {
    for (const table of await synapse.listLinkTables({ workspace, linkConnection: name })) {
      owners.set(tableKey(table.source), name);
    }
  }
  const listing = { readAt: now, owners };
  byWorkspace.set(workspace, listing);
  return listing;
}

/**
 * Which link of the workspace, other than `exclude`, holds each wanted table. `maxAgeSeconds` says
 * how old a listing may be: 0 reads afresh unless this activity (same `now`) already did. A stale
 * listing can only miss a table added elsewhere moments ago; the service then refuses the add as
 * "enabled once", and that refusal is looked up afresh (`findOwnerElsewhere`).
 */
export async function tablesInOtherLinks(
  deps: Pick<WorkerDeps, "synapse">,
  workspace: string,
  exclude: string | undefined,
  wanted: ReadonlySet<string>,
  now: string,
  maxAgeSeconds = 0,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  if (wanted.size === 0) return owners;
  const at = Date.parse(now);
  const listing = await workspaceListing(deps.synapse, workspace, at, at - maxAgeSeconds * 1000);
  for (const key of wanted) {
    const owner = listing.owners.get(key);
    if (owner !== undefined && owner.toLowerCase() !== exclude?.toLowerCase()) owners.set(key, owner);
  }
  return owners;
}

/** Table keys of the pending adds that are not in the link yet: the only ones whose owner matters. */
export function addsToLookUp(
  pending: readonly { action: string; source: TableName }[],
  linked: ReadonlyMap<string, LinkedTable>,
): Set<string> {
  return new Set(
    pending
      .filter((r) => r.action !== "remove" && !linked.has(tableKey(r.source)))
      .map((r) => tableKey(r.source)),
  );
}

/**
 * The service's "enabled once" error (SQL 22718) does not say whether another link holds the table
 * or a removal is still being cleaned up. Looks through every link of every configured workspace,
 * read afresh (once per activity: calls with the same `now` share the listing); returns
 * `workspace/link` of the holder, or undefined.
 */
export async function findOwnerElsewhere(
  deps: Pick<WorkerDeps, "synapse" | "workspaces">,
  link: LinkRef,
  table: TableName,
  now: string,
): Promise<string | undefined> {
  const key = tableKey(table);
  for (const workspace of deps.workspaces) {
    // Workspace names compare without case, as in Synapse.
    const own = workspace.toLowerCase() === link.workspace.toLowerCase();
    const exclude = own ? link.linkConnection : undefined;
    const owner = (await tablesInOtherLinks(deps, workspace, exclude, new Set([key]), now)).get(key);
    if (owner) return own ? owner : `${workspace}/${owner}`;
  }
  return undefined;
}
