import { randomBytes } from "node:crypto";
import type { TableClient } from "@azure/data-tables";

/** Secrets the app makes for itself and shares across its instances. */
export interface AppKeyStore {
  /** The key of acceptance tokens (`shared/intake/acceptanceToken.ts`). */
  acceptanceKey(): Promise<Buffer>;
}

const PARTITION = "appKeys";
const ACCEPTANCE_ROW = "acceptance";

const statusOf = (error: unknown) =>
  typeof error === "object" && error !== null ? (error as { statusCode?: number }).statusCode : undefined;

/**
 * Kept in the ledger table: the first instance to need the key creates it (create-only, so two
 * instances starting together agree on one), every instance reads it once and caches it. The app
 * loads it when an instance starts (`functions/appStart.ts`), so intake's requests find it cached;
 * a request that comes first waits for that one read, never a read of its own.
 */
export class TableAppKeyStore implements AppKeyStore {
  private acceptance: Promise<Buffer> | undefined;

  constructor(private readonly client: TableClient) {}

  acceptanceKey(): Promise<Buffer> {
    this.acceptance ??= this.load(ACCEPTANCE_ROW).catch((error: unknown) => {
      this.acceptance = undefined;
      throw error;
    });
    return this.acceptance;
  }

  /** Read first: every instance after the first finds the key in one round trip. */
  private async load(rowKey: string): Promise<Buffer> {
    const existing = await this.read(rowKey);
    if (existing) return existing;
    const fresh = randomBytes(32).toString("base64");
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.createEntity({ partitionKey: PARTITION, rowKey, value: fresh });
        return Buffer.from(fresh, "base64");
      } catch (error) {
        // Another instance created it meanwhile: theirs is the key.
        if (statusOf(error) === 409) break;
        // The ledger table is created on first use; this may be the first use.
        if (statusOf(error) !== 404 || attempt > 0) throw error;
        await this.client.createTable();
      }
    }
    const stored = await this.read(rowKey);
    if (!stored) throw new Error(`the app key ${rowKey} was created by another instance but cannot be read`);
    return stored;
  }

  private async read(rowKey: string): Promise<Buffer | undefined> {
    try {
      const row = await this.client.getEntity<{ value: string }>(PARTITION, rowKey);
      return Buffer.from(row.value, "base64");
    } catch (error) {
      // No such row, or no ledger table yet.
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }
}
