import type { LinkRef } from "../domain/linkRef";
import type { TableName } from "../domain/tableName";
import type { TableTarget } from "../domain/tableTarget";
import type { Action, RequestStatus, TableStatus } from "../domain/tableStatus";

/** Where a request came from: a webhook call or a schema-change event (its id). */
export interface RequestOrigin {
  kind: "http" | "event";
  id: string;
}

export interface RequestedTable {
  source: TableName;
  target: TableTarget;
}

/** An onboarding request as accepted from the queue. */
export interface OnboardingRequest extends LinkRef {
  requestId: string;
  action: Action;
  tables: RequestedTable[];
  origin: RequestOrigin;
  receivedAt: string;
  callbackUrl?: string;
}

/** A recorded request that has not completed, as the worker reads it from its link. */
export interface QueuedRequest extends OnboardingRequest {
  createdAt: string;
}

/** One request's table status, for {@link WorkerLedger.setRequestTableStatuses}. */
export interface RequestTableUpdate {
  requestId: string;
  table: RequestTableView;
}

export interface RequestTableView extends TableName {
  status: TableStatus;
  error?: string;
}

/** What `GET /api/onboarding/{requestId}` shows. */
export interface RequestView extends LinkRef {
  requestId: string;
  action: Action;
  status: RequestStatus;
  /** Why the request was Rejected as a whole (for example an Idempotency-Key used for another body). */
  error?: string;
  tables: RequestTableView[];
  createdAt: string;
  updatedAt: string;
  callbackUrl?: string;
}

/**
 * The app's record of one table in one link connection: what was asked, what the worker did and
 * what the service last said. The worker reads these instead of carrying state in its history.
 */
export interface LinkTableRecord {
  source: TableName;
  target: TableTarget;
  /** The pending or in-flight operation. `reAdd` = remove, then add again. */
  action: Action;
  status: TableStatus;
  /** Every open request waiting on this table. */
  requestIds: string[];
  /** Remediation attempts used (remove + re-add after Failed). */
  attempts: number;
  /** Retries of the "enabled once" transient for the current add. */
  enabledOnceRetries: number;
  /**
   * How many times the table was asked for again after it failed for good (absent: never): each
   * such request removes the failed entry and adds the table under new ids (batchPlan.ts).
   */
  generation?: number;
  /**
   * Failed because the service reported its entry Failed (not an app deadline): the entry stays in
   * the link failed, and a request for the table again removes it first (claimPendingRequests.ts).
   */
  entryFailed?: boolean;
  /** The link-table id used for the table's current add, when one was sent. */
  linkTableId?: string;
  error?: string;
  /** When the current add was sent: the table's deadline counts from here. */
  editedAt?: string;
  /** When the earliest request waiting on this operation was received: time to Replicating counts from here. */
  requestedAt?: string;
  /**
   * When the latest request waiting on this operation was received (absent: `requestedAt`): a
   * request received before it and asking for something else is late, and does not undo it.
   */
  latestRequestAt?: string;
  /** A Pending table is not edited before this (re-add cool-down, "enabled once" retry). */
  notBefore?: string;
  /**
   * Set just before an `edittables` call carrying this table, gone once its answer is saved: a
   * send that finds it (a retried activity, a crash, a save that failed) reads the link's tables
   * first, since the edit may have landed (docs/worker.md "Sending without reading the link first").
   */
  sendingAt?: string;
  updatedAt: string;
}

/** The worker's own health, kept on the link so `GET /api/links/…` can show it. */
export interface WorkerHealth {
  /** The last fault the worker could not ride out with retries; absent once it recovered. */
  fault?: string;
  faultAt?: string;
  /** When the worker will try again (back-off, open breaker, throttling). */
  retryAt?: string;
  /** Consecutive polls that ended in a fault. */
  consecutiveFaults: number;
  /** What the worker waits for before it edits, e.g. "waiting for SQL pool dw (Paused)". */
  waitingFor?: string;
  /** Since when it waits: the SQL pool deadline counts from here. */
  waitingSince?: string;
  /** The last check that found the wait (refreshed every few minutes while it lasts). */
  waitSeenAt?: string;
  /** A standing warning about the link's workspace (connected to git: docs/control-plane.md#git-mode). */
  warning?: string;
  /**
   * A SQL pool resume the worker started and follows on its next checks: the poller's state, which
   * holds ARM operation URLs, so it is kept here and never in the orchestration's history.
   */
  sqlPoolResume?: string;
  updatedAt: string;
}

/** A workspace's circuit breaker (see shared/worker/circuitBreaker.ts for the policy). */
export interface BreakerState {
  /** Consecutive failed calls (transient faults only: 5xx, 408, 429, no answer). */
  failures: number;
  /** While set and in the future, callers keep away; once past, one caller probes. */
  openUntil?: string;
  lastError?: string;
  updatedAt?: string;
}

