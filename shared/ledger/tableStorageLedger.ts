import { createHash, randomUUID } from "node:crypto";
import {
  odata,
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from "@azure/data-tables";
import { canonicalLink, type LinkRef } from "../domain/linkRef";
import { tableKey, type TableName } from "../domain/tableName";
import type { TableTarget } from "../domain/tableTarget";
import { parseAction, type Action, type RequestStatus, type TableStatus } from "../domain/tableStatus";
import type {
  BreakerState,
  DedupeKind,
  Ledger,
  LinkTableRecord,
  OpenLink,
  WorkerHealth,
  OnboardingRequest,
  QueuedRequest,
  Completion,
  RejectedMessage,
  RememberedKey,
  RequestTableUpdate,
  RequestTableView,
  RequestView,
  IndexPage,
  RequestIndexEntry,
  TrackedLink,
} from "./ledger";

/*
 * Layout (one table):
 *   PartitionKey req_<requestId>      RowKey "request"        the request itself
 *                                      RowKey t_<table>        that table's status within the request
 *   PartitionKey link_<ws>_<link>     RowKey r_<requestId>    open request of the link: what it asks, claimed flag
 *                                      RowKey t_<table>        the table's record in the link (up to 1,000 records)
 *                                      RowKey shards           from the start of a spread: copying, then spread (spread())
 *                                      RowKey worker           the worker's health (last fault, retry time)
 *                                      RowKey nudge            present while the worker was nudged since its last claim
 *                                      RowKey q_<time>_<requestId> the link's request index, newest first (dashboard)
 *   PartitionKey link_<ws>_<link>|<k>  RowKey t_<table>        the table's record in shard k of a spread link
 *   PartitionKey requestIndex          RowKey q_<time>_<requestId> every request, newest first (dashboard)
 *                                      RowKey o_<link partition> a link with unfinished work (reconcile's worklist)
 *                                      RowKey l_<link partition> a link with a recorded request (dashboard)
 *   PartitionKey breakers              RowKey <workspace>      the workspace's circuit breaker
 *   PartitionKey openLinks             RowKey link_<ws>_<link> open links written by earlier versions (read, closed)
 * Keys are URI-encoded: table keys forbid / \ # ? and control characters, SQL identifiers do not.
 *
 * Until a request completes, its own partition holds what was asked (its rows say Pending) and the
 * link's records hold how far each table got: `getRequest` reads through to them, so the worker
 * writes a request's partition once more only, when it completes it (docs/worker.md "Crash-safe writes").
 */
const REQUEST_ROW = "request";
const enc = encodeURIComponent;
/**
 * Table keys hold at most 1 KiB (512 UTF-16 characters), while two 128-character SQL identifiers
 * URI-encode to far more (a CJK character takes 9). A key that would not fit is stored under the
 * hash of what it encodes; the names themselves are kept in properties. "sha256:" never comes out
 * of encodeURIComponent (":" becomes %3A), so the two forms cannot collide, and keys that fit keep
 * the readable form rows were written with before.
 */
const MAX_KEY_CHARS = 500;
function fittingKey(prefix: string, value: string): string {
  const encoded = `${prefix}${enc(value)}`;
  if (encoded.length <= MAX_KEY_CHARS) return encoded;
  return `${prefix}sha256:${createHash("sha256").update(value).digest("hex")}`;
}
const requestPartition = (requestId: string) => fittingKey("req_", requestId);
/** Workspace and link names are case-insensitive in Synapse: one partition per link, whatever the spelling. */
const linkPartition = (link: LinkRef) => {
  const { workspace, linkConnection } = canonicalLink(link);
  return `link_${enc(workspace)}_${enc(linkConnection)}`;
};
const tableRow = (table: TableName) => fittingKey("t_", tableKey(table));
/**
 * Present in the link's partition once its table records were spread over shard partitions
 * (`ShardsEntity`); absent, they are in the link's own partition. "|" never comes out of
 * encodeURIComponent, so a shard's partition cannot be another link's.
 */
const SHARDS_ROW = "shards";
/**
 * How many table records a link keeps in its own partition (`tables`), written by each claim with
 * its records: a claim of a few tables then reads those by key, not the whole link, and still knows
 * when the link passes `shardAbove`. Sorts outside every range the ledger reads ("ta" > "t`"). A
 * claim that failed part-way, or a duplicate, may leave it low; within a tenth of `shardAbove` the
 * claim reads the link whole instead, so the spread comes on time. Not written once the link is
 * spread (the shards row decides from then on).
 */
const TABLE_COUNT_ROW = "tableCount";
const shardPartition = (link: LinkRef, shard: number) => `${linkPartition(link)}|${shard}`;
/** The shard of a record's row key: the same table lands in the same shard on every write. */
function shardOfRow(rowKey: string, count: number): number {
  return createHash("sha256").update(rowKey).digest().readUInt32BE(0) % count;
}
const openRequestRow = (requestId: string) => fittingKey("r_", requestId);
const detachedRow = (table: TableName) => fittingKey("d_", tableKey(table));
const dedupePartition = (kind: DedupeKind) => `dedupe_${kind}`;
const REJECTED_PARTITION = "rejectedMessages";
/** Where earlier versions kept open links; read and closed, no longer written. */
const LEGACY_OPEN_LINKS_PARTITION = "openLinks";
/** Open links live in the request index partition, so intake writes them in the index's transaction. */
const openLinkRow = (link: LinkRef) => `o_${linkPartition(link)}`;
const BREAKERS_PARTITION = "breakers";
const breakerRow = (workspace: string) => enc(workspace.toLowerCase());
const WORKER_ROW = "worker";
/** Present while the worker has been nudged since its last claim (`takeNudge`, `clearNudge`). */
const NUDGE_ROW = "nudge";
const REQUEST_INDEX_PARTITION = "requestIndex";
/** Row keys sort ascending; counting down from the largest 13-digit millisecond time lists newest first. */
const LAST_MS = 9_999_999_999_999;
const countdown = (ms: number) => `q_${String(LAST_MS - ms).padStart(13, "0")}`;
const requestIndexRow = (createdAt: string, requestId: string) =>
  fittingKey(`${countdown(Date.parse(createdAt))}_`, requestId);
const trackedLinkRow = (link: LinkRef) => `l_${linkPartition(link)}`;

/**
 * Where to cut `text` at most `end` UTF-16 units in without splitting a surrogate pair (a character
 * outside the BMP, which SQL identifiers may hold): one unit earlier when a pair would be cut.
 */
function pairSafeEnd(text: string, end: number): number {
  if (end >= text.length) return text.length;
  const last = text.charCodeAt(end - 1);
  return last >= 0xd800 && last <= 0xdbff ? end - 1 : end;
}

/** Table storage caps string properties at 64 KiB (32 K UTF-16 characters). */
const MAX_TEXT = 30_000;
/** A rejected request's reason on each of its table rows: 100 rows of it stay within a transaction. */
const MAX_ROW_ERROR_TEXT = 10_000;
function clip(text: string | undefined, max = MAX_TEXT): string | undefined {
  return text === undefined || text.length <= max
    ? text
    : `${text.slice(0, pairSafeEnd(text, max))}… (truncated)`;
}

interface RequestEntity extends TableEntity {
  requestId: string;
  workspace: string;
  linkConnection: string;
  action: Action;
  status: RequestStatus;
  originKind: string;
  originId: string;
  receivedAt: string;
  callbackUrl?: string;
  /** Why a request was Rejected as a whole (it never reached a worker). */
  error?: string;
  createdAt: string;
  updatedAt: string;
  tableCount: number;
}

interface RequestTableEntity extends TableEntity {
  schema: string;
  name: string;
  position: number;
  target: string;
  status: TableStatus;
  error?: string;
}

interface OpenRequestEntity extends TableEntity {
  requestId: string;
  workspace?: string;
  linkConnection?: string;
  /** Absent until the worker claims the request (a redelivery merges the row without it). */
  claimed?: boolean;
  queuedAt: string;
  /*
   * What the request asks, so that claiming and completing read the link's partition only.
   * Markers written by earlier versions lack these: the request's partition is read instead.
   */
  action?: string;
  originKind?: string;
  originId?: string;
  receivedAt?: string;
  callbackUrl?: string;
  createdAt?: string;
  /** JSON of the requested tables, cut into parts of MAX_TEXT characters (`tables0`, `tables1`, …). */
  tableParts?: number;
  [part: `tables${number}`]: string | undefined;
}

/** A marker holds the request's tables only while they fit comfortably in one entity (1 MiB). */
const MAX_MARKER_PARTS = 16;

/**
 * A new marker, written only where none exists: `claimed: false`, so that the worker's claims find
 * the unclaimed ones with a filter of the store (markers of earlier versions lack it until claimed).
 */
function openRequestEntity(request: OnboardingRequest, createdAt: string, now: string): OpenRequestEntity {
  const entity: OpenRequestEntity = {
    partitionKey: linkPartition(request),
    rowKey: openRequestRow(request.requestId),
    requestId: request.requestId,
    workspace: request.workspace,
    linkConnection: request.linkConnection,
    claimed: false,
    queuedAt: now,
    action: request.action,
    originKind: request.origin.kind,
    originId: request.origin.id,
    receivedAt: request.receivedAt,
    ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
    createdAt,
  };
  const json = JSON.stringify(request.tables.map((t) => [t.source.schema, t.source.name, t.target]));
  const parts: string[] = [];
  for (let start = 0; start < json.length && parts.length <= MAX_MARKER_PARTS;) {
    const end = pairSafeEnd(json, start + MAX_TEXT);
    parts.push(json.slice(start, end));
    start = end;
  }
  if (parts.length > MAX_MARKER_PARTS) return entity;
  entity.tableParts = parts.length;
  parts.forEach((part, i) => (entity[`tables${i}`] = part));
  return entity;
}

/** The request a marker carries, or undefined for a marker without it (an earlier version's). */
function requestOfMarker(row: OpenRequestEntity, link: LinkRef): QueuedRequest | undefined {
  const action = parseAction(row.action);
  if (row.tableParts === undefined || !action || row.createdAt === undefined) return undefined;
  let json = "";
  for (let i = 0; i < row.tableParts; i++) json += row[`tables${i}`] ?? "";
  const tables = (JSON.parse(json) as [string, string, TableTarget][]).map(([schema, name, target]) => ({
    source: { schema, name },
    target,
  }));
  return {
    requestId: row.requestId,
    workspace: row.workspace ?? link.workspace,
    linkConnection: row.linkConnection ?? link.linkConnection,
    action,
    tables,
    origin: { kind: row.originKind === "event" ? "event" : "http", id: row.originId ?? "" },
    receivedAt: row.receivedAt ?? row.createdAt,
    ...(row.callbackUrl ? { callbackUrl: row.callbackUrl } : {}),
    createdAt: row.createdAt,
  };
}

interface LinkTableEntity extends TableEntity {
  schema: string;
  name: string;
  target: string;
  action: Action;
  status: TableStatus;
  requestIds: string;
  attempts: number;
  enabledOnceRetries: number;
  generation?: number;
  entryFailed?: boolean;
  linkTableId?: string;
  error?: string;
  editedAt?: string;
  requestedAt?: string;
  latestRequestAt?: string;
  notBefore?: string;
  sendingAt?: string;
  updatedAt: string;
  /**
   * On a copy a spread wrote into a shard: the etag of the row it copied from the link's partition.
   * A save replaces the record without it. A cleanup after a crash copies again a row of the link's
   * partition whose etag differs (it was saved after the copy read it).
   */
  copyOf?: string;
}

/** The link's `shards` row. */
interface ShardsEntity extends TableEntity {
  shardCount: number;
  /**
   * Set while one claim copies the records into the shards (readers and saves still use the link's
   * partition); `copyingSince` says when, so that a copy whose claim crashed is taken over later.
   */
  copying?: boolean;
  copyingSince?: string;
  /** Which copy holds the lease: a copy checks it before each write (`holdSpreadLease`). */
  copyId?: string;
  /** Set by a copy that failed and knew it: the next claim takes the copy over at once. */
  released?: boolean;
  /**
   * The records copied into the shards may still be in the link's partition: the next claim, or a
   * save on an instance that has not seen the link spread, deletes them.
   */
  leftovers?: boolean;
}

/** How long a copy may take before another claim takes it over (its claim most likely crashed). */
const SPREAD_LEASE_MS = 10 * 60_000;

interface Shards {
  count: number;
  leftovers: boolean;
}

/** The link's shards as `rows` show them; undefined while they are being filled (`copying`) or absent. */
function shardsOf(rows: readonly TableEntity[]): Shards | undefined {
  const row = rows.find((r) => r.rowKey === SHARDS_ROW) as ShardsEntity | undefined;
  return row && row.shardCount > 0 && row.copying !== true
    ? { count: row.shardCount, leftovers: row.leftovers ?? false }
    : undefined;
}

const isTableRow = (row: TableEntity) => row.rowKey.startsWith("t_");

/**
 * When a link's table records leave its own partition: above `shardAbove` tables they are spread
 * over `shardCount` partitions by a hash of the row key. Azure prices and times a write alike
 * whatever its partition holds, but a partition serves about 2,000 entities a second, and a
 * 5,000-table link saves all its tables at once when they change together; Azurite also scans a
 * partition for each write it takes (docs/performance.md, "Big link"). Small links keep one
 * partition, so their polls stay one query each.
 */
export interface RecordLayout {
  shardAbove: number;
  shardCount: number;
}

export const DEFAULT_RECORD_LAYOUT: RecordLayout = { shardAbove: 1000, shardCount: 8 };

interface OpenLinkEntity extends TableEntity {
  workspace: string;
  linkConnection: string;
  touchedAt: string;
  /** Set by the first caller that nudged the worker since its last claim; "" once it claimed. */
  nudgedAt?: string;
}

interface RequestIndexEntity extends TableEntity {
  requestId: string;
  workspace: string;
  linkConnection: string;
  originKind: string;
  createdAt: string;
}

interface TrackedLinkEntity extends TableEntity {
  workspace: string;
  linkConnection: string;
  lastRequestAt: string;
}

/** Row keys named in one filter besides the PartitionKey (the service allows 15 comparisons). */
const LIVE_KEYS_PER_QUERY = 14;
/** What `getRequest` reads of the link's rows: a record's fields and the marker's claimed flag. */
const LIVE_FIELDS = [
  "RowKey",
  "claimed",
  "schema",
  "name",
  "target",
  "action",
  "status",
  "requestIds",
  "attempts",
  "enabledOnceRetries",
  "generation",
  "linkTableId",
  "error",
  "editedAt",
  "requestedAt",
  "latestRequestAt",
  "notBefore",
  "updatedAt",
  "shardCount",
  "copying",
  "leftovers",
];

/** Page size of a read that may stop early: about two edit batches. */
const ENOUGH_PAGE_SIZE = 200;

/** Request partitions written at once: enough to overlap round trips, few enough not to be throttled. */
const PARTITION_CONCURRENCY = 8;
/**
 * Tables a claim of a spread link reads by key (14 keys a query); beyond, the link's records are
 * read in pages of 1,000, fewer round trips for the same rows.
 */
const KEYED_CLAIM_READ_MAX = 200;
/**
 * Shards of a spread link written at once. Each transaction of 100 records is built whole in memory
 * by the SDK (tens of KB an operation); two in flight overlap round trips without holding eight.
 */
const SHARD_WRITE_CONCURRENCY = 2;

/**
 * Runs `work` on the items, `limit` at a time. After a failure no new item starts, and the first
 * error is thrown once every running item has ended: nothing of the work is still in flight when
 * the caller learns it failed (a spread that failed must not write after it released its copy).
 */
async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++];
      if (item === undefined) continue;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
}

