import { describeLink, type LinkRef } from "../domain/linkRef";
import { sameLinkTableId } from "../domain/linkTableId";
import { qualifiedName, tableKey, type TableName } from "../domain/tableName";
import {
  isRejection,
  SynapseThrottledError,
  type LinkedTable,
  type SynapseLinkClient,
} from "../synapse/synapseLinkClient";
import { DEFAULT_THROTTLE_RETRY_SECONDS } from "../synapse/throttleBudget";

/** The link's entries by table key, in the order the service lists them (nothing relies on it). */
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
 * Which entry to watch for a table, from what the link lists for it; undefined when it lists none
 * (an add has not landed). When the link holds the table under an entry the app did not send
 * (added in Synapse Studio, or by an edit whose answer was lost) that entry is watched, whatever
 * the order the service lists entries in (not recorded). When it also holds the app's own entry
 * (`appId`, the id the app sent) the table is held twice: the service fails one of them
 * ("enabled once"), and the app's is the `duplicate` to remove (docs/real-service.md, question
 * 13). Should the app's entry be the one replicating (someone added the table in Studio after the
 * app did), the watched entry fails and is remediated like any failed table.
 */
export function entryToWatch(
  appId: string,
  entries: readonly LinkedTable[] | undefined,
): { id: string; duplicate?: string } | undefined {
  const ours = entries?.find((e) => sameLinkTableId(e.id, appId));
  const other = entries?.find((e) => !sameLinkTableId(e.id, appId));
  if (!other) return ours && { id: ours.id };
  return ours ? { id: other.id, duplicate: ours.id } : { id: other.id };
}

/**
 * Why entries are removed besides the planned edits: the app's own second entry of a table (see
 * {@link entryToWatch}), or entries a link still holds for a table after its removal landed.
 */
export type ExtraEntries = "duplicate" | "leftover";

/**
 * Removes extra entries in one `edittables` call. Returns a line for the log and, when the call
 * failed, its error (the caller decides: a duplicate whose removal faulted leaves the edit
 * unconfirmed, so the confirm step looks for it again; a leftover of a removal ends the table when
 * the service refuses).
 */
export async function removeExtraEntries(
  synapse: Pick<SynapseLinkClient, "editTables">,
  link: LinkRef,
  entries: readonly { id: string; source: TableName }[],
  why: ExtraEntries,
): Promise<{ notice: string; error?: unknown } | undefined> {
  if (entries.length === 0) return undefined;
  const names = entries.map((d) => `${qualifiedName(d.source)} (${d.id})`).join(", ");
  const what =
    why === "duplicate"
      ? `the app's second entry of a table link connection ${describeLink(link)} already held: ${names}`
      : `entries link connection ${describeLink(link)} still held after the table's removal: ${names}`;
  try {
    await synapse.editTables(
      link,
      entries.map((d) => ({ operation: "remove", id: d.id, source: d.source })),
    );
    return { notice: `removed ${what}` };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const advice =
      why !== "duplicate"
        ? ""
        : removalToRetry({ error })
          ? "; the confirm step tries again (if it keeps failing, remove it in Synapse Studio: the table replicates under the other entry)"
          : "; remove it in Synapse Studio (the table replicates under the other entry)";
    return { notice: `could not remove ${what} (${reason})${advice}`, error };
  }
}

/**
 * Whether a failed removal of extra entries is worth trying again at the next confirm check: a
 * fault the SDK's retries did not get past (a 5xx, a timeout, throttling). Not a refusal, and not
 * throttling that asks for a longer wait than one without a Retry-After is given
 * (DEFAULT_THROTTLE_RETRY_SECONDS): checks APPLY_POLL_SECONDS apart would only meet it again (the
 * recorded Retry-After is 2,131 s, docs/real-service.md question 8).
 */
export function removalToRetry(outcome: { error?: unknown } | undefined): boolean {
  const error = outcome?.error;
  if (error === undefined || isRejection(error)) return false;
  return (
    !(error instanceof SynapseThrottledError) || error.retryAfterSeconds <= DEFAULT_THROTTLE_RETRY_SECONDS
  );
}
