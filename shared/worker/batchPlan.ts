import type { WorkerSettings } from "../config";
import { describeLink, type LinkRef } from "../domain/linkRef";
import { linkTableId, sameLinkTableId } from "../domain/linkTableId";
import { tableKey } from "../domain/tableName";
import type { LinkTableRecord } from "../ledger/ledger";
import type { LinkedTable } from "../synapse/synapseLinkClient";
import type { LinkTableEdit } from "../synapse/synapseLinkClient";
import { entryToWatch } from "./linkedEntries";
import { afterRemovalLanded } from "./reAddCooldown";

export interface BatchPlanInput {
  link: LinkRef;
  /** The link's Pending records. */
  pending: readonly LinkTableRecord[];
  /**
   * What `linktables` holds now: each table's entries, by table key, in the order listed (a table
   * is held twice only where the service kept a second add). Undefined when it was not read, which
   * `mustReadLinkTables` (sendEdits.ts) allows only for plain adds under the service's own limit.
   */
  linked: ReadonlyMap<string, readonly LinkedTable[]> | undefined;
  now: string;
  settings: Pick<WorkerSettings, "editBatchMaxTables" | "maxTablesPerLink" | "reAddCooldownSeconds">;
}

export interface BatchPlan {
  /** One `edittables` call's worth. */
  edits: LinkTableEdit[];
  /** Records settled without an edit (already linked, already gone, rejected). */
  settled: LinkTableRecord[];
  /** Due tables left for a later batch (over the batch cap). */
  deferred: number;
  /** The earliest end of a cool-down among tables held back, if any. */
  nextEditAt?: string;
  /** The app's own second entry of a table it now watches under another (linkedEntries.ts). */
  duplicates: { id: string; source: LinkTableRecord["source"] }[];
}

/** Which tables of the link need no decision from the service: the ones whose cool-down has not ended. */
export function isDue(record: LinkTableRecord, now: string): boolean {
  return record.notBefore === undefined || Date.parse(record.notBefore) <= Date.parse(now);
}

/**
 * The batch planner: pending tables, what the link holds and who else holds what → one batch of
 * edits, the records it settles without an edit, and what waits. A table already in the link is
 * watched, not re-added (this also makes a re-run after a crash send nothing twice); a re-add waits
 * out its cool-down (`notBefore`). A table another link holds is left to the service to refuse
 * (sendEdits.ts): listing every link before each edit would cost more than the rare refusal.
 */
export function planBatch(input: BatchPlanInput): BatchPlan {
  const { link, linked, now, settings } = input;
  if (!linked && input.pending.some((r) => isDue(r, now) && r.action !== "add")) {
    throw new Error(
      "planBatch: removals and re-adds are planned against the link's tables (mustReadLinkTables)",
    );
  }
  const plan: BatchPlan = { edits: [], settled: [], deferred: 0, duplicates: [] };
  // The service counts entries (a Failed one too), not tables.
  let tableCount = [...(linked?.values() ?? [])].reduce((n, entries) => n + entries.length, 0);
  const settle = (record: LinkTableRecord, patch: Partial<LinkTableRecord>) => {
    plan.settled.push(withoutSendingMark({ ...record, ...patch, updatedAt: now }));
  };
  const full = () => plan.edits.length >= settings.editBatchMaxTables;

  for (const record of input.pending) {
    if (!isDue(record, now)) continue;
    const key = tableKey(record.source);
    const entries = linked?.get(key) ?? [];
    // A removal takes the table's first entry (the confirm step removes any left after it). A
    // remediation re-add removes the entry it watched, never another (someone else's); a re-add
    // that watched none (a schema change's re-snapshot) removes the first.
    const toRemove =
      record.action === "remove"
        ? entries[0]
        : record.action === "reAdd"
          ? record.linkTableId === undefined
            ? entries[0]
            : entries.find((e) => sameLinkTableId(e.id, record.linkTableId))
          : undefined;
    if (record.action === "remove" || toRemove) {
      if (!toRemove) settle(record, { status: "Removed" });
      else if (full()) plan.deferred++;
      else plan.edits.push({ operation: "remove", id: toRemove.id, source: record.source });
      continue;
    }
    if (record.action === "reAdd" && record.sendingAt !== undefined) {
      // Its removal went out and its entry is gone: the removal landed, and the add waits out the
      // re-add cool-down as after any removal.
      plan.settled.push(withoutSendingMark(afterRemovalLanded(record, now, settings)));
      continue;
    }
    // Most of a backlog is in no entry: its id (a UUID v5) is worked out only when it is sent.
    const watch = entries.length > 0 ? entryToWatch(appLinkTableId(link, record), entries) : undefined;
    if (watch) {
      // Already part of this link (or an earlier run of this batch landed): watch it.
      settle(record, { status: "Adding", action: "add", linkTableId: watch.id, editedAt: now });
      if (watch.duplicate) plan.duplicates.push({ id: watch.duplicate, source: record.source });
      continue;
    }
    if (linked && tableCount >= settings.maxTablesPerLink) {
      settle(record, {
        status: "Rejected",
        error: `Link connection ${describeLink(link)} already holds ${tableCount} tables; the limit is ${settings.maxTablesPerLink} (MAX_TABLES_PER_LINK)`,
      });
      continue;
    }
    if (full()) {
      plan.deferred++;
      continue;
    }
    tableCount++;
    plan.edits.push({
      operation: "add",
      id: appLinkTableId(link, record),
      source: record.source,
      target: record.target,
    });
  }
  const next = nextEditAt(input.pending, now);
  return next ? { ...plan, nextEditAt: next } : plan;
}

/** The record once what its last send did is known (LinkTableRecord.sendingAt). */
export function withoutSendingMark(record: LinkTableRecord): LinkTableRecord {
  if (record.sendingAt === undefined) return record;
  const settled = { ...record };
  delete settled.sendingAt;
  return settled;
}

/** When the earliest pending table held back by its cool-down may be edited; undefined if none is. */
export function nextEditAt(pending: readonly LinkTableRecord[], now: string): string | undefined {
  return pending
    .filter((r) => !isDue(r, now))
    .map((r) => r.notBefore ?? "")
    .sort()[0];
}

/**
 * A re-add because the table it watched failed (remediation, an "enabled once" retry, a request
 * for a table that had failed for good), as opposed to one a request asked for (a schema change's
 * re-snapshot), which starts with every counter at zero (claimPendingRequests.ts).
 */
export function isRemediation(
  record: Pick<LinkTableRecord, "attempts" | "enabledOnceRetries" | "generation">,
): boolean {
  return record.attempts > 0 || record.enabledOnceRetries > 0 || (record.generation ?? 0) > 0;
}

/** The id the app sends when it adds this record's table (linkTableId.ts, addGeneration). */
export function appLinkTableId(
  link: LinkRef,
  record: Pick<LinkTableRecord, "source" | "attempts" | "enabledOnceRetries" | "generation">,
): string {
  return linkTableId(link, record.source, addGeneration(record));
}

/**
 * A re-added table is a new link table, so it gets a new id: one per remediation attempt, per
 * "enabled once" retry and per request after it failed for good. The first add keeps generation 0,
 * the id earlier versions sent.
 */
function addGeneration(
  record: Pick<LinkTableRecord, "attempts" | "enabledOnceRetries" | "generation">,
): number {
  return record.attempts + 1000 * record.enabledOnceRetries + 1_000_000 * (record.generation ?? 0);
}
