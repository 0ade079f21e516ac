import { describeLink, type LinkRef } from "../domain/linkRef";
import { sameLinkTableId } from "../domain/linkTableId";
import { qualifiedName, tableKey, type TableName } from "../domain/tableName";
import type { LinkedTable, SynapseLinkClient } from "../synapse/synapseLinkClient";

/** The link's entries by table key, in the order the service lists them (the oldest first). */
export function entriesByTable(tables: readonly LinkedTable[]): Map<string, LinkedTable[]> {
  const byKey = new Map<string, LinkedTable[]>();
  for (const table of tables) {
    const key = tableKey(table.source);
    const entries = byKey.get(key);
    if (entries) entries.push(table);
    else byKey.set(key, [table]);
  }
  return byKey;
}

/**
 * Which entry to watch for a table, from what the link lists for it: the first listed (the oldest),
 * or undefined when it lists none (an add has not landed). That is the app's own entry, or one the
 * link already held (added in Synapse Studio, or by an earlier edit whose answer was lost) when
 * the service kept it. When a later entry is the app's own (`appId`, the id it sent), the link
 * holds the table twice: the service fails that entry ("enabled once"), so it is the `duplicate`
 * to remove (docs/real-service.md, question 13). An entry the app did not send is never removed.
 */
export function entryToWatch(
  appId: string,
  entries: readonly LinkedTable[] | undefined,
): { id: string; duplicate?: string } | undefined {
  const [first, ...later] = entries ?? [];
  if (!first) return undefined;
  const ours = later.find((e) => sameLinkTableId(e.id, appId));
  return ours ? { id: first.id, duplicate: ours.id } : { id: first.id };
}

/**
 * Removes the app's duplicate entries, once. The table replicates under the entry the link already
 * held, so a removal that does not go through loses nothing: it is reported (the entry shows Failed
 * in Studio, where it can be removed) rather than retried.
 */
export async function removeDuplicateEntries(
  synapse: Pick<SynapseLinkClient, "editTables">,
  link: LinkRef,
  duplicates: readonly { id: string; source: TableName }[],
): Promise<string | undefined> {
  if (duplicates.length === 0) return undefined;
  const names = duplicates.map((d) => `${qualifiedName(d.source)} (${d.id})`).join(", ");
  try {
    await synapse.editTables(
      link,
      duplicates.map((d) => ({ operation: "remove", id: d.id, source: d.source })),
    );
    return `link connection ${describeLink(link)} already held ${names}; the app's second entry was removed and the first is watched`;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `link connection ${describeLink(link)} holds ${names} twice; the app's entry could not be removed (${why}): remove it in Synapse Studio`;
  }
}