/**
 * Creates rows of one partition, the last one last, in transactions of up to 100: a request of up
 * to 99 tables is one round trip. A transaction is all or nothing, so one that fails because a row
 * exists was written whole by an earlier attempt (a retry, a redelivery, a crash after it) and is
 * skipped: rows are never overwritten, and a table the worker has moved on never goes back to
 * Pending. Whether the last row was created here tells a new request from a repeated one.
 */
async function createAllOrFind(client: TableClient, creates: TransactionAction[]): Promise<boolean> {
  let createdLast = false;
  // Cut by count only, from the end (up to 100 rows then always travel together): every delivery
  // must cut where the first did, or a transaction that mixes written and new rows would be
  // skipped whole. Rows are small enough for 100 to fit (requestRows clips a rejected table's error).
  for (const chunk of transactionChunks(creates, "fromEnd", Infinity)) {
    createdLast = false;
    try {
      await client.submitTransaction(chunk);
      createdLast = true;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
  }
  return createdLast;
}

/** Like submitInChunks, but the last 100 operations travel together (the head row with its tables). */
async function submitEndingTogether(client: TableClient, actions: TransactionAction[]): Promise<void> {
  for (const chunk of transactionChunks(actions, "fromEnd")) await client.submitTransaction(chunk);
}

/**
 * A request's own partition as first written: its table rows in the order asked, then its head
 * row (last, so `createAllOrFind` tells a new request from a repeated one by it). Queued tables
 * are Pending; a request rejected as a whole has every table Rejected with the reason.
 */
function requestRows(
  request: OnboardingRequest,
  now: string,
  outcome: { status: "Queued" } | { status: "Rejected"; error: string },
): TransactionAction[] {
  const partitionKey = requestPartition(request.requestId);
  const error = outcome.status === "Rejected" ? { error: outcome.error } : {};
  // Each table row repeats the reason: clipped shorter than the head's, so that 100 rows fit one
  // transaction (4 MiB) whatever the reason holds (createAllOrFind cuts by count).
  const rowError =
    outcome.status === "Rejected" ? { error: clip(outcome.error, MAX_ROW_ERROR_TEXT) ?? "" } : {};
  const tables = request.tables.map((t, position): TransactionAction => [
    "create",
    {
      partitionKey,
      rowKey: tableRow(t.source),
      schema: t.source.schema,
      name: t.source.name,
      position,
      target: JSON.stringify(t.target),
      status: outcome.status === "Queued" ? "Pending" : "Rejected",
      ...rowError,
    } satisfies RequestTableEntity,
  ]);
  const head: RequestEntity = {
    partitionKey,
    rowKey: REQUEST_ROW,
    requestId: request.requestId,
    workspace: request.workspace,
    linkConnection: request.linkConnection,
    action: request.action,
    status: outcome.status,
    ...error,
    originKind: request.origin.kind,
    originId: request.origin.id,
    receivedAt: request.receivedAt,
    ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
    createdAt: now,
    updatedAt: now,
    tableCount: request.tables.length,
  };
  return [...tables, ["create", head]];
}

/** Runs table transactions in chunks: one partition, at most 100 operations each. */
async function submitInChunks(client: TableClient, actions: TransactionAction[]): Promise<void> {
  for (const chunk of transactionChunks(actions, "fromStart")) await client.submitTransaction(chunk);
}

/** A transaction holds at most 100 operations and 4 MiB of payload (Azure Table storage). */
const TRANSACTION_OPERATIONS = 100;
/** Below the 4 MiB payload limit, with room for each operation's multipart headers. */
const TRANSACTION_BYTES = 3_500_000;

/**
 * Actions cut into transactions of at most TRANSACTION_OPERATIONS and `maxBytes` (an entity's JSON
 * as UTF-8, plus its headers; Infinity: by count only), in order. "fromEnd" fills the last transactions first, so the
 * last operations travel together and the first transaction is the short one.
 */
export function transactionChunks(
  actions: readonly TransactionAction[],
  from: "fromStart" | "fromEnd",
  maxBytes = TRANSACTION_BYTES,
): TransactionAction[][] {
  const ordered = from === "fromEnd" ? [...actions].reverse() : [...actions];
  const chunks: TransactionAction[][] = [];
  let chunk: TransactionAction[] = [];
  let bytes = 0;
  for (const action of ordered) {
    const size = Buffer.byteLength(JSON.stringify(action[1])) + 500;
    if (chunk.length > 0 && (chunk.length >= TRANSACTION_OPERATIONS || bytes + size > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(action);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return from === "fromEnd" ? chunks.reverse().map((c) => c.reverse()) : chunks;
}

function isStatus(error: unknown, status: number): boolean {
  return (
    typeof error === "object" && error !== null && (error as { statusCode?: number }).statusCode === status
  );
}

/** What the request view and the queued request share of the head row. */
function headFields(
  head: RequestEntity,
): Pick<OnboardingRequest, "requestId" | "workspace" | "linkConnection" | "action"> {
  return {
    requestId: head.requestId,
    workspace: head.workspace,
    linkConnection: head.linkConnection,
    action: parseAction(head.action) ?? head.action,
  };
}

/** Row keys in the order the service lists them (ordinal, by UTF-16 code unit). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A string literal of an OData filter (single quotes doubled), for filters built from a list. */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function toRecord(row: LinkTableEntity): LinkTableRecord {
  return {
    source: { schema: row.schema, name: row.name },
    target: JSON.parse(row.target) as TableTarget,
    action: parseAction(row.action) ?? row.action,
    status: row.status,
    requestIds: JSON.parse(row.requestIds) as string[],
    attempts: row.attempts,
    enabledOnceRetries: row.enabledOnceRetries,
    updatedAt: row.updatedAt,
    ...(row.generation ? { generation: row.generation } : {}),
    ...(row.entryFailed ? { entryFailed: true } : {}),
    ...(row.linkTableId ? { linkTableId: row.linkTableId } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.editedAt ? { editedAt: row.editedAt } : {}),
    ...(row.requestedAt ? { requestedAt: row.requestedAt } : {}),
    ...(row.latestRequestAt ? { latestRequestAt: row.latestRequestAt } : {}),
    ...(row.notBefore ? { notBefore: row.notBefore } : {}),
    ...(row.sendingAt ? { sendingAt: row.sendingAt } : {}),
  };
}

function recordAction(
  partitionKey: string,
  r: LinkTableRecord,
  kind: "upsert" | "update" = "upsert",
  copyOf?: string,
): TransactionAction {
  const error = clip(r.error);
  const entity: LinkTableEntity = {
    partitionKey,
    rowKey: tableRow(r.source),
    schema: r.source.schema,
    name: r.source.name,
    target: JSON.stringify(r.target),
    action: r.action,
    status: r.status,
    requestIds: JSON.stringify(r.requestIds),
    attempts: r.attempts,
    enabledOnceRetries: r.enabledOnceRetries,
    updatedAt: r.updatedAt,
    ...(r.generation ? { generation: r.generation } : {}),
    ...(r.entryFailed ? { entryFailed: true } : {}),
    ...(r.linkTableId ? { linkTableId: r.linkTableId } : {}),
    ...(error ? { error } : {}),
    ...(r.editedAt ? { editedAt: r.editedAt } : {}),
    ...(r.requestedAt ? { requestedAt: r.requestedAt } : {}),
    ...(r.latestRequestAt ? { latestRequestAt: r.latestRequestAt } : {}),
    ...(r.notBefore ? { notBefore: r.notBefore } : {}),
    ...(r.sendingAt ? { sendingAt: r.sendingAt } : {}),
    ...(copyOf ? { copyOf } : {}),
  };
  return kind === "update" ? ["update", entity, "Replace"] : ["upsert", entity, "Replace"];
}

/** The etag of a write's response; the spread's If-Match writes need it. */
function etagOf(response: { etag?: string }): string {
  if (!response.etag) throw new Error("Table storage answered a write of the shards row without an ETag");
  return response.etag;
}

function orUndefinedOn404(error: unknown): undefined {
  if (isStatus(error, 404)) return undefined;
  throw error;
}

function toOpenLink(row: TableEntityResult<OpenLinkEntity>): OpenLink {
  return {
    link: { workspace: row.workspace, linkConnection: row.linkConnection },
    etag: row.etag,
    touchedAt: row.touchedAt,
  };
}

export class TableStorageLedger implements Ledger {
  private ready: Promise<void> | undefined;
  /** Links seen spread over shards, by partition, with their shard count: a link never goes back. */
  private readonly knownShards = new Map<string, number>();

  constructor(
    private readonly client: TableClient,
    private readonly layout: RecordLayout = DEFAULT_RECORD_LAYOUT,
  ) {}

  /** Creates the table on first use; 409 (exists) is the normal case. */
  private ensureTable(): Promise<void> {
    this.ready ??= this.client.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async rememberOnce(
    kind: DedupeKind,
    key: string,
    value: RememberedKey,
    now: string,
  ): Promise<{ first: true } | { first: false; existing: RememberedKey }> {
    await this.ensureTable();
    const partitionKey = dedupePartition(kind);
    const rowKey = fittingKey("", key);
    try {
      await this.client.createEntity({ partitionKey, rowKey, ...value, createdAt: now });
      return { first: true };
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    const existing = await this.client.getEntity<RememberedKey>(partitionKey, rowKey);
    return { first: false, existing: { requestId: existing.requestId, fingerprint: existing.fingerprint } };
  }

  async recordRejectedMessage(message: RejectedMessage, now: string): Promise<void> {
    await this.ensureTable();
    await this.client.upsertEntity(
      {
        partitionKey: REJECTED_PARTITION,
        rowKey: fittingKey("", message.messageId),
        reason: clip(message.reason) ?? "",
        body: clip(message.body) ?? "",
        rejectedAt: now,
      },
      "Replace",
    );
  }

  async listOpenLinks(): Promise<OpenLink[]> {
    await this.ensureTable();
    const open = new Map<string, OpenLink>();
    const current = this.client.listEntities<OpenLinkEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${REQUEST_INDEX_PARTITION} and RowKey ge ${"o_"} and RowKey lt ${"o`"}`,
      },
    });
    for await (const row of current) open.set(linkPartition(row), toOpenLink(row));
    const legacy = this.client.listEntities<OpenLinkEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${LEGACY_OPEN_LINKS_PARTITION}` },
    });
    for await (const row of legacy)
      if (!open.has(linkPartition(row))) open.set(linkPartition(row), toOpenLink(row));
    return [...open.values()];
  }

  private readOpenLink(link: LinkRef): Promise<TableEntityResult<OpenLinkEntity> | undefined> {
    return this.client
      .getEntity<OpenLinkEntity>(REQUEST_INDEX_PARTITION, openLinkRow(link))
      .catch(orUndefinedOn404);
  }

  async getOpenLink(link: LinkRef): Promise<OpenLink | undefined> {
    await this.ensureTable();
    const row =
      (await this.readOpenLink(link)) ??
      (await this.client
        .getEntity<OpenLinkEntity>(LEGACY_OPEN_LINKS_PARTITION, linkPartition(link))
        .catch(orUndefinedOn404));
    return row ? toOpenLink(row) : undefined;
  }

  async closeOpenLink(link: LinkRef, etag: string): Promise<boolean> {
    await this.ensureTable();
    try {
      await this.client.deleteEntity(REQUEST_INDEX_PARTITION, openLinkRow(link), { etag });
    } catch (error) {
      if (isStatus(error, 412)) return false;
      if (!isStatus(error, 404)) throw error;
    }
    // An entry an earlier version wrote: nothing writes it any more, so it goes unconditionally.
    await this.client
      .deleteEntity(LEGACY_OPEN_LINKS_PARTITION, linkPartition(link))
      .catch((error: unknown) => {
        if (!isStatus(error, 404)) throw error;
      });
    return true;
  }

  async takeNudge(link: LinkRef, now: string): Promise<boolean> {
    await this.ensureTable();
    try {
      await this.client.createEntity({ partitionKey: linkPartition(link), rowKey: NUDGE_ROW, nudgedAt: now });
      return true;
    } catch (error) {
      if (isStatus(error, 409)) return false;
      throw error;
    }
  }

  async clearNudge(link: LinkRef): Promise<void> {
    await this.ensureTable();
    await this.client.deleteEntity(linkPartition(link), NUDGE_ROW).catch(orUndefinedOn404);
  }

  async getWorkerHealth(link: LinkRef): Promise<WorkerHealth | undefined> {
    await this.ensureTable();
    const row = await this.client
      .getEntity<WorkerHealth & TableEntity>(linkPartition(link), WORKER_ROW)
      .catch(orUndefinedOn404);
    if (!row) return undefined;
    return {
      consecutiveFaults: row.consecutiveFaults,
      updatedAt: row.updatedAt,
      ...(row.fault ? { fault: row.fault } : {}),
      ...(row.faultAt ? { faultAt: row.faultAt } : {}),
      ...(row.retryAt ? { retryAt: row.retryAt } : {}),
      ...(row.waitingFor ? { waitingFor: row.waitingFor } : {}),
      ...(row.waitingSince ? { waitingSince: row.waitingSince } : {}),
      ...(row.waitSeenAt ? { waitSeenAt: row.waitSeenAt } : {}),
      ...(row.warning ? { warning: row.warning } : {}),
      ...(row.sqlPoolResume ? { sqlPoolResume: row.sqlPoolResume } : {}),
    };
  }

  async saveWorkerHealth(link: LinkRef, health: WorkerHealth): Promise<void> {
    await this.ensureTable();
    await this.client.upsertEntity(
      {
        partitionKey: linkPartition(link),
        rowKey: WORKER_ROW,
        consecutiveFaults: health.consecutiveFaults,
        updatedAt: health.updatedAt,
        ...(health.fault ? { fault: clip(health.fault) } : {}),
        ...(health.faultAt ? { faultAt: health.faultAt } : {}),
        ...(health.retryAt ? { retryAt: health.retryAt } : {}),
        ...(health.waitingFor ? { waitingFor: clip(health.waitingFor) } : {}),
        ...(health.waitingSince ? { waitingSince: health.waitingSince } : {}),
        ...(health.waitSeenAt ? { waitSeenAt: health.waitSeenAt } : {}),
        ...(health.warning ? { warning: clip(health.warning) } : {}),
        // Whole (a clipped poller state could not be followed); a few hundred bytes.
        ...(health.sqlPoolResume ? { sqlPoolResume: health.sqlPoolResume } : {}),
      },
      "Replace",
    );
  }

  async getBreaker(workspace: string): Promise<{ state: BreakerState; etag?: string }> {
    await this.ensureTable();
    const row = await this.client
      .getEntity<BreakerState & TableEntity>(BREAKERS_PARTITION, breakerRow(workspace))
      .catch(orUndefinedOn404);
    if (!row) return { state: { failures: 0 } };
    return {
      state: {
        failures: row.failures,
        ...(row.openUntil ? { openUntil: row.openUntil } : {}),
        ...(row.lastError ? { lastError: row.lastError } : {}),
        ...(row.updatedAt ? { updatedAt: row.updatedAt } : {}),
      },
      etag: row.etag,
    };
  }

  async saveBreaker(workspace: string, state: BreakerState, etag?: string): Promise<boolean> {
    await this.ensureTable();
    const entity = { partitionKey: BREAKERS_PARTITION, rowKey: breakerRow(workspace), ...state };
    try {
      if (etag) await this.client.updateEntity(entity, "Replace", { etag });
      else await this.client.upsertEntity(entity, "Replace");
      return true;
    } catch (error) {
      if (isStatus(error, 412) || isStatus(error, 404)) return false;
      throw error;
    }
  }

  async setDetached(link: LinkRef, table: TableName, detached: boolean, now: string): Promise<void> {
    await this.ensureTable();
    if (detached) {
      await this.client.upsertEntity(
        {
          partitionKey: linkPartition(link),
          rowKey: detachedRow(table),
          schema: table.schema,
          name: table.name,
          detachedAt: now,
        },
        "Replace",
      );
      return;
    }
    try {
      await this.client.deleteEntity(linkPartition(link), detachedRow(table));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  async isDetached(link: LinkRef, table: TableName): Promise<boolean> {
    await this.ensureTable();
    try {
      await this.client.getEntity(linkPartition(link), detachedRow(table));
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  async recordRequest(request: OnboardingRequest, now: string): Promise<"created" | "exists"> {
    return (await this.record(request, now, false)).recorded;
  }

  recordRequestAndNudge(
    request: OnboardingRequest,
    now: string,
  ): Promise<{ recorded: "created" | "exists"; nudge: boolean }> {
    return this.record(request, now, true);
  }

  private async record(
    request: OnboardingRequest,
    now: string,
    withNudge: boolean,
  ): Promise<{ recorded: "created" | "exists"; nudge: boolean }> {
    await this.ensureTable();
    const rows = requestRows(request, now, { status: "Queued" });
    const created = await createAllOrFind(this.client, rows);
    if (!created) return this.recordAgain(request, now, withNudge);
    const nudge = await this.writeIndexes(request, now, {
      marker: ["upsert", openRequestEntity(request, now, now), "Merge"],
      openLink: true,
      nudgeAt: withNudge ? now : undefined,
    });
    return { recorded: "created", nudge };
  }

  /**
   * A request recorded before (a redelivery, a retry with the same Idempotency-Key, a poison
   * replay) redoes the writes after its own rows, in case a crash came between them: a request no
   * worker will ever see, or one missing from the dashboard, must not be left. Its marker is
   * written again only when the link's index row, which rides in one transaction with it, is
   * missing: otherwise the marker was written, and writing it again could bring back one the worker
   * deleted when it completed the request meanwhile (it would claim and complete it again).
   */
  private async recordAgain(
    request: OnboardingRequest,
    now: string,
    withNudge: boolean,
  ): Promise<{ recorded: "exists"; nudge: boolean }> {
    const head = await this.client.getEntity<RequestEntity>(requestPartition(request.requestId), REQUEST_ROW);
    const { createdAt } = head;
    if (head.status !== "Queued") {
      // Finished: its index rows only, never the marker or the open-link entry.
      await this.writeIndexes(request, createdAt, { openLink: false, trackLink: false });
      return { recorded: "exists", nudge: false };
    }
    const markerWritten = await this.hasRow(
      linkPartition(request),
      requestIndexRow(createdAt, request.requestId),
    );
    const nudge = await this.writeIndexes(request, createdAt, {
      // Only a marker that was never written (its index row rides in one transaction with it, and
      // index rows are never deleted): one already written may have been claimed, or completed.
      ...(markerWritten ? {} : { marker: ["upsert", openRequestEntity(request, createdAt, now), "Merge"] }),
      openLink: true,
      touchedAt: now,
      nudgeAt: withNudge ? now : undefined,
    });
    return { recorded: "exists", nudge };
  }

  private async hasRow(partitionKey: string, rowKey: string): Promise<boolean> {
    try {
      await this.client.getEntity(partitionKey, rowKey, { queryOptions: { select: ["PartitionKey"] } });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  async recordRejectedRequest(
    request: OnboardingRequest,
    reason: string,
    now: string,
  ): Promise<"created" | "exists"> {
    await this.ensureTable();
    const rows = requestRows(request, now, { status: "Rejected", error: clip(reason) ?? "" });
    // Duplicate names would collide in one transaction: the first of each is enough to show.
    const unique = [...new Map(rows.map((a) => [(a[1] as TableEntity).rowKey, a])).values()];
    const created = await createAllOrFind(this.client, unique);
    // Written again for one recorded before, in case a crash came before its index rows.
    const createdAt = created
      ? now
      : (await this.client.getEntity<RequestEntity>(requestPartition(request.requestId), REQUEST_ROW))
          .createdAt;
    // A message too broken to name its link is listed globally only.
    await this.writeIndexes(request, createdAt, {
      openLink: false,
      linkKnown: request.workspace !== "" && request.linkConnection !== "",
      trackLink: created,
    });
    return created ? "created" : "exists";
  }

  /**
   * The dashboard's indexes (docs/dashboard.md) and the open-link entry. The link's index row rides
   * in one transaction with `marker` (the open-request marker); then the global row, the tracked-link
   * row and the open-link entry in one more. The entry comes after the marker: a worker that read it
   * before the marker existed sees its etag change and does not close (closeIfIdle).
   */
  private async writeIndexes(
    request: OnboardingRequest,
    createdAt: string,
    options: {
      marker?: TransactionAction;
      /** Writes the open-link entry (the request is open). */
      openLink: boolean;
      /** The entry's `touchedAt`; default the marker's `queuedAt`. */
      touchedAt?: string;
      /**
       * Writes the tracked-link row (its `lastRequestAt` is this request's time); not for a request
       * recorded again after it finished, whose time would move the link's back.
       */
      trackLink?: boolean;
      linkKnown?: boolean;
      nudgeAt?: string | undefined;
    },
  ): Promise<boolean> {
    const { marker, openLink, linkKnown = true, nudgeAt, trackLink = true } = options;
    const indexFields = {
      requestId: request.requestId,
      workspace: request.workspace,
      linkConnection: request.linkConnection,
      originKind: request.origin.kind,
      createdAt,
    };
    const indexRow = requestIndexRow(createdAt, request.requestId);
    const global: TransactionAction[] = [
      ["upsert", { partitionKey: REQUEST_INDEX_PARTITION, rowKey: indexRow, ...indexFields }, "Replace"],
    ];
    if (!linkKnown) {
      await this.client.submitTransaction(global);
      return false;
    }
    const names = { workspace: request.workspace, linkConnection: request.linkConnection };
    if (trackLink)
      global.push([
        "upsert",
        {
          partitionKey: REQUEST_INDEX_PARTITION,
          rowKey: trackedLinkRow(request),
          ...names,
          lastRequestAt: createdAt,
        },
        "Replace",
      ]);
    const linkActions: TransactionAction[] = [
      ...(marker ? [marker] : []),
      ["upsert", { partitionKey: linkPartition(request), rowKey: indexRow, ...indexFields }, "Replace"],
    ];
    const nudge =
      nudgeAt === undefined
        ? (await this.client.submitTransaction(linkActions), false)
        : await this.submitTakingNudge(request, linkActions, nudgeAt);
    if (openLink) {
      // Merge keeps `nudgedAt`; the write still changes the etag closeOpenLink checks.
      const open: OpenLinkEntity = {
        partitionKey: REQUEST_INDEX_PARTITION,
        rowKey: openLinkRow(request),
        ...names,
        touchedAt: options.touchedAt ?? (marker?.[1] as OpenRequestEntity | undefined)?.queuedAt ?? createdAt,
      };
      global.push(["upsert", open, "Merge"]);
    }
    await this.client.submitTransaction(global);
    return nudge;
  }

  /**
   * The marker's transaction also tells whether this caller is the first to nudge the worker since
   * its last claim (`clearNudge` deletes the nudge row before the worker lists the markers). The
   * usual answer, "already nudged", costs nothing more: the row is touched in the same transaction.
   * When it is missing the transaction fails whole, and is sent again creating it: this caller nudges.
   */
  private async submitTakingNudge(
    link: LinkRef,
    actions: TransactionAction[],
    now: string,
  ): Promise<boolean> {
    const row = { partitionKey: linkPartition(link), rowKey: NUDGE_ROW };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.submitTransaction([...actions, ["update", { ...row, touchedAt: now }, "Merge"]]);
        return false;
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
      try {
        await this.client.submitTransaction([
          ...actions,
          ["create", { ...row, nudgedAt: now, touchedAt: now }],
        ]);
        return true;
      } catch (error) {
        // Another caller created it in between: theirs is the nudge.
        if (!isStatus(error, 409) || attempt >= 2) throw error;
      }
    }
  }

  /** One query for a request's partition: its head row and its table rows in the order asked. */
  private async readRequest(
    requestId: string,
  ): Promise<{ head: RequestEntity; tables: RequestTableEntity[] } | undefined> {
    await this.ensureTable();
    let head: RequestEntity | undefined;
    const tables: RequestTableEntity[] = [];
    for await (const row of this.client.listEntities<TableEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${requestPartition(requestId)}` },
    })) {
      if (row.rowKey === REQUEST_ROW) head = row as TableEntityResult<RequestEntity>;
      else tables.push(row as TableEntityResult<RequestTableEntity>);
    }
    return head ? { head, tables: tables.sort((x, y) => x.position - y.position) } : undefined;
  }

  /**
   * A request that has not completed shows its tables as its link's records say (when they name
   * it) and is InProgress once claimed: the worker does not copy every status change into the
   * request's partition. One more query: the marker and those tables' records, named one by one
   * while the filter stays within the service's 15 comparisons, else the link's table range.
   */
  async getRequest(requestId: string): Promise<RequestView | undefined> {
    const stored = await this.readRequest(requestId);
    if (!stored) return undefined;
    const { head, tables } = stored;
    let status = head.status;
    let updatedAt = head.updatedAt;
    let views = tables.map((t): RequestTableView => ({
      schema: t.schema,
      name: t.name,
      status: t.status,
      ...(t.error ? { error: t.error } : {}),
    }));
    if (status === "Queued" || status === "InProgress") {
      const link = { workspace: head.workspace, linkConnection: head.linkConnection };
      const { claimed, records } = await this.liveState(link, requestId, tables);
      if (claimed) status = "InProgress";
      views = views.map((view) => {
        const record = records.get(tableKey(view));
        if (!record?.requestIds.includes(requestId)) return view;
        if (record.updatedAt > updatedAt) updatedAt = record.updatedAt;
        return {
          schema: view.schema,
          name: view.name,
          status: record.status,
          ...(record.error ? { error: record.error } : {}),
        };
      });
    }
    return {
      ...headFields(head),
      status,
      tables: views,
      ...(head.error ? { error: head.error } : {}),
      createdAt: head.createdAt,
      updatedAt,
      ...(head.callbackUrl ? { callbackUrl: head.callbackUrl } : {}),
    };
  }

  async getLinkTables(link: LinkRef, tables: readonly TableName[]): Promise<LinkTableRecord[]> {
    await this.ensureTable();
    const keys = tables.map((t) => tableRow(t));
    // The shards row comes with the first group of keys: a small link pays no extra query, and a
    // link this instance knows to be spread skips its own partition.
    const known = this.knownSpread(link);
    const rows = known ? [] : await this.readRows(linkPartition(link), [SHARDS_ROW, ...keys]);
    const shards = known ?? (await this.shardsAfterKeyedRead(link, rows, keys));
    const held = shards ? await this.readShardRows(link, shards, keys) : rows.filter(isTableRow);
    return held.map((row) => toRecord(row as TableEntityResult<LinkTableEntity>));
  }

  async readClaimRecords(
    link: LinkRef,
    tables: readonly TableName[],
  ): Promise<{ records: LinkTableRecord[]; linkTables?: number }> {
    await this.ensureTable();
    if (tables.length <= KEYED_CLAIM_READ_MAX) {
      const keys = tables.map((t) => tableRow(t));
      const known = this.knownSpread(link);
      // The shards row and the link's size come with the first group of keys.
      const rows = known
        ? []
        : await this.readRows(linkPartition(link), [SHARDS_ROW, TABLE_COUNT_ROW, ...keys]);
      const shards = known ?? (await this.shardsAfterKeyedRead(link, rows, [TABLE_COUNT_ROW, ...keys]));
      if (shards) {
        const held = await this.readShardRows(link, shards, keys);
        return { records: held.map((row) => toRecord(row as TableEntityResult<LinkTableEntity>)) };
      }
      const count: unknown = rows.find((r) => r.rowKey === TABLE_COUNT_ROW)?.tables;
      // Near the spread, the link is counted whole: a claim that failed part-way may have left the
      // count low (its retry counts only what it still adds), and the spread must not come late.
      if (typeof count === "number" && count + tables.length <= this.layout.shardAbove * 0.9) {
        const records = rows
          .filter(isTableRow)
          .map((row) => toRecord(row as TableEntityResult<LinkTableEntity>));
        return { records, linkTables: count };
      }
      // A link whose claims predate the count: read whole once, and this claim writes it.
    }
    // A small link whole (it holds at most `shardAbove` records and what one claim adds), or a
    // claim of so many tables that reading the link by pages is fewer round trips than by keys.
    const all = await this.listLinkTables(link);
    const wanted = new Set(tables.map((t) => tableKey(t)));
    const records = all.filter((r) => wanted.has(tableKey(r.source)));
    // The read noted the shards row when the link is spread.
    return this.knownSpread(link) ? { records } : { records, linkTables: all.length };
  }

  /**
   * The link's shards after a keyed read of its partition. Key groups are read concurrently: when
   * some keys were missing and no group saw the shards row, a spread may have deleted them between
   * two groups, so the row is read again.
   */
  private async shardsAfterKeyedRead(
    link: LinkRef,
    rows: readonly TableEntity[],
    keys: readonly string[],
  ): Promise<Shards | undefined> {
    const seen = this.noteShards(link, rows);
    if (seen || keys.length + 1 <= LIVE_KEYS_PER_QUERY) return seen;
    const found = new Set(rows.map((r) => r.rowKey));
    return keys.every((k) => found.has(k)) ? undefined : this.readShards(link);
  }

  /** Rows of a spread link by key, each from its shard (shards read concurrently). */
  private async readShardRows(
    link: LinkRef,
    shards: Shards,
    keys: readonly string[],
    select?: string[],
  ): Promise<TableEntity[]> {
    const byShard = new Map<number, string[]>();
    for (const key of keys) {
      const shard = shardOfRow(key, shards.count);
      const group = byShard.get(shard);
      if (group) group.push(key);
      else byShard.set(shard, [key]);
    }
    const rows: TableEntity[] = [];
    await forEachConcurrently([...byShard], PARTITION_CONCURRENCY, async ([shard, group]) => {
      rows.push(...(await this.readRows(shardPartition(link, shard), group, select)));
    });
    return rows;
  }

  /** What `rows` of the link's partition say of its shards, remembered once the link is spread. */
  private noteShards(link: LinkRef, rows: readonly TableEntity[]): Shards | undefined {
    const shards = shardsOf(rows);
    if (shards) this.knownShards.set(linkPartition(link), shards.count);
    return shards;
  }

  /** The shards of a link this instance has seen spread (a link never goes back); undefined otherwise. */
  private knownSpread(link: LinkRef): Shards | undefined {
    const count = this.knownShards.get(linkPartition(link));
    return count === undefined ? undefined : { count, leftovers: false };
  }

  /**
   * Whether the link's records are spread, read from its partition unless already known to be
   * (`fresh`: read anyway, for the leftovers flag).
   */
  private async readShards(link: LinkRef, fresh = false): Promise<Shards | undefined> {
    const partition = linkPartition(link);
    const known = this.knownSpread(link);
    if (known && !fresh) return known;
    const row = await this.client.getEntity<ShardsEntity>(partition, SHARDS_ROW).catch(orUndefinedOn404);
    return row ? this.noteShards(link, [row]) : undefined;
  }

  /** The partition that holds the record of `table`. */
  private recordPartition(link: LinkRef, shards: Shards | undefined, table: TableName): string {
    return shards ? shardPartition(link, shardOfRow(tableRow(table), shards.count)) : linkPartition(link);
  }

  /**
   * Writes records where the link keeps them: per partition in transactions of 100 (in order),
   * partitions concurrently. An Update (the records of a save were claimed or read before) whose
   * row is missing after all (404) is sent again as Insert Or Replace; in the link's own partition,
   * only once the link is known not to have been spread meanwhile (its rows deleted there).
   * Returns the records written into the link's own partition. A spread copy passes `copyOf` (the
   * etags it copied) and `beforeEach`, which throws once the copy is no longer its own.
   */
  private async writeRecords(
    link: LinkRef,
    shards: Shards | undefined,
    records: readonly LinkTableRecord[],
    kind: "upsert" | "update",
    copy?: { copyOf: ReadonlyMap<string, string>; beforeEach?: () => Promise<void> },
  ): Promise<LinkTableRecord[]> {
    const byPartition = new Map<string, LinkTableRecord[]>();
    for (const record of records) {
      const partitionKey = this.recordPartition(link, shards, record.source);
      const held = byPartition.get(partitionKey);
      if (held) held.push(record);
      else byPartition.set(partitionKey, [record]);
    }
    const inLinkPartition: LinkTableRecord[] = [];
    await forEachConcurrently([...byPartition], SHARD_WRITE_CONCURRENCY, async ([partitionKey, held]) => {
      let done = 0;
      const actions = held.map((r) => {
        const copyOf = copy?.copyOf.get(tableRow(r.source));
        return recordAction(partitionKey, r, kind, copyOf);
      });
      for (const chunk of transactionChunks(actions, "fromStart")) {
        const chunkRecords = held.slice(done, (done += chunk.length));
        await copy?.beforeEach?.();
        try {
          await this.client.submitTransaction(chunk);
          if (!shards) inLinkPartition.push(...chunkRecords);
        } catch (error) {
          if (kind === "upsert" || !isStatus(error, 404)) throw error;
          const spreadSince = shards ? undefined : await this.readShards(link, true);
          if (spreadSince) {
            // The link was spread: this chunk and the rest go to the shards (two at a time).
            await this.writeRecords(link, spreadSince, held.slice(done - chunk.length), kind);
            return;
          }
          await this.client.submitTransaction(chunk.map(([, entity]) => ["upsert", entity, "Replace"]));
          if (!shards) inLinkPartition.push(...chunkRecords);
        }
      }
    });
    return inLinkPartition;
  }

  /**
   * Records just written into the link's own partition, by an instance that did not know the link
   * spread: read the shards row after the write, and if the link is spread (a claim marked it before
   * the write landed, or the write came after the copies were deleted) write them into their shards
   * too and take them out of the link's partition. A write that landed before the mark and before
   * the spread read the rows again is copied by the spread itself; one that landed later may have
   * been deleted by then, so it is written here. No read before the write could tell: the mark may
   * land between that read and the write.
   */
  private async followSpread(link: LinkRef, written: readonly LinkTableRecord[]): Promise<void> {
    if (written.length === 0) return;
    const shards = await this.readShards(link, true);
    if (!shards) return;
    // Leftovers: the cleanup copies these again (their etags are new) before it deletes them.
    if (shards.leftovers) await this.deleteLeftovers(link, shards);
    await this.writeRecords(link, shards, written, "upsert");
    if (!shards.leftovers)
      await this.deleteRows(
        linkPartition(link),
        written.map((r) => tableRow(r.source)),
      );
  }

  /**
   * Spreads a link's records over shards. The shards row is created first, marked `copying`: one
   * claim copies at a time, and a late duplicate of an earlier claim (activities run at least once)
   * finds the link spread and writes only its own records, never an old copy of the whole link.
   * Then the records in the link's partition and the claimed ones are written to their shards, the
   * row is marked spread (from here on readers and saves go to the shards), and the copies left in
   * the link's partition are deleted. A copy that fails says so on the row (`released`), and the
   * claim's retry takes it over at once. A crash while copying leaves the link read from its own
   * partition; the claim runs again and takes the copy over once SPREAD_LEASE_MS has passed (and
   * deletes what that copy wrote into the shards and no record holds). A copy checks before each
   * transaction that the row still names it (`copyId`), so one that stalled past the lease stops
   * rather than write over the copy that took it over. A crash after the mark leaves copies that
   * nobody reads, which the next claim or save deletes (`leftovers`).
   */
  private async spread(link: LinkRef, claimed: readonly LinkTableRecord[], now: string): Promise<void> {
    const partitionKey = linkPartition(link);
    const lease = await this.takeSpreadLease(link, now);
    if (lease.kind === "spread") {
      if (lease.shards.leftovers) await this.deleteLeftovers(link, lease.shards);
      await this.writeRecords(link, lease.shards, claimed, "upsert");
      return;
    }
    const shards: Shards = { count: lease.count, leftovers: true };
    const byKey = new Map<string, LinkTableRecord>();
    const etags = new Map<string, string>();
    const claimedKeys = new Set(claimed.map((r) => tableRow(r.source)));
    try {
      for (const row of (await this.readTableRange(partitionKey)).rows) {
        byKey.set(row.rowKey, toRecord(row));
        etags.set(row.rowKey, row.etag);
      }
      for (const record of claimed) byKey.set(tableRow(record.source), record);
      // The copy taken over may have written records a claim brought and that never were saved here.
      const hold = () => this.holdSpreadLease(partitionKey, lease.copyId);
      if (lease.takenOver) await this.deleteStrayCopies(link, shards, byKey, hold);
      const copyOf = new Map([...etags].filter(([key]) => !claimedKeys.has(key)));
      await this.writeRecords(link, shards, [...byKey.values()], "upsert", { copyOf, beforeEach: hold });
      // If-Match: a claim that took the copy over meanwhile finishes it.
      await this.client.updateEntity(
        { partitionKey, rowKey: SHARDS_ROW, shardCount: shards.count, leftovers: true },
        "Replace",
        { etag: lease.etag },
      );
    } catch (error) {
      // Best effort: if this fails too, the lease runs out as after a crash.
      await this.client
        .updateEntity({ partitionKey, rowKey: SHARDS_ROW, released: true }, "Merge", { etag: lease.etag })
        .catch(() => undefined);
      throw error;
    }
    this.knownShards.set(partitionKey, shards.count);
    await this.deleteLeftovers(link, shards, { etags, claimed: claimedKeys });
  }

  /**
   * The shards row, created `copying` (or taken over from a copy that failed or whose lease ran
   * out) for this claim to copy; or the link's shards, when it is spread already.
   */
  private async takeSpreadLease(
    link: LinkRef,
    now: string,
  ): Promise<
    | { kind: "copy"; etag: string; copyId: string; count: number; takenOver: boolean }
    | { kind: "spread"; shards: Shards }
  > {
    const partitionKey = linkPartition(link);
    const count = this.layout.shardCount;
    const copyId = randomUUID();
    const copying: ShardsEntity = {
      partitionKey,
      rowKey: SHARDS_ROW,
      shardCount: count,
      copying: true,
      copyingSince: now,
      copyId,
      leftovers: true,
    };
    try {
      const etag = etagOf(await this.client.createEntity(copying));
      return { kind: "copy", etag, copyId, count, takenOver: false };
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    // The shards row is never deleted.
    const row = await this.client.getEntity<ShardsEntity>(partitionKey, SHARDS_ROW);
    const spread = this.noteShards(link, [row]);
    if (spread) return { kind: "spread", shards: spread };
    if (row.released !== true && Date.parse(now) - Date.parse(row.copyingSince ?? "") < SPREAD_LEASE_MS) {
      throw new Error(
        `the records of link ${partitionKey} are being spread over shards since ${row.copyingSince ?? "?"}; ` +
          "the claim is retried",
      );
    }
    const etag = etagOf(await this.client.updateEntity(copying, "Replace", { etag: row.etag }));
    return { kind: "copy", etag, copyId, count, takenOver: true };
  }

  /**
   * Throws when the shards row no longer names this copy (another claim took it over). Checked
   * before each write, it narrows the window in which a copy that stalled past its lease writes
   * over the one that took it over to the time between this read and the write; it does not close it.
   */
  private async holdSpreadLease(partitionKey: string, copyId: string): Promise<void> {
    const row = await this.client.getEntity<ShardsEntity>(partitionKey, SHARDS_ROW);
    if (row.copyId !== copyId) {
      throw new Error(`the spread of link ${partitionKey} over shards was taken over by another claim`);
    }
  }

  /** Deletes the shards' rows that are not among `keep` (left there by a copy taken over). */
  private async deleteStrayCopies(
    link: LinkRef,
    shards: Shards,
    keep: ReadonlyMap<string, unknown>,
    hold: () => Promise<void>,
  ): Promise<void> {
    for (let shard = 0; shard < shards.count; shard++) {
      const partition = shardPartition(link, shard);
      const rows = (await this.readTableRange(partition, undefined, undefined, ["RowKey"])).rows;
      const stray = rows.map((r) => r.rowKey).filter((key) => !keep.has(key));
      if (stray.length === 0) continue;
      await hold();
      await this.deleteRows(partition, stray);
    }
  }

  /**
   * Deletes the record copies a spread left in the link's partition, then says so on the shards
   * row; a row saved after the copy read it is copied again first (`copyAgain`). Right after its
   * own copy (`copied`), the spread knows the etags it copied and looks only at rows whose etag
   * changed (its claim's own records are as the claim decided); a later cleanup compares each row's
   * etag with the `copyOf` its shard copy carries.
   */
  private async deleteLeftovers(
    link: LinkRef,
    shards: Shards,
    copied?: { etags: ReadonlyMap<string, string>; claimed: ReadonlySet<string> },
  ): Promise<void> {
    const partitionKey = linkPartition(link);
    const rows = (await this.readTableRange(partitionKey)).rows;
    if (copied) {
      // Rows saved since the copy read them; the claim's own records are as the claim decided.
      const changed = rows.filter(
        (r) => !copied.claimed.has(r.rowKey) && copied.etags.get(r.rowKey) !== r.etag,
      );
      if (changed.length > 0) {
        const keys = changed.map((r) => r.rowKey);
        await this.copyAgain(link, shards, changed, await this.shardMarks(link, shards, keys));
      }
    } else {
      await this.copyAgain(link, shards, rows, await this.shardMarks(link, shards));
    }
    await this.deleteRows(
      partitionKey,
      rows.map((row) => row.rowKey),
    );
    await this.client.updateEntity({ partitionKey, rowKey: SHARDS_ROW, leftovers: false }, "Merge");
  }

  /** The `copyOf` and etag of the link's shard records (those of `keys`, or all), by row key. */
  private async shardMarks(
    link: LinkRef,
    shards: Shards,
    keys?: readonly string[],
  ): Promise<Map<string, { copyOf?: string; etag: string }>> {
    const select = ["RowKey", "copyOf"];
    const rows: TableEntity[] = [];
    if (keys) rows.push(...(await this.readShardRows(link, shards, keys, select)));
    else {
      const shardList = Array.from({ length: shards.count }, (_, shard) => shard);
      await forEachConcurrently(shardList, PARTITION_CONCURRENCY, async (shard) => {
        rows.push(
          ...(await this.readTableRange(shardPartition(link, shard), undefined, undefined, select)).rows,
        );
      });
    }
    const marks = new Map<string, { copyOf?: string; etag: string }>();
    for (const row of rows as TableEntityResult<{ copyOf?: unknown }>[]) {
      const copyOf = typeof row.copyOf === "string" ? row.copyOf : undefined;
      marks.set(String(row.rowKey), { ...(copyOf ? { copyOf } : {}), etag: row.etag });
    }
    return marks;
  }

  /**
   * Copies into the shards again each of `rows` (from the link's partition) whose shard record is
   * missing or was copied from an older row (its `copyOf` is another etag). A shard record without
   * `copyOf` was saved after the spread (or is the spreading claim's own) and is kept. Each copy is
   * conditional on the shard record read (If-Match, or Create where there was none), so a save that
   * lands in the shard meanwhile is not overwritten.
   */
  private async copyAgain(
    link: LinkRef,
    shards: Shards,
    rows: readonly TableEntityResult<LinkTableEntity>[],
    marks: ReadonlyMap<string, { copyOf?: string; etag: string }>,
  ): Promise<void> {
    const stale = rows.filter((r) => {
      const mark = marks.get(r.rowKey);
      return !mark || (mark.copyOf !== undefined && mark.copyOf !== r.etag);
    });
    await forEachConcurrently(stale, PARTITION_CONCURRENCY, async (row) => {
      const record = toRecord(row);
      const partition = this.recordPartition(link, shards, record.source);
      const [, entity] = recordAction(partition, record, "upsert", row.etag);
      const mark = marks.get(row.rowKey);
      const write = mark
        ? this.client.updateEntity(entity, "Replace", { etag: mark.etag })
        : this.client.createEntity(entity);
      await write.catch((error: unknown) => {
        // Saved in the shard since it was read: that save is newer than the link's partition.
        if (!isStatus(error, 412) && !isStatus(error, 409)) throw error;
      });
    });
  }

  /** Deletes rows by key, 100 to a transaction; a row already gone is no error. */
  private async deleteRows(partitionKey: string, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += TRANSACTION_OPERATIONS) {
      const chunk = keys.slice(i, i + TRANSACTION_OPERATIONS);
      try {
        await this.client.submitTransaction(chunk.map((rowKey) => ["delete", { partitionKey, rowKey }]));
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        for (const rowKey of chunk)
          await this.client.deleteEntity(partitionKey, rowKey).catch(orUndefinedOn404);
      }
    }
  }

  /**
   * Rows of one partition by key: PartitionKey and one comparison per row key allow at most 15
   * discrete comparisons per filter, so keys are read in groups, concurrently.
   */
  private async readRows(
    partition: string,
    keys: readonly string[],
    select?: string[],
  ): Promise<TableEntity[]> {
    const groups: string[][] = [];
    for (let i = 0; i < keys.length; i += LIVE_KEYS_PER_QUERY)
      groups.push(keys.slice(i, i + LIVE_KEYS_PER_QUERY));
    const rows: TableEntity[] = [];
    await forEachConcurrently(groups, PARTITION_CONCURRENCY, async (group) => {
      const filter = `PartitionKey eq ${quote(partition)} and (${group.map((k) => `RowKey eq ${quote(k)}`).join(" or ")})`;
      const query = this.client.listEntities<TableEntity>({
        queryOptions: { filter, ...(select ? { select } : {}) },
      });
      for await (const row of query) rows.push(row);
    });
    return rows;
  }

  /** Whether the request's marker says claimed, and the link's records of its tables. */
  private async liveState(
    link: LinkRef,
    requestId: string,
    tables: readonly TableName[],
  ): Promise<{ claimed: boolean; records: Map<string, LinkTableRecord> }> {
    const marker = openRequestRow(requestId);
    const keys = tables.map((t) => tableRow(t));
    // Not the marker's copy of the request's tables: only its claimed flag.
    const known = this.knownSpread(link);
    const named = known ? [marker] : [marker, SHARDS_ROW, ...keys];
    const rows = await this.readRows(linkPartition(link), named, LIVE_FIELDS);
    const claimed = rows.some(
      (row) => row.rowKey === marker && (row as TableEntityResult<OpenRequestEntity>).claimed === true,
    );
    const shards = known ?? (await this.shardsAfterKeyedRead(link, rows, [marker, ...keys]));
    const held = shards ? await this.readShardRows(link, shards, keys, LIVE_FIELDS) : rows.filter(isTableRow);
    const records = new Map<string, LinkTableRecord>();
    for (const row of held) {
      const record = toRecord(row as TableEntityResult<LinkTableEntity>);
      records.set(tableKey(record.source), record);
    }
    return { claimed, records };
  }

  /** The link's open-request markers (`unclaimedOnly`: those written unclaimed and still so, filtered by the store), oldest first. */
  private async openRequests(link: LinkRef, unclaimedOnly = false): Promise<OpenRequestEntity[]> {
    await this.ensureTable();
    const partition = linkPartition(link);
    const rows: OpenRequestEntity[] = [];
    const range = odata`PartitionKey eq ${partition} and RowKey ge ${"r_"} and RowKey lt ${"r`"}`;
    const query = this.client.listEntities<OpenRequestEntity>({
      queryOptions: { filter: unclaimedOnly ? `${range} and claimed eq false` : range },
    });
    for await (const row of query) rows.push(row);
    return rows.sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
  }

  /** The requests the markers carry; a marker without its request (an earlier version's) reads the request's partition. */
  private async requestsOf(link: LinkRef, markers: readonly OpenRequestEntity[]): Promise<QueuedRequest[]> {
    const loaded = markers.map((m) => requestOfMarker(m, link));
    const missing = [...loaded.entries()].filter(([, r]) => r === undefined).map(([i]) => i);
    await forEachConcurrently(missing, PARTITION_CONCURRENCY, async (i) => {
      const marker = markers[i];
      if (marker) loaded[i] = await this.loadRequest(marker.requestId);
    });
    return loaded.filter((r): r is QueuedRequest => r !== undefined);
  }

  async listQueuedRequests(link: LinkRef, scope: "all" | "flagged" = "all"): Promise<QueuedRequest[]> {
    const markers = await this.openRequests(link, scope === "flagged");
    return this.requestsOf(
      link,
      markers.filter((r) => r.claimed !== true),
    );
  }

  async listOpenRequests(link: LinkRef): Promise<QueuedRequest[]> {
    const markers = await this.openRequests(link);
    return this.requestsOf(
      link,
      markers.filter((r) => r.claimed === true),
    );
  }

  async getOpenRequests(link: LinkRef, requestIds: readonly string[]): Promise<QueuedRequest[]> {
    if (requestIds.length === 0) return [];
    await this.ensureTable();
    const rows = await this.readRows(linkPartition(link), [...new Set(requestIds)].map(openRequestRow));
    const markers = (rows as OpenRequestEntity[])
      .filter((r) => r.claimed === true)
      .sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
    return this.requestsOf(link, markers);
  }

  private async loadRequest(requestId: string): Promise<QueuedRequest | undefined> {
    const stored = await this.readRequest(requestId);
    if (!stored) return undefined;
    const { head, tables } = stored;
    return {
      ...headFields(head),
      origin: { kind: head.originKind === "event" ? "event" : "http", id: head.originId },
      receivedAt: head.receivedAt,
      ...(head.callbackUrl ? { callbackUrl: head.callbackUrl } : {}),
      tables: tables.map((t) => ({
        source: { schema: t.schema, name: t.name },
        target: JSON.parse(t.target) as TableTarget,
      })),
      createdAt: head.createdAt,
    };
  }

  async countRequests(link: LinkRef): Promise<{ queued: number; open: number }> {
    const markers = await this.openRequests(link);
    // An earlier version's marker carries no request: it counts only if its request can be read,
    // as listQueuedRequests and listOpenRequests (so the claim and completion) would find it; one
    // that cannot is neither claimed nor closed, and must not keep the worker from finishing.
    const bare = markers.filter((m) => requestOfMarker(m, link) === undefined);
    const readable = new Set(
      bare.length > 0 ? (await this.requestsOf(link, bare)).map((r) => r.requestId) : [],
    );
    const counted = markers.filter(
      (m) => requestOfMarker(m, link) !== undefined || readable.has(m.requestId),
    );
    const open = counted.filter((r) => r.claimed === true).length;
    return { queued: counted.length - open, open };
  }

  async markClaimed(link: LinkRef, requestId: string, now: string): Promise<void> {
    await this.claimRequests(link, [], [requestId], now);
  }

  /**
   * The claimed tables' records, then the claims, in transactions of 100 operations (in that order):
   * a crash between two of them leaves requests to claim again. A small link's records and claims
   * share its partition (and transactions); once the link holds more than `shardAbove` tables
   * (`linkTables`, counted by the caller after the claim), its records are spread over shards first.
   */
  async claimRequests(
    link: LinkRef,
    records: readonly LinkTableRecord[],
    requestIds: readonly string[],
    now: string,
    linkTables?: number,
  ): Promise<void> {
    if (records.length === 0 && requestIds.length === 0) return;
    await this.ensureTable();
    const partitionKey = linkPartition(link);
    const claims = requestIds.map((id): TransactionAction => [
      "update",
      { partitionKey, rowKey: openRequestRow(id), claimed: true, claimedAt: now },
      "Merge",
    ]);
    // Without the link's size (linkTables) a claim cannot tell a spread link: it reads the row first.
    const known =
      this.knownSpread(link) ??
      (records.length > 0 && linkTables === undefined ? await this.readShards(link, true) : undefined);
    if (known) {
      const shards = (await this.readShards(link, true)) ?? known;
      if (shards.leftovers) await this.deleteLeftovers(link, shards);
      await this.writeRecords(link, shards, records, "upsert");
    } else if (linkTables !== undefined && linkTables > this.layout.shardAbove) {
      await this.spread(link, records, now);
    } else {
      const count: TransactionAction[] =
        linkTables === undefined
          ? []
          : [["upsert", { partitionKey, rowKey: TABLE_COUNT_ROW, tables: linkTables }, "Replace"]];
      await submitInChunks(this.client, [
        ...records.map((r) => recordAction(partitionKey, r)),
        ...count,
        ...claims,
      ]);
      await this.followSpread(link, records);
      return;
    }
    await submitInChunks(this.client, claims);
  }

  /**
   * A partition's table records (all, or those in `statuses`), page by page until `enough`; with
   * `withShards`, the shards row too. It sorts just before the records ("shards" < "t_", and no other
   * row of a link's partition starts between them), so the query stays one key range: an `or` on
   * row keys would make the service scan the whole partition (its request index rows included).
   */
  private async readTableRange(
    partition: string,
    statuses?: readonly TableStatus[],
    enough?: (soFar: readonly LinkTableRecord[]) => boolean,
    select?: string[],
    withShards = false,
    savedSince?: string,
  ): Promise<{ rows: TableEntityResult<LinkTableEntity>[]; pages: number }> {
    const from = withShards ? SHARDS_ROW : "t_";
    const range = odata`PartitionKey eq ${partition} and RowKey ge ${from} and RowKey lt ${"t`"}`;
    // Filtered by the service: a poll reads the tables in the statuses it acts on (saved since a
    // time, when given), not the whole link; the shards row whatever it holds.
    const conditions: string[] = [];
    if (statuses && statuses.length > 0)
      conditions.push(`(${statuses.map((s) => `status eq ${quote(s)}`).join(" or ")})`);
    if (savedSince !== undefined) conditions.push(`updatedAt ge ${quote(savedSince)}`);
    const wanted = conditions.join(" and ");
    const filter =
      wanted === ""
        ? range
        : `${range} and (${withShards ? `(${wanted}) or RowKey eq ${quote(SHARDS_ROW)}` : wanted})`;
    const rows: TableEntityResult<LinkTableEntity>[] = [];
    const records: LinkTableRecord[] = [];
    let pages = 0;
    const pager = this.client
      .listEntities<LinkTableEntity>({ queryOptions: { filter, ...(select ? { select } : {}) } })
      .byPage(enough ? { maxPageSize: ENOUGH_PAGE_SIZE } : {});
    for await (const page of pager) {
      pages++;
      rows.push(...page);
      if (!enough) continue;
      records.push(...page.filter(isTableRow).map(toRecord));
      if (enough(records)) break;
    }
    return { rows, pages };
  }

  async listLinkTables(
    link: LinkRef,
    statuses?: readonly TableStatus[],
    enough?: (soFar: readonly LinkTableRecord[]) => boolean,
  ): Promise<LinkTableRecord[]> {
    return this.listRecords(link, statuses, enough);
  }

  async listLinkTablesSavedSince(
    link: LinkRef,
    statuses: readonly TableStatus[],
    since: string,
  ): Promise<LinkTableRecord[]> {
    return this.listRecords(link, statuses, undefined, since);
  }

  private async listRecords(
    link: LinkRef,
    statuses?: readonly TableStatus[],
    enough?: (soFar: readonly LinkTableRecord[]) => boolean,
    savedSince?: string,
  ): Promise<LinkTableRecord[]> {
    await this.ensureTable();
    // The shards row comes with the link's own range ("shards" sorts before "t_"): one query for a
    // small link, none of the link's own partition for one this instance knows to be spread.
    const known = this.knownSpread(link);
    const own = known
      ? { rows: [], pages: 0 }
      : await this.readTableRange(linkPartition(link), statuses, enough, undefined, true, savedSince);
    // Read over several pages without the shards row: a spread may have deleted the rest meanwhile.
    const shards =
      known ?? this.noteShards(link, own.rows) ?? (own.pages > 1 ? await this.readShards(link) : undefined);
    if (!shards) return own.rows.filter(isTableRow).map(toRecord);
    // Spread: the shards' records (any copies left in the link's partition are not read).
    const records: LinkTableRecord[] = [];
    if (enough) {
      for (let shard = 0; shard < shards.count && !enough(records); shard++) {
        const more = (soFar: readonly LinkTableRecord[]) => enough([...records, ...soFar]);
        const found = await this.readTableRange(
          shardPartition(link, shard),
          statuses,
          more,
          undefined,
          false,
          savedSince,
        );
        records.push(...found.rows.map(toRecord));
      }
      return records;
    }
    const shardList = Array.from({ length: shards.count }, (_, shard) => shard);
    await forEachConcurrently(shardList, PARTITION_CONCURRENCY, async (shard) => {
      const found = await this.readTableRange(
        shardPartition(link, shard),
        statuses,
        undefined,
        undefined,
        false,
        savedSince,
      );
      records.push(...found.rows.map(toRecord));
    });
    // In key order, as one partition would list them.
    return records
      .map((record) => ({ key: tableRow(record.source), record }))
      .sort((a, b) => compareKeys(a.key, b.key))
      .map(({ record }) => record);
  }

  /**
   * Replaces the records, 100 to a transaction; requests read their tables' progress from them
   * (getRequest). Records are saved after they were claimed or read, and none is ever deleted, so
   * each is an Update (If-Match *), which the store finds by its key once; an Insert Or Replace
   * looks it up to decide, then again to replace it. Azure prices both the same; Azurite scans the
   * partition for each lookup (docs/performance.md, "Big link"). A transaction whose row is
   * missing after all (404) is sent again as Insert Or Replace.
   */
  async saveLinkTables(link: LinkRef, records: readonly LinkTableRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureTable();
    const known = this.knownSpread(link);
    if (known) await this.writeRecords(link, known, records, "update");
    else await this.followSpread(link, await this.writeRecords(link, undefined, records, "update"));
  }

  async setRequestTableStatuses(updates: readonly RequestTableUpdate[], now: string): Promise<void> {
    if (updates.length === 0) return;
    await this.ensureTable();
    // A transaction may touch a row once: the last status given for a request's table wins.
    const byRequest = new Map<string, Map<string, RequestTableView>>();
    for (const { requestId, table } of updates) {
      const tables = byRequest.get(requestId) ?? new Map<string, RequestTableView>();
      tables.set(tableRow(table), table);
      byRequest.set(requestId, tables);
    }
    await forEachConcurrently([...byRequest], PARTITION_CONCURRENCY, async ([requestId, tables]) => {
      const partitionKey = requestPartition(requestId);
      const head: TransactionAction = [
        "update",
        { partitionKey, rowKey: REQUEST_ROW, updatedAt: now },
        "Merge",
      ];
      const rows = [...tables].map(([rowKey, t]): TransactionAction => [
        "update",
        { partitionKey, rowKey, status: t.status, error: clip(t.error) ?? "" },
        "Merge",
      ]);
      try {
        await submitEndingTogether(this.client, [...rows, head]);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        // A request without one of the rows (or no longer stored) fails its whole transaction;
        // row by row, the rows it has are still set. Rare: a request holds the tables it names.
        for (const row of rows) {
          await this.client.submitTransaction([row, head]).catch(orUndefinedOn404);
        }
      }
    });
  }

  async completeRequest(
    link: LinkRef,
    requestId: string,
    status: RequestStatus,
    tables: readonly RequestTableView[],
    now: string,
  ): Promise<void> {
    await this.completeRequestBatch(link, [{ requestId, status, tables }], now);
  }

  /**
   * Each request's status with its tables' in its own partition (partitions written concurrently),
   * then `report`, then the link's markers of all of them in transactions of 100.
   */
  async completeRequestBatch(
    link: LinkRef,
    completions: readonly Completion[],
    now: string,
    report?: () => Promise<void>,
  ): Promise<void> {
    if (completions.length === 0) return;
    await this.ensureTable();
    await forEachConcurrently(completions, PARTITION_CONCURRENCY, async ({ requestId, status, tables }) => {
      const partitionKey = requestPartition(requestId);
      const tableUpdates = tables.map((t): TransactionAction => [
        "update",
        { partitionKey, rowKey: tableRow(t), status: t.status, error: clip(t.error) ?? "" },
        "Merge",
      ]);
      await submitEndingTogether(this.client, [
        ...tableUpdates,
        ["update", { partitionKey, rowKey: REQUEST_ROW, status, updatedAt: now }, "Merge"],
      ]);
    });
    await report?.();
    const partitionKey = linkPartition(link);
    const deletes = completions.map((c): TransactionAction => [
      "delete",
      { partitionKey, rowKey: openRequestRow(c.requestId) },
    ]);
    for (let i = 0; i < deletes.length; i += 100) {
      const chunk = deletes.slice(i, i + 100);
      try {
        await this.client.submitTransaction(chunk);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        // A marker already gone (a re-run after a crash) fails the whole transaction: one by one.
        for (const { requestId } of completions.slice(i, i + 100)) {
          await this.client.deleteEntity(partitionKey, openRequestRow(requestId)).catch(orUndefinedOn404);
        }
      }
    }
  }

  async listRequestIndex(query: {
    link?: LinkRef;
    since?: string;
    after?: string;
    limit: number;
  }): Promise<IndexPage<RequestIndexEntry>> {
    const partition = query.link ? linkPartition(query.link) : REQUEST_INDEX_PARTITION;
    // created at or after `since` ⇔ countdown at or below since's; the next countdown is the bound.
    const upper = query.since === undefined ? "q`" : countdown(Date.parse(query.since) - 1);
    const rows = await this.indexRange<RequestIndexEntity>(partition, { from: "q_", ...query, below: upper });
    return {
      items: rows.items.map((r) => ({
        requestId: r.requestId,
        workspace: r.workspace,
        linkConnection: r.linkConnection,
        origin: r.originKind === "event" ? "event" : "http",
        createdAt: r.createdAt,
      })),
      ...(rows.after ? { after: rows.after } : {}),
    };
  }

  async listTrackedLinks(query: { after?: string; limit: number }): Promise<IndexPage<TrackedLink>> {
    const rows = await this.indexRange<TrackedLinkEntity>(REQUEST_INDEX_PARTITION, {
      from: "l_",
      ...query,
      below: "l`",
    });
    return {
      items: rows.items.map((r) => ({
        workspace: r.workspace,
        linkConnection: r.linkConnection,
        lastRequestAt: r.lastRequestAt,
      })),
      ...(rows.after ? { after: rows.after } : {}),
    };
  }

  /**
   * Up to `limit` rows of one partition with row keys from `from` (or after `after`, the cursor of
   * the previous page) and below `below`; `after` is the last row key returned when more follow.
   */
  private async indexRange<T extends TableEntity>(
    partition: string,
    range: { from: string; after?: string; below: string; limit: number },
  ): Promise<{ items: TableEntityResult<T>[]; after?: string }> {
    await this.ensureTable();
    const { after, below, limit } = range;
    const filter =
      after === undefined
        ? odata`PartitionKey eq ${partition} and RowKey ge ${range.from} and RowKey lt ${below}`
        : odata`PartitionKey eq ${partition} and RowKey gt ${after} and RowKey lt ${below}`;
    const items: TableEntityResult<T>[] = [];
    const pages = this.client
      .listEntities<T>({ queryOptions: { filter } })
      .byPage({ maxPageSize: limit + 1 });
    for await (const page of pages) {
      items.push(...page);
      if (items.length > limit) break;
    }
    if (items.length <= limit) return { items };
    const kept = items.slice(0, limit);
    return { items: kept, after: kept[kept.length - 1]?.rowKey ?? after ?? range.from };
  }
}
