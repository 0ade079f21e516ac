/**
 * Persists the replay driver's state (`driver.exportState()`) in Azure Table storage (Azurite), so a dev host that
 * is killed and started again resumes every orchestration.
 *
 * Layout, table `devhostdurablestate`, partition = task hub name:
 * - row `head`: `generation`, `virtualNow` (the driver clock, kept outside the compared body), `chars`,
 *   `chunkCount`, `rows`, `savedAt`; when the JSON fits (≤ 15 chunks), the chunks themselves as `c0`, `c1`, …;
 * - otherwise rows `g<generation>-<index>` holding 15 chunks each, written (in transactions of ≤ 100 entities and
 *   ≤ ~3.5 MiB) BEFORE the head that points to them; older generations are deleted after the head moved on.
 *   A crash at any point leaves the previous generation readable.
 *
 * Limits respected: a string property holds at most 32K UTF-16 code units (chunks of 32,000, never splitting a
 * surrogate pair), an entity at most 1 MiB (15 × 64 KB), a transaction at most 100 entities of one partition and
 * 4 MiB.
 *
 * `save()` compares the JSON (with the clock zeroed) to the last saved one and skips when nothing changed, so a
 * save after every pump pass is cheap. Calls must be serialized by the caller (the pump's checkpoint does that).
 */
import { randomBytes } from "node:crypto";
import { TableClient, type TableEntity, type TransactionAction } from "@azure/data-tables";
import type { DriverSnapshot } from "../durable";

export const DURABLE_STATE_TABLE = "devhostdurablestate";
export const CHARS_PER_PROPERTY = 32_000;
export const PROPERTIES_PER_ENTITY = 15;
const HEAD_ROW = "head";
/** Outside the `g…` range the stale-row sweep deletes. */
const SYSTEM_KEY_ROW = "systemkey";
const MAX_TRANSACTION_ENTITIES = 100;
const MAX_TRANSACTION_BYTES = 3.5 * 1024 * 1024;
const FORMAT = 1;

export interface DurableStateStoreOptions {
  connectionString: string;
  /** Partition key: one saved state per task hub. */
  taskHubName: string;
  /** Default `devhostdurablestate`. */
  tableName?: string;
}

interface HeadEntity {
  partitionKey: string;
  rowKey: string;
  format: number;
  generation: number;
  virtualNow: number;
  chars: number;
  chunkCount: number;
  rows: number;
  savedAt: string;
  [chunk: `c${number}`]: string;
}

/** Splits text into chunks of at most `size` UTF-16 code units without splitting a surrogate pair. */
export function splitIntoChunks(text: string, size: number = CHARS_PER_PROPERTY): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // keep the pair together
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

function dataRowKey(generation: number, index: number): string {
  return `g${String(generation).padStart(12, "0")}-${String(index).padStart(6, "0")}`;
}

function generationOfRow(rowKey: string): number | undefined {
  const match = /^g(\d{12})-\d{6}$/.exec(rowKey);
  return match === null ? undefined : Number(match[1]);
}

/** The body that is compared and stored: the snapshot with its clock zeroed (the clock goes to the head). */
function bodyOf(snapshot: DriverSnapshot): string {
  return JSON.stringify({ ...snapshot, now: 0 });
}

function statusCodeOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null
    ? (error as { statusCode?: number }).statusCode
    : undefined;
}

export class DurableStateStore {
  readonly table: TableClient;
  readonly partitionKey: string;
  /** Number of saves that reached storage (skipped ones not counted). */
  saves = 0;

  private generation = 0;
  private lastBody: string | undefined;
  private lastVirtualNow: number | undefined;
  /** Whether data rows (of any generation other than the current one) may exist. */
  private mayHaveStaleRows = true;

  constructor(options: DurableStateStoreOptions) {
    this.table = TableClient.fromConnectionString(
      options.connectionString,
      options.tableName ?? DURABLE_STATE_TABLE,
      {
        allowInsecureConnection: true,
      },
    );
    this.partitionKey = options.taskHubName;
  }

  /** Creates the table if missing. */
  async open(): Promise<this> {
    try {
      await this.table.createTable();
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw error;
    }
    return this;
  }

  /**
   * The task hub's durable API system key: created once (32 random bytes, base64url) and kept in storage, as the
   * Functions host keeps its keys in its secret store, so management URLs handed out before a restart still work.
   */
  async systemKey(): Promise<string> {
    try {
      const row = await this.table.getEntity<{ key?: unknown }>(this.partitionKey, SYSTEM_KEY_ROW);
      if (typeof row.key === "string" && row.key !== "") return row.key;
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw error;
    }
    const key = randomBytes(32).toString("base64url");
    try {
      await this.table.createEntity({ partitionKey: this.partitionKey, rowKey: SYSTEM_KEY_ROW, key });
      return key;
    } catch (error) {
      // Another host of the same task hub created it first: use theirs.
      if (statusCodeOf(error) !== 409) throw error;
      const row = await this.table.getEntity<{ key: string }>(this.partitionKey, SYSTEM_KEY_ROW);
      return row.key;
    }
  }

