import { plusSeconds } from "../domain/time";
import type { LinkTableRecord } from "../ledger/ledger";
import type { WorkerDeps } from "./workerDeps";

/**
 * A table whose removal has left the link: Removed, or, when the removal is the first half of a
 * re-add, a Pending add that waits out the re-add cool-down (docs/worker.md, "Re-add cool-down").
 */
export function afterRemovalLanded(
  record: LinkTableRecord,
  now: string,
  settings: Pick<WorkerDeps["settings"], "reAddCooldownSeconds">,
): LinkTableRecord {
  if (record.action !== "reAdd") return { ...record, status: "Removed", updatedAt: now };
  const cooldown = reAddCooldownSeconds(settings.reAddCooldownSeconds, record.enabledOnceRetries);
  return {
    ...record,
    action: "add",
    status: "Pending",
    notBefore: plusSeconds(now, cooldown),
    updatedAt: now,
  };
}

/**
 * The cool-down doubles with every "enabled once" refusal of the table, up to an hour: each removal
 * restarts the service's clean-up, so a fixed cool-down shorter than it would never get through.
 */
export function reAddCooldownSeconds(base: number, enabledOnceRetries: number): number {
  return Math.min(3600, base * 2 ** Math.min(enabledOnceRetries, 12));
}
