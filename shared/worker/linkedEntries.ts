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
 * Which entry to watch after the app sent an add with `sentId`, from what the link lists for that
 * table: undefined when it lists none (the add has not landed); the app's own entry; or, when the
 * link already held the table (added in Synapse Studio, or by an earlier edit whose answer was
 * lost) and kept that entry, that one. When the link now holds the table twice, the app's entry is
 * the `duplicate`: the service fails it ("enabled once"), so it is removed
 * (docs/real-service.md, question 13).
 */
export function entryToWatch(
  sentId: string,
  entries: readonly LinkedTable[] | undefined,
): { id: string; duplicate?: string } | undefined {
  if (!entries || entries.length === 0) return undefined;
  const other = entries.find((e) => !sameLinkTableId(e.id, sentId));
  if (!other) return { id: sentId };
  const ours = entries.some((e) => sameLinkTableId(e.id, sentId));
  return ours ? { id: other.id, duplicate: sentId } : { id: other.id };
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
