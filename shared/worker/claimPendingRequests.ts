import type { LinkRef } from "../domain/linkRef";
import { qualifiedName, tableKey } from "../domain/tableName";
import { isTerminal, type Action } from "../domain/tableStatus";
import type {
  LinkTableRecord,
  OnboardingRequest,
  RequestedTable,
  RequestTableUpdate,
} from "../ledger/ledger";
import type { WorkerDeps } from "./workerDeps";

export interface ClaimResult {
  claimedRequestIds: string[];
  /**
   * Tables of the link that wait for an edit (new claims, remediation, an earlier batch's overflow):
   * the claimed ones left Pending, or else at least 1 if any other does (the first page only). The
   * worker asks only whether there are any.
   */
  pendingTables: number;
  /**
   * Tables this claim took from requests (rejected, superseded, handed a finished outcome): those
   * requests may be done without any record changing, so the worker sweeps its open requests.
   * Absent in results recorded by earlier versions.
   */
  releasedTables?: number;
}

/** What claiming one table of a request does to the link's record of it. */
export type TableClaim =
  /** The request already waits on this record (a re-run after a crash). */
  | { kind: "unchanged" }
  | { kind: "join"; record: LinkTableRecord }
  /** A new Pending record; `superseded` requests waited on the operation it replaces. */
  | { kind: "replace"; record: LinkTableRecord; superseded: string[] }
  /**
   * The record holds another operation asked for by a request received after this one (a message
   * delivered late: a replay from the poison queue, a redelivery): the later request wins, and this
   * one's table fails as superseded instead of undoing it.
   */
  | { kind: "stale"; by: string[] }
  /** As many requests as a record can name already wait on the work in flight (MAX_REQUESTS_PER_TABLE). */
  | { kind: "full"; waiting: number };

/**
 * The most requests one table's record names. The ids are one Table storage property (64 KiB at
 * most; 500 request ids are about 20 KB), and a hundred records travel in one transaction (4 MB).
 * A caller that posts the same table again and again without an Idempotency-Key, or a storm of
 * schema-change events, while the table snapshots for hours would otherwise make every write of the
 * record fail, and the link's worker with it.
 */
export const MAX_REQUESTS_PER_TABLE = 500;

/**
 * A request joins work in flight that ends where it wants the table: the same operation, or an
 * add while the table is being re-added (remediation, the end of a schema-change window). Joining
 * keeps the remediation count, and every request waiting on the record ends with its outcome.
 */
function joins(inFlight: Action, requested: Action): boolean {
  return inFlight === requested || (requested === "add" && inFlight === "reAdd");
}

/** Requests received within this of each other are taken in the order they are claimed (clocks of two instances may differ). */
const LATE_DELIVERY_MARGIN_MS = 60_000;

/** When the latest request the record's operation serves was received, if known. */
function latestRequestOf(record: LinkTableRecord): number | undefined {
  const at = record.latestRequestAt ?? record.requestedAt;
  return at === undefined ? undefined : Date.parse(at);
}

/**
 * The claim decision for one table: join the record when the work in flight (or still pending)
 * ends where the request wants the table, otherwise start a new Pending record that replaces it. An add of a table removed
 * a moment ago waits out READD_COOLDOWN_SECONDS from the removal: the service is still cleaning up.
 */
