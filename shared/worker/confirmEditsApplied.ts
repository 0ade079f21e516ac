import type { LinkRef } from "../domain/linkRef";
import { tableKey } from "../domain/tableName";
import type { LinkTableRecord } from "../ledger/ledger";
import type { WorkerDeps } from "./workerDeps";

export interface ConfirmResult {
  applied: boolean;
  /** Tables still waiting to show up in (or leave) `linktables`. */
  outstanding: number;
}

/**
 * Studio's "Publish" has no API of its own: the edit has landed once the link stops applying
 * changes and `linktables` shows the added tables and no longer shows the removed ones
 * (reference §5.5). Removed tables become Removed, or Pending again when they are to be re-added.
 */
export async function confirmEditsApplied(
  deps: Pick<WorkerDeps, "ledger" | "synapse">,
  link: LinkRef,
  now: string,
): Promise<ConfirmResult> {
  const { ledger, synapse } = deps;
  const records = await ledger.listLinkTables(link);
  const inFlight = records.filter((r) => r.status === "Adding" || r.status === "Removing");
  if (inFlight.length === 0) return { applied: true, outstanding: 0 };

  const detailed = await synapse.getDetailedStatus(link);
  const linked = new Set((await synapse.listLinkTables(link)).map((t) => tableKey(t.source)));
  const changed: LinkTableRecord[] = [];
  let outstanding = 0;
  for (const record of inFlight) {
    const present = linked.has(tableKey(record.source));
    if (record.status === "Adding") {
      if (!present || detailed.isApplyingChanges) outstanding++;
      continue;
    }
    if (present || detailed.isApplyingChanges) {
      outstanding++;
    } else if (record.action === "readd") {
      // Removed as the first half of a re-add (remediation or schema-change window): add it again.
      changed.push({ ...record, action: "add", status: "Pending", updatedAt: now });
    } else {
      changed.push({ ...record, status: "Removed", updatedAt: now });
    }
  }
  await ledger.saveLinkTables(link, changed);
  return { applied: outstanding === 0 && !detailed.isApplyingChanges, outstanding };
}
