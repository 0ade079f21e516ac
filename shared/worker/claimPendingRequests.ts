import type { LinkRef } from "../domain/linkRef";
import { qualifiedName, tableKey } from "../domain/tableName";
import { isTerminal } from "../domain/tableStatus";
import type { LinkTableRecord } from "../ledger/ledger";
import type { WorkerDeps } from "./workerDeps";

export interface ClaimResult {
  claimedRequestIds: string[];
  /** Tables of the link that wait for an edit (new claims, remediation, an earlier batch's overflow). */
  pendingTables: number;
}

/**
 * Moves Queued requests of the link into the worker's hands: each table gets (or joins) a
 * Pending record in the link. Safe to re-run after a crash: joining is idempotent and a request is
 * marked claimed only after its tables are saved.
 */
export async function claimPendingRequests(
  deps: Pick<WorkerDeps, "ledger" | "settings">,
  link: LinkRef,
  now: string,
): Promise<ClaimResult> {
  const { ledger } = deps;
  const queued = await ledger.listQueuedRequests(link);
  const records = new Map((await ledger.listLinkTables(link)).map((r) => [tableKey(r.source), r]));

  for (const request of queued) {
    const changed: LinkTableRecord[] = [];
    for (const table of request.tables) {
      const key = tableKey(table.source);
      const existing = records.get(key);
      const joinable =
        existing &&
        existing.action === request.action &&
        !isTerminal(existing.status) &&
        existing.status !== "Pending";
      if (existing?.requestIds.includes(request.requestId)) continue;
      if (joinable) {
        existing.requestIds.push(request.requestId);
        existing.updatedAt = now;
        changed.push(existing);
        continue;
      }
      if (existing && existing.status === "Pending" && existing.action === request.action) {
        existing.requestIds.push(request.requestId);
        existing.target = table.target;
        existing.updatedAt = now;
        changed.push(existing);
        continue;
      }
      // A different operation replaces the one in flight; its requests learn why.
      for (const previous of existing && !isTerminal(existing.status) ? existing.requestIds : []) {
        await ledger.setRequestTableStatus(
          previous,
          {
            ...table.source,
            status: "Failed",
            error: `Superseded by request ${request.requestId} (${request.action} ${qualifiedName(table.source)})`,
          },
          now,
        );
      }
      const record: LinkTableRecord = {
        source: table.source,
        target: table.target,
        action: request.action,
        status: "Pending",
        requestIds: [request.requestId],
        attempts: 0,
        enabledOnceRetries: 0,
        updatedAt: now,
        ...readdCooldown(existing, request.action, deps.settings.readdCooldownSeconds, now),
      };
      records.set(key, record);
      changed.push(record);
    }
    await ledger.saveLinkTables(link, changed);
    await ledger.markClaimed(link, request.requestId, now);
  }

  return {
    claimedRequestIds: queued.map((r) => r.requestId),
    pendingTables: [...records.values()].filter((r) => r.status === "Pending").length,
  };
}

/**
 * A table removed a moment ago is still being cleaned up by the service; adding it again at once
 * is what the service refuses as "enabled once". The add waits out READD_COOLDOWN_SECONDS from the
 * removal.
 */
function readdCooldown(
  previous: LinkTableRecord | undefined,
  action: LinkTableRecord["action"],
  cooldownSeconds: number,
  now: string,
): { notBefore?: string } {
  if (previous?.status !== "Removed" || action === "remove") return {};
  const notBefore = Date.parse(previous.updatedAt) + cooldownSeconds * 1000;
  return notBefore > Date.parse(now) ? { notBefore: new Date(notBefore).toISOString() } : {};
}