/** A link that has (or may have) unfinished work: the reconcile timer's worklist. */
export interface OpenLink {
  link: LinkRef;
  /** Changes whenever a request is recorded for the link; closing the entry requires it unchanged. */
  etag: string;
  touchedAt: string;
}

/** What a dedupe key (Idempotency-Key, webhook-id, event id) was first used for. */
export interface RememberedKey {
  requestId: string;
  /** Hash of what was asked with the key, to tell a retry from a different request. */
  fingerprint: string;
}

export type DedupeKind = "idempotency" | "webhook" | "event";

/** A queue message that failed validation, kept with the reason (it also goes to the poison queue). */
export interface RejectedMessage {
  messageId: string;
  reason: string;
  body: string;
}

/** What intake needs: dedupe keys, requests as they arrive, rejected messages, detached tables. */
export interface IntakeLedger {
  /** Stores the key if it is new; otherwise returns what it was first used for. */
  rememberOnce(
    kind: DedupeKind,
    key: string,
    value: RememberedKey,
    now: string,
  ): Promise<{ first: true } | { first: false; existing: RememberedKey }>;
  recordRejectedMessage(message: RejectedMessage, now: string): Promise<void>;
  /** Idempotent on requestId: a redelivered message changes nothing. Marks the link open. */
  recordRequest(request: OnboardingRequest, now: string): Promise<"created" | "exists">;
  /**
   * `recordRequest`, and `takeNudge` in the same write: whether this caller should nudge the
   * link's running worker (true for the first caller since the worker last claimed).
   */
  recordRequestAndNudge(
    request: OnboardingRequest,
    now: string,
  ): Promise<{ recorded: "created" | "exists"; nudge: boolean }>;
  /**
   * Records a request that will never reach a worker as Rejected, with the reason on it and on
   * each of its tables, so `GET /api/onboarding/{id}` can show why. Idempotent on requestId.
   */
  recordRejectedRequest(
    request: OnboardingRequest,
    reason: string,
    now: string,
  ): Promise<"created" | "exists">;
  getRequest(requestId: string): Promise<RequestView | undefined>;
  /**
   * Whether this caller should nudge the link's running worker: true for the first caller since
   * the worker last claimed (the rest are coalesced into that one nudge).
   */
  takeNudge(link: LinkRef, now: string): Promise<boolean>;
  /** Tables taken out of a link for a schema change, waiting to be re-added. */
  setDetached(link: LinkRef, table: TableName, detached: boolean, now: string): Promise<void>;
  isDetached(link: LinkRef, table: TableName): Promise<boolean>;
}

/** A request the worker closes: its final status and its tables' final statuses. */
export interface Completion {
  requestId: string;
  status: RequestStatus;
  tables: readonly RequestTableView[];
}

/**
 * What a link's worker needs: its requests, its table records, its open entry and its health.
 * A request's own partition is written at intake and at completion; in between, `getRequest`
 * shows its tables as the link's records say (docs/worker.md "Crash-safe writes").
 */
