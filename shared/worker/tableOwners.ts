import type { LinkRef } from "../domain/linkRef";
import { tableKey, type TableName } from "../domain/tableName";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";
import type { WorkerDeps } from "./workerDeps";

/** One workspace's links and the tables each holds, as read at `readAt` (ms, the activity's clock). */
interface WorkspaceListing {
  readAt: number;
  /** Table key → the link (name as the service spells it) that holds it. */
  owners: Map<string, string>;
}

/**
 * Listings of every link of a workspace, kept per Synapse client (so per process and per test),
 * keyed by workspace, for the activity that read them (same `now`). Reading one costs a
 * `linkconnections` call plus a `linktables` call per link, so it is read only after the service
 * refused an add as "enabled once" (SQL 22718), never before an edit (docs/performance.md).
 */
const listings = new WeakMap<SynapseLinkClient, Map<string, WorkspaceListing>>();

async function workspaceListing(
  synapse: SynapseLinkClient,
  workspace: string,
  now: number,
): Promise<WorkspaceListing> {
  let byWorkspace = listings.get(synapse);
  if (!byWorkspace) listings.set(synapse, (byWorkspace = new Map<string, WorkspaceListing>()));
  const kept = byWorkspace.get(workspace);
  if (kept && kept.readAt === now) return kept;
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
 * The service's "enabled once" error (SQL 22718) does not say whether another link holds the table
 * or a removal is still being cleaned up. Looks through every link of every configured workspace,
 * read afresh once per activity (calls with the same `now` share the listing); returns, per table
 * key, `workspace/link` of the holder (the link's name alone in the link's own workspace).
 */
export async function ownersElsewhere(
  deps: Pick<WorkerDeps, "synapse" | "workspaces">,
  link: LinkRef,
  tables: readonly TableName[],
  now: string,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  let wanted = new Set(tables.map(tableKey));
  for (const workspace of deps.workspaces) {
    if (wanted.size === 0) break;
    // Workspace names compare without case, as in Synapse.
    const own = workspace.toLowerCase() === link.workspace.toLowerCase();
    let listing: WorkspaceListing;
    try {
      listing = await workspaceListing(deps.synapse, workspace, Date.parse(now));
    } catch (error) {
      // Another workspace that cannot be listed now (gone, no role, throttling, an outage) must not
      // stop this link's work or count against its breaker: its links are not searched this time.
      // The table is then treated as held by no one: retried after a cool-down, when the lookup
      // runs again, a bounded number of times (ENABLED_ONCE_MAX_RETRIES).
      if (own) throw error;
      continue;
    }
    for (const key of wanted) {
      const owner = listing.owners.get(key);
      if (owner === undefined || (own && owner.toLowerCase() === link.linkConnection.toLowerCase())) continue;
      owners.set(key, own ? owner : `${workspace}/${owner}`);
    }
    wanted = new Set([...wanted].filter((key) => !owners.has(key)));
  }
  return owners;
}

/** {@link ownersElsewhere} for one table. */
export async function findOwnerElsewhere(
  deps: Pick<WorkerDeps, "synapse" | "workspaces">,
  link: LinkRef,
  table: TableName,
  now: string,
): Promise<string | undefined> {
  return (await ownersElsewhere(deps, link, [table], now)).get(tableKey(table));
}
