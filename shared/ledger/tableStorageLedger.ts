import { createHash } from "node:crypto";
import {
  odata,
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from "@azure/data-tables";
import type { LinkRef } from "../domain/linkRef";
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
} from "./ledger";

/*
 * Layout (one table):
 *   PartitionKey req_<requestId>      RowKey "request"        the request itself
 *                                      RowKey t_<table>        that table's status within the request
 *   PartitionKey link_<ws>_<link>     RowKey r_<requestId>    open request of the link (claimed flag)
 *                                      RowKey t_<table>        the table's record in the link
 *                                      RowKey worker           the worker's health (last fault, retry time)
 *   PartitionKey openLinks             RowKey link_<ws>_<link> a link with unfinished work (reconcile's worklist)
 *   PartitionKey breakers              RowKey <workspace>      the workspace's circuit breaker
 * Keys are URI-encoded: table keys forbid / \ # ? and control characters, SQL identifiers do not.
 */
const REQUEST_ROW = "request";
const enc = encodeURIComponent;
const requestPartition = (requestId: string) => `req_${enc(requestId)}`;
const linkPartition = (link: LinkRef) => `link_${enc(link.workspace)}_${enc(link.linkConnection)}`;
const tableRow = (table: TableName) => `t_${enc(tableKey(table))}`;
const openRequestRow = (requestId: string) => `r_${enc(requestId)}`;
const detachedRow = (table: TableName) => `d_${enc(tableKey(table))}`;
const dedupePartition = (kind: DedupeKind) => `dedupe_${kind}`;
const REJECTED_PARTITION = "rejectedMessages";
const OPEN_LINKS_PARTITION = "openLinks";
const BREAKERS_PARTITION = "breakers";
const WORKER_ROW = "worker";

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
    // Table keys are at most 1 KiB (512 UTF-16 characters): a long key is stored under its hash.
    // "sha256:" cannot come out of encodeURIComponent (":" becomes %3A), so the two forms never collide.
    const encoded = enc(key);
    const rowKey =
      encoded.length <= 500 ? encoded : `sha256:${createHash("sha256").update(key).digest("hex")}`;
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
        rowKey: enc(message.messageId),
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
      },
      "Replace",
    );
  }

  async getBreaker(workspace: string): Promise<{ state: BreakerState; etag?: string }> {
    await this.ensureTable();
    const row = await this.client
      .getEntity<BreakerState & TableEntity>(BREAKERS_PARTITION, enc(workspace))
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
    const entity = { partitionKey: BREAKERS_PARTITION, rowKey: enc(workspace), ...state };
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
    const tableActions: TransactionAction[] = request.tables.map((t, position): TransactionAction => {
      const row: RequestTableEntity = {
        partitionKey,
        rowKey: tableRow(t.source),
        schema: t.source.schema,
        name: t.source.name,
        position,
        target: JSON.stringify(t.target),
        status: "Pending",
      };
      return ["upsert", row, "Replace"];
    });
    // Table rows first, the request row last: a reader never sees a request without its tables.
    await submitInChunks(this.client, tableActions);
    let created = true;
    try {
      await this.client.createEntity(entity);
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      created = false;
    }
    // A redelivery of a request that is still Queued redoes the writes after the request row: a
    // crash between them must not leave a request that no worker will ever see.
    if (
      !created &&
      (await this.client.getEntity<RequestEntity>(partitionKey, REQUEST_ROW)).status !== "Queued"
    ) {
      return "exists";
    }
    const marker: OpenRequestEntity = {
      partitionKey: linkPartition(request),
      rowKey: openRequestRow(request.requestId),
      requestId: request.requestId,
      claimed: false,
      queuedAt: now,
    };
    await this.client.upsertEntity(marker, "Replace");
    await this.markLinkOpen(request, now);
    return created ? "created" : "exists";
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

  async completeRequest(link: LinkRef, requestId: string, status: RequestStatus, now: string): Promise<void> {
    await this.ensureTable();
    await this.client.updateEntity(
      { partitionKey: requestPartition(requestId), rowKey: REQUEST_ROW, status, updatedAt: now },
      "Merge",
    );
    try {
      await this.client.deleteEntity(linkPartition(link), openRequestRow(requestId));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}
