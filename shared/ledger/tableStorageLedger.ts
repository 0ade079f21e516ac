import { createHash } from "node:crypto";
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
  RejectedMessage,
  RememberedKey,
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
 *   PartitionKey link_<ws>_<link>     RowKey r_<requestId>    open request of the link (claimed flag)
 *                                      RowKey t_<table>        the table's record in the link
 *                                      RowKey worker           the worker's health (last fault, retry time)
 *                                      RowKey q_<time>_<requestId> the link's request index, newest first (dashboard)
 *   PartitionKey openLinks             RowKey link_<ws>_<link> a link with unfinished work (reconcile's worklist)
 *   PartitionKey requestIndex          RowKey q_<time>_<requestId> every request, newest first (dashboard)
 *                                      RowKey l_<link partition> a link with a recorded request (dashboard)
 *   PartitionKey breakers              RowKey <workspace>      the workspace's circuit breaker
 * Keys are URI-encoded: table keys forbid / \ # ? and control characters, SQL identifiers do not.
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
const openRequestRow = (requestId: string) => fittingKey("r_", requestId);
const detachedRow = (table: TableName) => fittingKey("d_", tableKey(table));
const dedupePartition = (kind: DedupeKind) => `dedupe_${kind}`;
const REJECTED_PARTITION = "rejectedMessages";
const OPEN_LINKS_PARTITION = "openLinks";
const BREAKERS_PARTITION = "breakers";
const breakerRow = (workspace: string) => enc(workspace.toLowerCase());
const WORKER_ROW = "worker";
const REQUEST_INDEX_PARTITION = "requestIndex";
/** Row keys sort ascending; counting down from the largest 13-digit millisecond time lists newest first. */
const LAST_MS = 9_999_999_999_999;
const countdown = (ms: number) => `q_${String(LAST_MS - ms).padStart(13, "0")}`;
const requestIndexRow = (createdAt: string, requestId: string) =>
  fittingKey(`${countdown(Date.parse(createdAt))}_`, requestId);
const trackedLinkRow = (link: LinkRef) => `l_${linkPartition(link)}`;

/** Table storage caps string properties at 64 KiB (32 K UTF-16 characters). */
const MAX_TEXT = 30_000;
function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}… (truncated)`;
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
  claimed: boolean;
  queuedAt: string;
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
  linkTableId?: string;
  error?: string;
  editedAt?: string;
  notBefore?: string;
  updatedAt: string;
}

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

/** Request partitions written at once: enough to overlap round trips, few enough not to be throttled. */
const PARTITION_CONCURRENCY = 8;

async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Creates rows of one partition, the last one last, in transactions of up to 100: a request of up
 * to 99 tables is one round trip. A transaction is all or nothing, so one that fails because a row
 * exists was written whole by an earlier attempt (a retry, a redelivery, a crash after it) and is
 * skipped: rows are never overwritten, and a table the worker has moved on never goes back to
 * Pending. Whether the last row was created here tells a new request from a repeated one.
 */
async function createAllOrFind(client: TableClient, creates: TransactionAction[]): Promise<boolean> {
  // Cut so that the first chunk is the short one: up to 100 rows then always travel together.
  const first = creates.length % 100 || 100;
  let createdLast = false;
  for (let start = 0, end = first; start < creates.length; start = end, end += 100) {
    createdLast = false;
    try {
      await client.submitTransaction(creates.slice(start, end));
      createdLast = true;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
  }
  return createdLast;
}

/** Like submitInChunks, but the last 100 operations travel together (the head row with its tables). */
async function submitEndingTogether(client: TableClient, actions: TransactionAction[]): Promise<void> {
  const first = actions.length % 100 || 100;
  for (let start = 0, end = first; start < actions.length; start = end, end += 100) {
    await client.submitTransaction(actions.slice(start, end));
  }
}

/** Runs table transactions in chunks: one partition, at most 100 operations each. */
async function submitInChunks(client: TableClient, actions: TransactionAction[]): Promise<void> {
  for (let i = 0; i < actions.length; i += 100) {
    await client.submitTransaction(actions.slice(i, i + 100));
  }
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

  constructor(private readonly client: TableClient) {}

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
    const open: OpenLink[] = [];
    const query = this.client.listEntities<OpenLinkEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${OPEN_LINKS_PARTITION}` },
    });
    for await (const row of query) open.push(toOpenLink(row));
    return open;
  }

  async getOpenLink(link: LinkRef): Promise<OpenLink | undefined> {
    await this.ensureTable();
    const row = await this.client
      .getEntity<OpenLinkEntity>(OPEN_LINKS_PARTITION, linkPartition(link))
      .catch(orUndefinedOn404);
    return row ? toOpenLink(row) : undefined;
  }

  async closeOpenLink(link: LinkRef, etag: string): Promise<boolean> {
    await this.ensureTable();
    try {
      await this.client.deleteEntity(OPEN_LINKS_PARTITION, linkPartition(link), { etag });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return true;
      if (isStatus(error, 412)) return false;
      throw error;
    }
  }

  async takeNudge(link: LinkRef, now: string): Promise<boolean> {
    await this.ensureTable();
    const read = () =>
      this.client
        .getEntity<OpenLinkEntity>(OPEN_LINKS_PARTITION, linkPartition(link))
        .catch(orUndefinedOn404);
    const row = await read();
    if (!row) return true;
    if (row.nudgedAt) return false;
    try {
      await this.client.updateEntity(
        { partitionKey: OPEN_LINKS_PARTITION, rowKey: linkPartition(link), nudgedAt: now },
        "Merge",
        { etag: row.etag },
      );
      return true;
    } catch (error) {
      if (!isStatus(error, 412)) throw error;
      // Someone wrote the row meanwhile: nudge unless it was another nudge.
      return !(await read())?.nudgedAt;
    }
  }

  async clearNudge(link: LinkRef): Promise<void> {
    await this.ensureTable();
    const row = await this.client
      .getEntity<OpenLinkEntity>(OPEN_LINKS_PARTITION, linkPartition(link))
      .catch(orUndefinedOn404);
    if (!row?.nudgedAt) return;
    await this.client.updateEntity(
      { partitionKey: OPEN_LINKS_PARTITION, rowKey: linkPartition(link), nudgedAt: "" },
      "Merge",
    );
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
      ...(row.warning ? { warning: row.warning } : {}),
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
        ...(health.warning ? { warning: clip(health.warning) } : {}),
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
    await this.ensureTable();
    const partitionKey = requestPartition(request.requestId);
    const entity: RequestEntity = {
      partitionKey,
      rowKey: REQUEST_ROW,
      requestId: request.requestId,
      workspace: request.workspace,
      linkConnection: request.linkConnection,
      action: request.action,
      status: "Queued",
      originKind: request.origin.kind,
      originId: request.origin.id,
      receivedAt: request.receivedAt,
      ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
      createdAt: now,
      updatedAt: now,
      tableCount: request.tables.length,
    };
    const tableActions = request.tables.map((t, position): TransactionAction => {
      const row: RequestTableEntity = {
        partitionKey,
        rowKey: tableRow(t.source),
        schema: t.source.schema,
        name: t.source.name,
        position,
        target: JSON.stringify(t.target),
        status: "Pending",
      };
      return ["create", row];
    });
    const created = await createAllOrFind(this.client, [...tableActions, ["create", entity]]);
    // A redelivery of a request that is still Queued redoes the writes after the request row: a
    // crash between them must not leave a request that no worker will ever see.
    let createdAt = now;
    if (!created) {
      const head = await this.client.getEntity<RequestEntity>(partitionKey, REQUEST_ROW);
      if (head.status !== "Queued") return "exists";
      createdAt = head.createdAt;
    }
    const marker: OpenRequestEntity = {
      partitionKey: linkPartition(request),
      rowKey: openRequestRow(request.requestId),
      requestId: request.requestId,
      claimed: false,
      queuedAt: now,
    };
    await this.writeIndexes(request, createdAt, ["upsert", marker, "Replace"]);
    await this.markLinkOpen(request, now);
    return created ? "created" : "exists";
  }

  async recordRejectedRequest(
    request: OnboardingRequest,
    reason: string,
    now: string,
  ): Promise<"created" | "exists"> {
    await this.ensureTable();
    const partitionKey = requestPartition(request.requestId);
    const error = clip(reason) ?? "";
    const head: RequestEntity = {
      partitionKey,
      rowKey: REQUEST_ROW,
      requestId: request.requestId,
      workspace: request.workspace,
      linkConnection: request.linkConnection,
      action: request.action,
      status: "Rejected",
      error,
      originKind: request.origin.kind,
      originId: request.origin.id,
      receivedAt: request.receivedAt,
      createdAt: now,
      updatedAt: now,
      tableCount: request.tables.length,
    };
    const tableRows = request.tables.map((t, position): TransactionAction => [
      "create",
      {
        partitionKey,
        rowKey: tableRow(t.source),
        schema: t.source.schema,
        name: t.source.name,
        position,
        target: JSON.stringify(t.target),
        status: "Rejected",
        error,
      } satisfies RequestTableEntity,
    ]);
    // Duplicate names would collide in one transaction: the first of each is enough to show.
    const unique = [...new Map(tableRows.map((a) => [(a[1] as TableEntity).rowKey, a])).values()];
    const created = await createAllOrFind(this.client, [...unique, ["create", head]]);
    // A message too broken to name its link is listed globally only.
    if (created)
      await this.writeIndexes(
        request,
        now,
        undefined,
        request.workspace !== "" && request.linkConnection !== "",
      );
    return created ? "created" : "exists";
  }

  /**
   * The dashboard's indexes (docs/dashboard.md): the link's row rides in one transaction with
   * `linkRow` (the open-request marker), the global row and the tracked-link row in one more, both at once.
   */
  private async writeIndexes(
    request: OnboardingRequest,
    createdAt: string,
    linkRow?: TransactionAction,
    linkKnown = true,
  ): Promise<void> {
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
      return;
    }
    global.push([
      "upsert",
      {
        partitionKey: REQUEST_INDEX_PARTITION,
        rowKey: trackedLinkRow(request),
        workspace: request.workspace,
        linkConnection: request.linkConnection,
        lastRequestAt: createdAt,
      },
      "Replace",
    ]);
    await Promise.all([
      this.client.submitTransaction([
        ...(linkRow ? [linkRow] : []),
        ["upsert", { partitionKey: linkPartition(request), rowKey: indexRow, ...indexFields }, "Replace"],
      ]),
      this.client.submitTransaction(global),
    ]);
  }

  /** Written after the request: a worker that read the row before this sees its etag change. */
  private async markLinkOpen(link: LinkRef, now: string): Promise<void> {
    const row: OpenLinkEntity = {
      partitionKey: OPEN_LINKS_PARTITION,
      rowKey: linkPartition(link),
      workspace: link.workspace,
      linkConnection: link.linkConnection,
      touchedAt: now,
    };
    // Merge keeps `nudgedAt`; the write still changes the etag closeOpenLink checks.
    await this.client.upsertEntity(row, "Merge");
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

  async getRequest(requestId: string): Promise<RequestView | undefined> {
    const stored = await this.readRequest(requestId);
    if (!stored) return undefined;
    const { head, tables } = stored;
    return {
      ...headFields(head),
      status: head.status,
      tables: tables.map((t) => ({
        schema: t.schema,
        name: t.name,
        status: t.status,
        ...(t.error ? { error: t.error } : {}),
      })),
      ...(head.error ? { error: head.error } : {}),
      createdAt: head.createdAt,
      updatedAt: head.updatedAt,
      ...(head.callbackUrl ? { callbackUrl: head.callbackUrl } : {}),
    };
  }

  private async openRequests(link: LinkRef): Promise<OpenRequestEntity[]> {
    await this.ensureTable();
    const partition = linkPartition(link);
    const rows: OpenRequestEntity[] = [];
    const query = this.client.listEntities<OpenRequestEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${partition} and RowKey ge ${"r_"} and RowKey lt ${"r`"}`,
      },
    });
    for await (const row of query) rows.push(row);
    return rows.sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
  }

  async listQueuedRequests(link: LinkRef): Promise<OnboardingRequest[]> {
    const queued = (await this.openRequests(link)).filter((r) => !r.claimed);
    const loaded = queued.map((): OnboardingRequest | undefined => undefined);
    // One partition per request, read concurrently; the order stays the queue's.
    await forEachConcurrently([...queued.entries()], PARTITION_CONCURRENCY, async ([i, marker]) => {
      loaded[i] = await this.loadRequest(marker.requestId);
    });
    return loaded.filter((r): r is OnboardingRequest => r !== undefined);
  }

  private async loadRequest(requestId: string): Promise<OnboardingRequest | undefined> {
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
    };
  }

  async listOpenRequestIds(link: LinkRef): Promise<string[]> {
    return (await this.openRequests(link)).filter((r) => r.claimed).map((r) => r.requestId);
  }

  async markClaimed(link: LinkRef, requestId: string, now: string): Promise<void> {
    await this.ensureTable();
    await this.client.updateEntity(
      {
        partitionKey: requestPartition(requestId),
        rowKey: REQUEST_ROW,
        status: "InProgress",
        updatedAt: now,
      },
      "Merge",
    );
    await this.client.updateEntity(
      { partitionKey: linkPartition(link), rowKey: openRequestRow(requestId), claimed: true },
      "Merge",
    );
  }

  async listLinkTables(link: LinkRef): Promise<LinkTableRecord[]> {
    await this.ensureTable();
    const records: LinkTableRecord[] = [];
    const query = this.client.listEntities<LinkTableEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${linkPartition(link)} and RowKey ge ${"t_"} and RowKey lt ${"t`"}`,
      },
    });
    for await (const row of query) {
      records.push({
        source: { schema: row.schema, name: row.name },
        target: JSON.parse(row.target) as TableTarget,
        action: parseAction(row.action) ?? row.action,
        status: row.status,
        requestIds: JSON.parse(row.requestIds) as string[],
        attempts: row.attempts,
        enabledOnceRetries: row.enabledOnceRetries,
        updatedAt: row.updatedAt,
        ...(row.linkTableId ? { linkTableId: row.linkTableId } : {}),
        ...(row.error ? { error: row.error } : {}),
        ...(row.editedAt ? { editedAt: row.editedAt } : {}),
        ...(row.notBefore ? { notBefore: row.notBefore } : {}),
      });
    }
    return records;
  }

  async saveLinkTables(link: LinkRef, records: readonly LinkTableRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureTable();
    const partitionKey = linkPartition(link);
    const linkActions = records.map((r): TransactionAction => {
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
        ...(r.linkTableId ? { linkTableId: r.linkTableId } : {}),
        ...(error ? { error } : {}),
        ...(r.editedAt ? { editedAt: r.editedAt } : {}),
        ...(r.notBefore ? { notBefore: r.notBefore } : {}),
      };
      return ["upsert", entity, "Replace"];
    });
    await submitInChunks(this.client, linkActions);

    // Mirror into each waiting request (one partition per request).
    const byRequest = new Map<string, TransactionAction[]>();
    for (const r of records) {
      for (const requestId of r.requestIds) {
        const error = clip(r.error);
        const actions = byRequest.get(requestId) ?? [];
        actions.push([
          "update",
          {
            partitionKey: requestPartition(requestId),
            rowKey: tableRow(r.source),
            status: r.status,
            error: error ?? "",
          },
          "Merge",
        ]);
        byRequest.set(requestId, actions);
      }
    }
    // One transaction per request partition (its table rows and its head row), partitions in parallel.
    const updatedAt = records[0]?.updatedAt ?? "";
    await forEachConcurrently([...byRequest], PARTITION_CONCURRENCY, ([requestId, actions]) => {
      actions.push([
        "update",
        { partitionKey: requestPartition(requestId), rowKey: REQUEST_ROW, updatedAt },
        "Merge",
      ]);
      return submitInChunks(this.client, actions);
    });
  }

  async setRequestTableStatus(requestId: string, table: RequestTableView, now: string): Promise<void> {
    await this.ensureTable();
    await this.client.updateEntity(
      {
        partitionKey: requestPartition(requestId),
        rowKey: tableRow(table),
        status: table.status,
        error: clip(table.error) ?? "",
      },
      "Merge",
    );
    await this.client.updateEntity(
      { partitionKey: requestPartition(requestId), rowKey: REQUEST_ROW, updatedAt: now },
      "Merge",
    );
  }

  async completeRequest(
    link: LinkRef,
    requestId: string,
    status: RequestStatus,
    tables: readonly RequestTableView[],
    now: string,
  ): Promise<void> {
    await this.ensureTable();
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
    try {
      await this.client.deleteEntity(linkPartition(link), openRequestRow(requestId));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
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
