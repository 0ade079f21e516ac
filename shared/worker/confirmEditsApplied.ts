import { describeLink, type LinkRef } from "../domain/linkRef";
import { qualifiedName, tableKey } from "../domain/tableName";
import type { LinkTableRecord } from "../ledger/ledger";
import { sameLinkTableId } from "../domain/linkTableId";
import { isRejection } from "../synapse/synapseLinkClient";
import { appLinkTableId, isRemediation } from "./batchPlan";
import { entriesByTable, entryToWatch, removalToRetry, removeExtraEntries } from "./linkedEntries";
import { endTablesOfMissingLink, linkIsGone, unconfiguredWorkspace } from "./missingLink";
import { failTables, reportFailedTables } from "./failTables";
import { afterRemovalLanded } from "./reAddCooldown";
import type { WorkerDeps } from "./workerDeps";

export interface ConfirmResult {
  applied: boolean;
  /** Tables still waiting to show up in (or leave) `linktables`. */
  outstanding: number;
  /** Removals this check finished (Removed, a re-add's Pending, or Failed past the deadline). */
  settled: number;
  /** Worth a log line: a table the link held twice (linkedEntries.ts). */
  notice?: string;
}

/**
 * Studio's "Publish" has no API of its own: an edit has landed once `linktables` shows the added
 * tables and no longer shows the removed ones (docs/worker.md "Confirming an edit"). When the
 * service reports `isApplyingChanges` (no real recording shows it) it must also be false.
 * A removal that is the first half of a re-add becomes a Pending add that waits
 * READD_COOLDOWN_SECONDS, so that the re-add does not run into the removal's clean-up.
 */
export async function confirmEditsApplied(
  deps: Pick<WorkerDeps, "ledger" | "synapse" | "settings" | "outcomes" | "workspaces">,
  link: LinkRef,
  now: string,
): Promise<ConfirmResult> {
  const { ledger, synapse, settings } = deps;
  const inFlight = await ledger.listLinkTables(link, ["Adding", "Removing"]);
  if (inFlight.length === 0) return { applied: true, outstanding: 0, settled: 0 };
  // Out of reach (its workspace left SYNAPSE_WORKSPACES): nothing to confirm with; monitoring
  // ends the tables at their deadline.
  if (unconfiguredWorkspace(deps, link) !== undefined) {
    return { applied: true, outstanding: 0, settled: 0 };
  }

  // A removal the link has not applied within TABLE_DEADLINE_MINUTES fails, so its request ends.
  const overdue = inFlight.filter((r) => r.status === "Removing" && removalOverdue(r, now, settings));
  await failTables(
    deps,
    link,
    now,
    overdue,
    (r) =>
      `The link did not apply the removal of ${qualifiedName(r.source)} within ${settings.tableDeadlineMinutes} minutes (TABLE_DEADLINE_MINUTES)`,
  );
  const waiting = inFlight.filter((r) => !overdue.includes(r));
  if (waiting.length === 0) return { applied: true, outstanding: 0, settled: overdue.length };

  let detailed: Awaited<ReturnType<typeof synapse.getDetailedStatus>>;
  try {
    detailed = await synapse.getDetailedStatus(link);
  } catch (error) {
    if (!(await linkIsGone(synapse, link, error))) throw error;
    // Deleted while the edit was being confirmed: nothing will ever land.
    const ended = await endTablesOfMissingLink(deps, link, now);
    return { applied: true, outstanding: 0, settled: overdue.length + ended };
  }
  // Still applying: nothing in `linktables` could confirm the edit yet, so it is not read.
  if (detailed.isApplyingChanges === true) {
    return { applied: false, outstanding: waiting.length, settled: overdue.length };
  }
  const linked = entriesByTable(await synapse.listLinkTables(link));
  const changed: LinkTableRecord[] = [];
  const duplicates: { id: string; source: LinkTableRecord["source"] }[] = [];
  const leftovers: {
    record: LinkTableRecord;
    entries: readonly { id: string; source: LinkTableRecord["source"] }[];
  }[] = [];
  let outstanding = 0;
  for (const record of waiting) {
    const entries = linked.get(tableKey(record.source));
    const present = entries !== undefined;
    if (record.status === "Adding") {
      if (!present) outstanding++;
      // The link already held the table (an add sent without reading the link first): watch its
      // first entry, and remove the app's own second one.
      const watch = entryToWatch(appLinkTableId(link, record), entries);
      if (watch && !sameLinkTableId(watch.id, record.linkTableId)) {
        changed.push({ ...record, linkTableId: watch.id, updatedAt: now });
      }
      if (watch?.duplicate) duplicates.push({ id: watch.duplicate, source: record.source });
    } else if (present) {
      const removedEntryGone =
        record.linkTableId !== undefined && !entries.some((e) => sameLinkTableId(e.id, record.linkTableId));
      const [other] = entries;
      if (removedEntryGone && record.action === "reAdd" && isRemediation(record) && other) {
        // A remediation whose removal landed while the link holds the table under another entry
        // (someone else's, replicating): that one is watched, not removed, and nothing is added
        // again. A schema change's re-add wants a new snapshot: the rest go, as for a removal.
        changed.push({
          ...record,
          action: "add",
          status: "Adding",
          linkTableId: other.id,
          editedAt: now,
          updatedAt: now,
        });
        continue;
      }
      outstanding++;
      // A removal (or a schema change's re-add) whose entry is gone while the link still holds
      // the table (it held it twice): the table was asked to go, so the rest go too.
      if (removedEntryGone && !isRemediation(record)) leftovers.push({ record, entries });
    } else {
      changed.push(afterRemovalLanded(record, now, settings));
    }
  }
  await ledger.saveLinkTables(link, changed);
  const notices: string[] = [];
  const duplicate = await removeExtraEntries(synapse, link, duplicates, "duplicate");
  if (duplicate) notices.push(duplicate.notice);
  // Not confirmed while the app's second entry is there: the next check finds it again and retries.
  if (removalToRetry(duplicate)) outstanding += duplicates.length;
  // One call per table, so that a refused entry ends its own table only. A refusal is final: the
  // table fails, naming the entries; a fault is tried again at the next check.
  const refused: LinkTableRecord[] = [];
  for (const { record, entries } of leftovers) {
    const outcome = await removeExtraEntries(synapse, link, entries, "leftover");
    if (!outcome) continue;
    notices.push(outcome.notice);
    if (isRejection(outcome.error)) {
      const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      const ids = entries.map((e) => e.id).join(", ");
      refused.push({
        ...record,
        status: "Failed",
        error: `${qualifiedName(record.source)} is still in link connection ${describeLink(link)} (entries ${ids}) after its removal, and the service refused to remove it: ${reason}`,
        updatedAt: now,
      });
    }
  }
  await ledger.saveLinkTables(link, refused);
  await reportFailedTables(deps, link, refused);
  outstanding -= refused.length;
  const notice = notices.length > 0 ? notices.join("; ") : undefined;
  const settled = [...changed, ...refused].filter((r) => r.status !== "Adding").length;
  return {
    applied: outstanding === 0,
    outstanding,
    settled: overdue.length + settled,
    ...(notice !== undefined ? { notice } : {}),
  };
}

function removalOverdue(
  record: LinkTableRecord,
  now: string,
  settings: Pick<WorkerDeps["settings"], "tableDeadlineMinutes">,
): boolean {
  return Date.parse(now) - Date.parse(record.updatedAt) > settings.tableDeadlineMinutes * 60_000;
}
