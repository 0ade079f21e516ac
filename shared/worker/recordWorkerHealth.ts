import type { LinkRef } from "../domain/linkRef";
import type { WorkerHealth, WorkerLedger } from "../ledger/ledger";

/**
 * The orchestrator's fault and recovery notes replace the fault fields of the worker's health row
 * and keep what the SQL pool check keeps there: the wait, its start and last sighting, a resume in flight and the
 * git-mode warning. A
 * fault while a pool is awaited must not restart SQL_POOL_DEADLINE_MINUTES, or tables waiting on
 * a pool that never comes back could wait for ever behind a flaky data plane.
 */
export async function recordWorkerHealth(
  ledger: Pick<WorkerLedger, "getWorkerHealth" | "saveWorkerHealth">,
  link: LinkRef,
  update: Pick<WorkerHealth, "fault" | "faultAt" | "retryAt" | "consecutiveFaults" | "updatedAt">,
): Promise<void> {
  const current = await ledger.getWorkerHealth(link);
  await ledger.saveWorkerHealth(link, {
    ...(current?.waitingFor !== undefined ? { waitingFor: current.waitingFor } : {}),
    ...(current?.waitingSince !== undefined ? { waitingSince: current.waitingSince } : {}),
    ...(current?.waitSeenAt !== undefined ? { waitSeenAt: current.waitSeenAt } : {}),
    ...(current?.warning !== undefined ? { warning: current.warning } : {}),
    ...(current?.sqlPoolResume !== undefined ? { sqlPoolResume: current.sqlPoolResume } : {}),
    ...update,
  });
}