export function claimTable(
  existing: LinkTableRecord | undefined,
  request: Pick<OnboardingRequest, "requestId" | "action" | "receivedAt">,
  table: RequestedTable,
  now: string,
  reAddCooldownSeconds: number,
): TableClaim {
  if (existing?.requestIds.includes(request.requestId)) return { kind: "unchanged" };
  const received = Date.parse(request.receivedAt);
  const latest = existing ? latestRequestOf(existing) : undefined;
  if (existing && joins(existing.action, request.action) && !isTerminal(existing.status)) {
    if (existing.requestIds.length >= MAX_REQUESTS_PER_TABLE) {
      return { kind: "full", waiting: existing.requestIds.length };
    }
    const requestIds = [...existing.requestIds, request.requestId];
    const newest = latest === undefined || received >= latest;
    // A pending record has not been sent yet: the newest request's target wins, by when received.
    const target = existing.status === "Pending" && newest ? table.target : existing.target;
    // Time to Replicating counts from the earliest request waiting on the work.
    const requestedAt =
      existing.requestedAt !== undefined && Date.parse(existing.requestedAt) <= received
        ? existing.requestedAt
        : request.receivedAt;
    const latestRequestAt = newest ? request.receivedAt : (existing.latestRequestAt ?? existing.requestedAt);
    return {
      kind: "join",
      record: {
        ...existing,
        requestIds,
        target,
        requestedAt,
        ...(latestRequestAt ? { latestRequestAt } : {}),
        updatedAt: now,
      },
    };
  }
  // Received well before the request whose operation the record holds (not merely clock skew
  // between two intake instances): a late delivery, which must not undo the later request.
  if (latest !== undefined && received < latest - LATE_DELIVERY_MARGIN_MS) {
    return { kind: "stale", by: existing?.requestIds ?? [] };
  }
  const record: LinkTableRecord = {
    source: table.source,
    target: table.target,
    action: request.action,
    status: "Pending",
    requestIds: [request.requestId],
    attempts: 0,
    enabledOnceRetries: 0,
    requestedAt: request.receivedAt,
    latestRequestAt: request.receivedAt,
    // An edit sent for the record it replaces may have landed: the next send reads the link first.
    ...(existing?.sendingAt !== undefined && existing.status === "Pending"
      ? { sendingAt: existing.sendingAt }
      : {}),
    updatedAt: now,
  };
  if (
    existing?.status === "Failed" &&
    existing.entryFailed === true &&
    existing.linkTableId !== undefined &&
    request.action !== "remove"
  ) {
    // The service failed the entry, which stays in the link failed: an add of it would only watch
    // it fail again. Asked for again (the requester fixed the table), the entry is removed and the
    // table added anew under new ids, after the re-add cool-down, as a remediation would: only the
    // entry the app watched goes, never someone else's. A table failed by an app deadline keeps its
    // entry, which may be replicating by now: it is simply added (and watched) again.
    record.action = "reAdd";
    record.linkTableId = existing.linkTableId;
    record.generation = (existing.generation ?? 0) + 1;
  }
  if (existing?.status === "Removed" && request.action !== "remove") {
    const notBefore = Date.parse(existing.updatedAt) + reAddCooldownSeconds * 1000;
    if (notBefore > Date.parse(now)) record.notBefore = new Date(notBefore).toISOString();
  }
  const superseded = existing && !isTerminal(existing.status) ? existing.requestIds : [];
  return { kind: "replace", record, superseded };
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
  scope: "all" | "flagged" = "all",
): Promise<ClaimResult> {
  const { ledger, settings } = deps;
  // Before listing: a request recorded from here on nudges the worker again.
  await ledger.clearNudge(link);
  const queued = await ledger.listQueuedRequests(link, scope);
  if (queued.length === 0) {
    // Nothing to claim: only the count of tables waiting for an edit, filtered by the store.
    const pending = await ledger.listLinkTables(link, ["Pending"], (soFar) => soFar.length > 0);
    return { claimedRequestIds: [], pendingTables: pending.length };
  }
  // Only the records of the tables asked for (a spread link is read by key, not whole).
  const asked = new Map(queued.flatMap((r) => r.tables.map((t) => [tableKey(t.source), t.source] as const)));
  const read = await ledger.readClaimRecords(link, [...asked.values()]);
  const records = new Map(read.records.map((r) => [tableKey(r.source), r]));

  const changed = new Map<string, LinkTableRecord>();
  // Statuses of tables that leave a request here, written together before the claim.
  const leaving: RequestTableUpdate[] = [];
  // In the order the requests were received, not recorded (a late delivery is recorded late).
  const byReceipt = [...queued].sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt));
  for (const request of byReceipt) {
    for (const table of request.tables) {
      const key = tableKey(table.source);
      const existing = records.get(key);
      const claim = claimTable(existing, request, table, now, settings.reAddCooldownSeconds);
      if (claim.kind === "unchanged") continue;
      if (claim.kind === "full") {
        const error =
          `${claim.waiting} requests already wait on ${qualifiedName(table.source)} (MAX_REQUESTS_PER_TABLE); ` +
          "it is being onboarded for them: send this request again once they have completed";
        leaving.push({ requestId: request.requestId, table: { ...table.source, status: "Rejected", error } });
        continue;
      }
      if (claim.kind === "stale") {
        // A later request that wanted the same end, and got it: this one shares the outcome.
        const sameEnd = existing && joins(existing.action, request.action) && isTerminal(existing.status);
        const error = `Superseded by a later request${claim.by.length > 0 ? ` (${claim.by.join(", ")})` : ""} for ${qualifiedName(table.source)}, received after this one`;
        leaving.push({
          requestId: request.requestId,
          table: sameEnd
            ? {
                ...table.source,
                status: existing.status,
                ...(existing.error ? { error: existing.error } : {}),
              }
            : { ...table.source, status: "Failed", error },
        });
        continue;
      }
      // A different operation replaces the one in flight; its requests learn why.
      for (const previous of claim.kind === "replace" ? claim.superseded : []) {
        const error = `Superseded by request ${request.requestId} (${request.action} ${qualifiedName(table.source)})`;
        leaving.push({ requestId: previous, table: { ...table.source, status: "Failed", error } });
      }
      // A finished record handed to a new request no longer names the earlier ones: they keep its
      // outcome in their own rows (a request's rows mirror the records only until it completes).
      if (claim.kind === "replace" && existing && isTerminal(existing.status)) {
        const outcome = {
          ...table.source,
          status: existing.status,
          ...(existing.error ? { error: existing.error } : {}),
        };
        for (const earlier of existing.requestIds) leaving.push({ requestId: earlier, table: outcome });
      }
      records.set(key, claim.record);
      changed.set(key, claim.record);
    }
  }
  // Each request's partition in one transaction, partitions at once: not a round trip per table.
  await ledger.setRequestTableStatuses(leaving, now);
  // The link's size after the claim, while it keeps its records in its own partition: whether to spread them.
  const held = new Set(read.records.map((r) => tableKey(r.source)));
  const added = [...changed.keys()].filter((key) => !held.has(key)).length;
  // The tables and the claims in the link's own transactions, tables first: a crash in between re-claims.
  await ledger.claimRequests(
    link,
    [...changed.values()],
    queued.map((r) => r.requestId),
    now,
    read.linkTables === undefined ? undefined : read.linkTables + added,
  );

  const claimedPending = [...records.values()].filter((r) => r.status === "Pending").length;
  return {
    claimedRequestIds: queued.map((r) => r.requestId),
    releasedTables: leaving.length,
    pendingTables:
      claimedPending > 0
        ? claimedPending
        : (await ledger.listLinkTables(link, ["Pending"], (soFar) => soFar.length > 0)).length,
  };
}