  /** The saved snapshot (its `now` restored from the head), or undefined when nothing was saved yet. */
  async load(): Promise<DriverSnapshot | undefined> {
    let head: HeadEntity;
    try {
      head = (await this.table.getEntity(this.partitionKey, HEAD_ROW)) as unknown as HeadEntity;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
    if (head.format !== FORMAT) throw new Error(`durable state: unsupported format ${String(head.format)}`);
    const chunks: string[] = [];
    if (head.rows === 0) {
      for (let i = 0; i < head.chunkCount; i++) {
        const chunk = head[`c${i}`];
        if (typeof chunk === "string") chunks.push(chunk);
      }
    } else {
      const rows: Record<string, unknown>[] = [];
      const from = dataRowKey(head.generation, 0);
      const to = dataRowKey(head.generation + 1, 0);
      const query = this.table.listEntities({
        queryOptions: {
          filter: `PartitionKey eq '${this.partitionKey.replace(/'/g, "''")}' and RowKey ge '${from}' and RowKey lt '${to}'`,
        },
      });
      for await (const row of query) rows.push(row);
      rows.sort((a, b) => (String(a.rowKey) < String(b.rowKey) ? -1 : 1));
      for (const row of rows) {
        for (let i = 0; i < PROPERTIES_PER_ENTITY && chunks.length < head.chunkCount; i++) {
          const chunk = row[`c${i}`];
          if (typeof chunk === "string") chunks.push(chunk);
        }
      }
    }
    const body = chunks.join("");
    if (chunks.length !== head.chunkCount || body.length !== head.chars) {
      throw new Error(
        `durable state of task hub '${this.partitionKey}' is incomplete (expected ${head.chars} chars in ` +
          `${head.chunkCount} chunks, found ${body.length} in ${chunks.length}); delete its rows in table ` +
          `'${this.table.tableName}' (or use another task hub name) to start fresh`,
      );
    }
    const snapshot = JSON.parse(body) as DriverSnapshot;
    snapshot.now = head.virtualNow;
    this.generation = head.generation;
    this.lastBody = body;
    this.lastVirtualNow = head.virtualNow;
    return snapshot;
  }

  /** Marks `snapshot` as what storage already holds (e.g. a fresh driver's empty state): no save until it changes. */
  assumeSaved(snapshot: DriverSnapshot): void {
    this.lastBody = bodyOf(snapshot);
    this.lastVirtualNow = snapshot.now;
  }

  /**
   * Saves the snapshot unless its content (clock aside) equals the last saved one. `force` also stores a clock that
   * moved on (used on close). Returns whether storage was written.
   */
  async save(snapshot: DriverSnapshot, options: { force?: boolean } = {}): Promise<boolean> {
    const body = bodyOf(snapshot);
    if (body === this.lastBody) {
      if (options.force !== true || snapshot.now === this.lastVirtualNow) return false;
      if (this.generation > 0) {
        // Same content, later clock: only the head moves.
        await this.table.updateEntity(
          {
            partitionKey: this.partitionKey,
            rowKey: HEAD_ROW,
            virtualNow: snapshot.now,
            savedAt: new Date().toISOString(),
          },
          "Merge",
        );
        this.lastVirtualNow = snapshot.now;
        this.saves++;
        return true;
      }
      // Nothing stored yet (a fresh driver's state): write it all.
    }

    const chunks = splitIntoChunks(body);
    const generation = this.generation + 1;
    const head: HeadEntity = {
      partitionKey: this.partitionKey,
      rowKey: HEAD_ROW,
      format: FORMAT,
      generation,
      virtualNow: snapshot.now,
      chars: body.length,
      chunkCount: chunks.length,
      rows: 0,
      savedAt: new Date().toISOString(),
    };
    if (chunks.length <= PROPERTIES_PER_ENTITY) {
      chunks.forEach((chunk, i) => (head[`c${i}`] = chunk));
    } else {
      const rows: TableEntity[] = [];
      for (let start = 0; start < chunks.length; start += PROPERTIES_PER_ENTITY) {
        const row: TableEntity = {
          partitionKey: this.partitionKey,
          rowKey: dataRowKey(generation, rows.length),
        };
        chunks.slice(start, start + PROPERTIES_PER_ENTITY).forEach((chunk, i) => (row[`c${i}`] = chunk));
        rows.push(row);
      }
      await this.submitInBatches(rows.map((row): TransactionAction => ["upsert", row, "Replace"]));
      head.rows = rows.length;
    }
    await this.table.upsertEntity(head, "Replace");
    const previousHadRows = this.mayHaveStaleRows;
    this.generation = generation;
    this.lastBody = body;
    this.lastVirtualNow = snapshot.now;
    this.saves++;
    this.mayHaveStaleRows = head.rows > 0;
    if (previousHadRows) await this.deleteStaleRows(generation);
    return true;
  }

  /** Deletes data rows of other generations (left by earlier saves or by a save that crashed half-way). */
  private async deleteStaleRows(current: number): Promise<void> {
    const stale: TransactionAction[] = [];
    const query = this.table.listEntities({
      queryOptions: {
        filter: `PartitionKey eq '${this.partitionKey.replace(/'/g, "''")}' and RowKey ge 'g' and RowKey lt 'h'`,
        select: ["RowKey"],
      },
    });
    for await (const row of query) {
      const generation = generationOfRow(row.rowKey ?? "");
      if (generation !== undefined && generation !== current) {
        stale.push(["delete", { partitionKey: this.partitionKey, rowKey: row.rowKey! }]);
      }
    }
    await this.submitInBatches(stale);
  }

  private async submitInBatches(actions: TransactionAction[]): Promise<void> {
    let batch: TransactionAction[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.table.submitTransaction(batch);
      batch = [];
      bytes = 0;
    };
    for (const action of actions) {
      const size = Buffer.byteLength(JSON.stringify(action[1]));
      if (
        batch.length >= MAX_TRANSACTION_ENTITIES ||
        (batch.length > 0 && bytes + size > MAX_TRANSACTION_BYTES)
      ) {
        await flush();
      }
      batch.push(action);
      bytes += size;
    }
    await flush();
  }
}
