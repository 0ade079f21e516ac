import { describeLink, type LinkRef } from "../domain/linkRef";
import { linkTableId } from "../domain/linkTableId";
import { qualifiedName, tableKey } from "../domain/tableName";
import type { LinkTableRecord } from "../ledger/ledger";
import type { LinkStatus } from "../synapse/serviceStrings";
import type { LinkedTable } from "../synapse/synapseLinkClient";
import type { PlannedEdit } from "./plannedEdit";
import type { WorkerDeps } from "./workerDeps";

export type PreflightResult =
  | { kind: "noEdits" }
  /** The link is starting, resuming or applying another change: ask again later. */
  | { kind: "linkNotReady"; linkStatus: string; reason: string }
  /** Pending tables were failed (link missing or not running): nothing to edit. */
  | { kind: "blocked"; reason: string }
  | { kind: "edits"; edits: PlannedEdit[]; deferred: number };

const TRANSITIONING: ReadonlySet<LinkStatus> = new Set(["Starting", "Resuming"]);

/**
 * Checks the link and the pending tables before one batched edit: the link must exist and run,
 * a table already in this link needs no edit, a table in another link is rejected with that link's
 * name, and the batch respects the per-link table limit and the configured batch cap.
 */
export async function preflightLink(deps: WorkerDeps, link: LinkRef, now: string): Promise<PreflightResult> {
  const { ledger, synapse, settings } = deps;
  const records = await ledger.listLinkTables(link);
  const pending = records.filter((r) => r.status === "Pending");
  if (pending.length === 0) return { kind: "noEdits" };

  const fail = async (reason: string): Promise<PreflightResult> => {
    await ledger.saveLinkTables(
      link,
      pending.map((r) => ({ ...r, status: "Failed", error: reason, updatedAt: now })),
    );
    return { kind: "blocked", reason };
  };

  const info = await synapse.getLinkConnection(link);
  if (!info) return fail(`Link connection ${describeLink(link)} does not exist`);

  const detailed = await synapse.getDetailedStatus(link);
  if (detailed.status !== "Running") {
    const canStart = detailed.status === "Stopped" || detailed.status === "Initial";
    const canResume = detailed.status === "Paused";
    if (TRANSITIONING.has(detailed.status) || (settings.autoStartLinks && (canStart || canResume))) {
      if (settings.autoStartLinks && canStart) await synapse.start(link);
      if (settings.autoStartLinks && canResume) await synapse.resume(link);
      return {
        kind: "linkNotReady",
        linkStatus: detailed.rawStatus,
        reason: canStart
          ? "starting the link"
          : canResume
            ? "resuming the link"
            : `link is ${detailed.rawStatus}`,
      };
    }
    if (settings.autoStartLinks && (detailed.status === "Stopping" || detailed.status === "Pausing")) {
      return {
        kind: "linkNotReady",
        linkStatus: detailed.rawStatus,
        reason: `waiting for ${detailed.rawStatus}`,
      };
    }
    return fail(
      `Link connection ${describeLink(link)} is ${detailed.rawStatus || "in an unknown state"}: tables can only be ` +
        `added to a running link. Start it${canResume ? " (resume)" : ""}, or set AUTO_START_LINKS=true to let the app do it.`,
    );
  }
  if (detailed.isApplyingChanges) {
    return {
      kind: "linkNotReady",
      linkStatus: detailed.rawStatus,
      reason: "the link is applying another change",
    };
  }

  const linked = new Map((await synapse.listLinkTables(link)).map((t) => [tableKey(t.source), t]));
  const otherLinks = await tablesInOtherLinks(deps, link, pending, linked);

  const changed: LinkTableRecord[] = [];
  const edits: PlannedEdit[] = [];
  let deferred = 0;
  let tableCount = linked.size;
  const update = (record: LinkTableRecord, patch: Partial<LinkTableRecord>) => {
    Object.assign(record, patch, { updatedAt: now });
    changed.push(record);
  };

  for (const record of pending) {
    const key = tableKey(record.source);
    const inLink = linked.get(key);
    if (record.action === "remove" || (record.action === "readd" && inLink)) {
      if (!inLink) {
        update(record, { status: "Removed" });
      } else if (edits.length >= settings.editBatchMaxTables) {
        deferred++;
      } else {
        edits.push({ operation: "remove", id: inLink.id, source: record.source });
      }
      continue;
    }
    // add, or readd of a table that is not (or no longer) in the link
    if (inLink) {
      // Already part of this link: no edit, just watch it (reported from querytablestatus).
      update(record, { status: "Adding", action: "add", linkTableId: inLink.id, editedAt: now });
      continue;
    }
    const owner = otherLinks.get(key);
    if (owner) {
      update(record, {
        status: "Rejected",
        error: `${qualifiedName(record.source)} is already in link connection ${owner}; a table can belong to one link connection only`,
      });
      continue;
    }
    if (tableCount >= settings.maxTablesPerLink) {
      update(record, {
        status: "Rejected",
        error: `Link connection ${describeLink(link)} already holds ${tableCount} tables; the limit is ${settings.maxTablesPerLink}`,
      });
      continue;
    }
    if (edits.length >= settings.editBatchMaxTables) {
      deferred++;
      continue;
    }
    tableCount++;
    edits.push({
      operation: "add",
      id: linkTableId(link, record.source, record.attempts),
      source: record.source,
      target: record.target,
    });
  }
  await ledger.saveLinkTables(link, changed);
  return edits.length > 0 ? { kind: "edits", edits, deferred } : { kind: "noEdits" };
}

/** Which other link of the workspace holds each pending table (only looked up when a table needs adding). */
async function tablesInOtherLinks(
  deps: WorkerDeps,
  link: LinkRef,
  pending: readonly LinkTableRecord[],
  linked: ReadonlyMap<string, LinkedTable>,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const wanted = new Set(
    pending
      .filter((r) => r.action !== "remove" && !linked.has(tableKey(r.source)))
      .map((r) => tableKey(r.source)),
  );
  if (wanted.size === 0) return owners;
  const names = await deps.synapse.listLinkConnections(link.workspace);
  for (const name of names) {
    if (name === link.linkConnection) continue;
    for (const table of await deps.synapse.listLinkTables({
      workspace: link.workspace,
      linkConnection: name,
    })) {
      const key = tableKey(table.source);
      if (wanted.has(key)) owners.set(key, name);
    }
  }
  return owners;
}