export interface WorkerLedger {
  getRequest(requestId: string): Promise<RequestView | undefined>;
  /**
   * Requests recorded for the link and not yet claimed by its worker, oldest first. `flagged`:
   * only those whose marker says `claimed: false` (every marker this version writes), filtered by
   * the store, so a claim reads what is new rather than every open request; `all` also finds
   * markers written by earlier versions, which lack the flag.
   */
  listQueuedRequests(link: LinkRef, scope?: "all" | "flagged"): Promise<QueuedRequest[]>;
  /** The worker is about to claim: the next request recorded nudges it again. */
  clearNudge(link: LinkRef): Promise<void>;
  /** How many of the link's requests wait to be claimed, and how many are claimed and not completed (one read). */
  countRequests(link: LinkRef): Promise<{ queued: number; open: number }>;
  /** The same requests with what they ask (read from the link, not from each request). */
  listOpenRequests(link: LinkRef): Promise<QueuedRequest[]>;
  /** The claimed open requests of the link among `requestIds` (their markers read by key), oldest first. */
  getOpenRequests(link: LinkRef, requestIds: readonly string[]): Promise<QueuedRequest[]>;
  markClaimed(link: LinkRef, requestId: string, now: string): Promise<void>;
  /**
   * Saves the claimed tables' records, then marks the requests claimed (a crash in between re-claims).
   * `linkTables`: how many table records the link holds with this claim, removed tables' too (the store may lay a big link out differently).
   */
  claimRequests(
    link: LinkRef,
    records: readonly LinkTableRecord[],
    requestIds: readonly string[],
    now: string,
    linkTables?: number,
  ): Promise<void>;
  /**
   * The link's table records; with `statuses`, only those in one of them (filtered by the store).
   * With `enough`, the store may stop reading, page by page, once it returns true for what it read.
   */
  listLinkTables(
    link: LinkRef,
    statuses?: readonly TableStatus[],
    enough?: (soFar: readonly LinkTableRecord[]) => boolean,
  ): Promise<LinkTableRecord[]>;
  /**
   * The link's records in one of `statuses` saved at or after `since` (their `updatedAt`, the
   * saving activity's orchestration time), filtered by the store: rows read follow what changed.
   */
  listLinkTablesSavedSince(
    link: LinkRef,
    statuses: readonly TableStatus[],
    since: string,
  ): Promise<LinkTableRecord[]>;
  /** The link's records of these tables only (absent ones are left out): rows read follow the tables named. */
  getLinkTables(link: LinkRef, tables: readonly TableName[]): Promise<LinkTableRecord[]>;
  /**
   * What a claim reads: the link's records of these tables, and `linkTables`, the number of records
   * the link holds, while it keeps them in its own partition (read whole: at most the spread
   * threshold, docs/design.md). A spread link's records are read by key (rows read follow the
   * tables named), and `linkTables` is absent: the claim writes into its shards.
   */
  readClaimRecords(
    link: LinkRef,
    tables: readonly TableName[],
  ): Promise<{ records: LinkTableRecord[]; linkTables?: number }>;
  /** Upserts the records; every request waiting on one sees its status (`getRequest`). */
  saveLinkTables(link: LinkRef, records: readonly LinkTableRecord[]): Promise<void>;
  /**
   * Sets requests' statuses for tables that left them without reaching the link row (superseded,
   * rejected, handed a finished outcome): one transaction per request partition (the last status
   * given for a table wins), partitions at once. A request or table the store does not hold is
   * skipped.
   */
  setRequestTableStatuses(updates: readonly RequestTableUpdate[], now: string): Promise<void>;
  /**
   * Writes the request's final status together with its tables' final statuses (one partition, so
   * one transaction per 100 rows, the status last), then takes it off the link's open list. Safe to
   * repeat: a crash after the first write is finished by the next poll.
   */
  completeRequest(
    link: LinkRef,
    requestId: string,
    status: RequestStatus,
    tables: readonly RequestTableView[],
    now: string,
  ): Promise<void>;
  /**
   * `completeRequest` for several requests of the link: their partitions at once, then `report`
   * (when given), then the open list. Until the open list is written the requests stay open, so a
   * crash before it completes them, and reports them, again at the next poll (at least once).
   */
  completeRequestBatch(
    link: LinkRef,
    completions: readonly Completion[],
    now: string,
    report?: () => Promise<void>,
  ): Promise<void>;
  getOpenLink(link: LinkRef): Promise<OpenLink | undefined>;
  /** Removes the link from the open list unless a request was recorded since `etag` was read. */
  closeOpenLink(link: LinkRef, etag: string): Promise<boolean>;
  getWorkerHealth(link: LinkRef): Promise<WorkerHealth | undefined>;
  saveWorkerHealth(link: LinkRef, health: WorkerHealth): Promise<void>;
}

/** The workspaces' circuit breakers, shared by every worker of every instance of the app. */
export interface BreakerStore {
  /** The workspace's circuit-breaker state and its version (undefined when none was stored). */
  getBreaker(workspace: string): Promise<{ state: BreakerState; etag?: string }>;
  /** Stores the state; with `etag`, only if nobody changed it since (false when someone did). */
  saveBreaker(workspace: string, state: BreakerState, etag?: string): Promise<boolean>;
}

/** What the reconcile timer walks. */
export interface OpenLinkIndex {
  /**
   * Links with unfinished work (one small partition, written by `recordRequest`), so the timer's
   * cost follows the open work, not the size of the ledger.
   */
  listOpenLinks(): Promise<OpenLink[]>;
}

/** One entry of the request index: enough to list a request without reading its partition. */
export interface RequestIndexEntry extends LinkRef {
  requestId: string;
  origin: RequestOrigin["kind"];
  createdAt: string;
}

/** A link the app has recorded a request for (kept after its work is done, unlike the open list). */
export interface TrackedLink extends LinkRef {
  lastRequestAt: string;
}

/** One page of an index, and where the next one starts (an opaque cursor; absent on the last page). */
export interface IndexPage<T> {
  items: T[];
  after?: string;
}

/**
 * What the dashboard reads: indexes written by `recordRequest`, so listing costs one partition
 * range per page, never a scan of the table.
 */
export interface DashboardIndex {
  /** Requests newest first, all links or one link's, created at or after `since`. */
  listRequestIndex(query: {
    link?: LinkRef;
    since?: string;
    after?: string;
    limit: number;
  }): Promise<IndexPage<RequestIndexEntry>>;
  /** Links with at least one recorded request, in key order. */
  listTrackedLinks(query: { after?: string; limit: number }): Promise<IndexPage<TrackedLink>>;
}

/** The whole ledger (Azure Table storage in production): one adapter plays every role. */
export interface Ledger extends IntakeLedger, WorkerLedger, BreakerStore, OpenLinkIndex, DashboardIndex {}
