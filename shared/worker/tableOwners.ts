import type { LinkRef } from "../domain/linkRef";
import { tableKey, type TableName } from "../domain/tableName";
import type { LinkedTable } from "../synapse/synapseLinkClient";
import type { WorkerDeps } from "./workerDeps";

/** Which link of the workspace, other than `exclude`, holds each wanted table (one listing per link). */
export async function tablesInOtherLinks(
  deps: Pick<WorkerDeps, "synapse">,
  workspace: string,
  exclude: string | undefined,
  wanted: ReadonlySet<string>,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  if (wanted.size === 0) return owners;
  for (const name of await deps.synapse.listLinkConnections(workspace)) {
    if (name.toLowerCase() === exclude?.toLowerCase()) continue;
    for (const table of await deps.synapse.listLinkTables({ workspace, linkConnection: name })) {
      const key = tableKey(table.source);
      if (wanted.has(key)) owners.set(key, name);
    }
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
 * or a removal is still being cleaned up. Looks through every link of every configured workspace;
 * returns `workspace/link` of the holder, or undefined.
 */
export async function findOwnerElsewhere(
  deps: Pick<WorkerDeps, "synapse" | "workspaces">,
  link: LinkRef,
  table: TableName,
): Promise<string | undefined> {
  const key = tableKey(table);
  for (const workspace of deps.workspaces) {
    const exclude = workspace === link.workspace ? link.linkConnection : undefined;
    const owner = (await tablesInOtherLinks(deps, workspace, exclude, new Set([key]))).get(key);
    if (owner) return workspace === link.workspace ? owner : `${workspace}/${owner}`;
  }
  return undefined;
}
