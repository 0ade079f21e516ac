import { TableClient } from "@azure/data-tables";
import { resolveTarget } from "../../shared/domain/tableTarget";
import type { LinkTableRecord, OnboardingRequest } from "../../shared/ledger/ledger";
import { TableStorageLedger } from "../../shared/ledger/tableStorageLedger";
import { useAzurite } from "../support/azurite";

const azurite = useAzurite();
let counter = 0;

const NOW = "2026-01-05T08:00:00.000Z";
const LATER = "2026-01-05T08:05:00.000Z";
const link = { workspace: "demo", linkConnection: "demo-link" };
const LINK_PARTITION = "link_demo_demo-link";
/** Small enough to see a spread with a handful of tables. */
const LAYOUT = { shardAbove: 3, shardCount: 4 };

function newLedger(): { ledger: TableStorageLedger; client: TableClient } {
  const client = TableClient.fromConnectionString(azurite.connectionString, `ledgershards${++counter}`, {
    allowInsecureConnection: true,
  });
  return { ledger: new TableStorageLedger(client, LAYOUT), client };
}

function record(
  name: string,
  requestIds: string[],
  status: LinkTableRecord["status"] = "Pending",
): LinkTableRecord {
  return {
    source: { schema: "dbo", name },
    target: resolveTarget({ schema: "dbo", name }, undefined),
    action: "add",
    status,
    requestIds,
    attempts: 0,
    enabledOnceRetries: 0,
    updatedAt: NOW,
  };
}

function request(requestId: string, names: string[]): OnboardingRequest {
  return {
    ...link,
    requestId,
    action: "add",
    origin: { kind: "http", id: requestId },
    receivedAt: NOW,
    tables: names.map((name) => ({
      source: { schema: "dbo", name },
      target: resolveTarget({ schema: "dbo", name }, undefined),
    })),
  };
}

/** Table records (t_ rows) per partition of the link and its shards. */
async function recordRows(client: TableClient): Promise<Map<string, Record<string, unknown>[]>> {
  const byPartition = new Map<string, Record<string, unknown>[]>();
  for await (const row of client.listEntities()) {
    if (!row.rowKey?.startsWith("t_") || !row.partitionKey?.startsWith("link_")) continue;
    byPartition.set(row.partitionKey, [...(byPartition.get(row.partitionKey) ?? []), row]);
  }
  return byPartition;
}

/** Request r1 claimed with A, B and C: the link at shardAbove, still in its own partition. */
async function claimAtShardAbove(ledger: TableStorageLedger): Promise<void> {
  await ledger.recordRequest(request("r1", ["A", "B", "C"]), NOW);
  await ledger.claimRequests(
    link,
    ["A", "B", "C"].map((n) => record(n, ["r1"])),
    ["r1"],
    NOW,
    3,
  );
}

async function claimInTwoSteps(ledger: TableStorageLedger): Promise<void> {
  await ledger.recordRequest(request("r1", ["A", "B"]), NOW);
  await ledger.claimRequests(link, [record("A", ["r1"]), record("B", ["r1"])], ["r1"], NOW, 2);
  await ledger.recordRequest(request("r2", ["C", "D", "E"]), NOW);
  await ledger.claimRequests(
    link,
    ["C", "D", "E"].map((name) => record(name, ["r2"])),
    ["r2"],
    LATER,
    5,
  );
}

/** The client, with `method` failing with `error()`. */
function failing(client: TableClient, method: keyof TableClient, error: () => Error): TableClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === method) return () => Promise.reject(error());
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/** The client, with the first call of `method` answered 404 (a read made before a write landed). */
function notFoundOnce(client: TableClient, method: keyof TableClient): TableClient {
  let answered = false;
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== method || answered || typeof value !== "function") return value;
      return () => {
        answered = true;
        return Promise.reject(Object.assign(new Error("not found"), { statusCode: 404 }));
      };
    },
  });
}

const names = (records: readonly LinkTableRecord[]) => records.map((r) => `${r.source.name} ${r.status}`);

describe("TableStorageLedger: a big link's records spread over shards (Azurite)", () => {
  it("keeps the records of a link at shardAbove tables in the link's own partition", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    expect([...(await recordRows(client)).keys()]).toEqual([LINK_PARTITION]);
    expect(names(await ledger.listLinkTables(link))).toEqual(["A Pending", "B Pending", "C Pending"]);
  });

  it("moves every record into shards when a claim takes the link past shardAbove, and lists them in key order", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    const rows = await recordRows(client);
    expect(rows.has(LINK_PARTITION)).toBe(false);
    expect([...rows.keys()].every((p) => /^link_demo_demo-link\|[0-3]$/.test(p))).toBe(true);
    expect([...rows.values()].flat()).toHaveLength(5);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Pending",
      "B Pending",
      "C Pending",
      "D Pending",
      "E Pending",
    ]);
    // The earlier claim's records keep what they held.
    expect((await ledger.getLinkTables(link, [{ schema: "dbo", name: "A" }]))[0]?.requestIds).toEqual(["r1"]);
  });

  it("reads a spread link's records by name, by status and for a request's progress", async () => {
    const { ledger } = newLedger();
    await claimInTwoSteps(ledger);
    await ledger.saveLinkTables(link, [
      record("B", ["r1"], "Snapshotting"),
      record("D", ["r2"], "Replicating"),
    ]);
    expect(names(await ledger.listLinkTables(link, ["Snapshotting", "Replicating"]))).toEqual([
      "B Snapshotting",
      "D Replicating",
    ]);
    const byName = await ledger.getLinkTables(link, [
      { schema: "dbo", name: "D" },
      { schema: "dbo", name: "A" },
    ]);
    expect(names(byName).sort()).toEqual(["A Pending", "D Replicating"]);
    expect(await ledger.getRequest("r1")).toMatchObject({
      status: "InProgress",
      tables: [
        { name: "A", status: "Pending" },
        { name: "B", status: "Snapshotting" },
      ],
    });
  });

  it("saves a spread link's records into their shards, never back into the link's partition", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    // Another instance of the app, which has not seen the link spread.
    const other = new TableStorageLedger(client, LAYOUT);
    await other.saveLinkTables(link, [record("A", ["r1"], "Adding")]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(names(await ledger.listLinkTables(link, ["Adding"]))).toEqual(["A Adding"]);
  });

  it("reads shard after shard until the caller has what it looks for, in the last shard too", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    // The table of the highest-numbered shard that holds one: every shard before it is read first.
    const partitions = [...(await recordRows(client)).entries()].sort(([a], [b]) => a.localeCompare(b));
    const [, lastRows = []] = partitions[partitions.length - 1] ?? [];
    const wanted = String(lastRows[0]?.name);
    const fresh = new TableStorageLedger(client, LAYOUT);
    const found = await fresh.listLinkTables(link, ["Pending"], (soFar) =>
      soFar.some((r) => r.source.name === wanted),
    );
    expect(found.map((r) => r.source.name)).toContain(wanted);
  });

  it("reads and writes a spread link with the shard count its shards row says, whatever this instance was built with", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    const eight = new TableStorageLedger(client, { shardAbove: 3, shardCount: 8 });
    await eight.saveLinkTables(link, [record("C", ["r2"], "Adding")]);
    expect(names(await eight.listLinkTables(link))).toEqual([
      "A Pending",
      "B Pending",
      "C Adding",
      "D Pending",
      "E Pending",
    ]);
    const byName = await eight.getLinkTables(
      link,
      ["A", "B", "C", "D", "E"].map((name) => ({ schema: "dbo", name })),
    );
    expect(names(byName).sort()).toEqual(["A Pending", "B Pending", "C Adding", "D Pending", "E Pending"]);
    expect([...(await recordRows(client)).keys()].every((p) => /\|[0-3]$/.test(p))).toBe(true);
  });

  it("spreads, reads and saves shards of more than one transaction (100 rows) each", async () => {
    const { ledger, client } = newLedger();
    const big = new TableStorageLedger(client, { shardAbove: 200, shardCount: 2 });
    const tables = Array.from({ length: 250 }, (_, i) => `T${String(i).padStart(3, "0")}`);
    await big.recordRequest(request("r1", tables.slice(0, 150)), NOW);
    await big.claimRequests(
      link,
      tables.slice(0, 150).map((n) => record(n, ["r1"])),
      ["r1"],
      NOW,
      150,
    );
    await big.recordRequest(request("r2", tables.slice(150)), NOW);
    await big.claimRequests(
      link,
      tables.slice(150).map((n) => record(n, ["r2"])),
      ["r2"],
      LATER,
      250,
    );
    const rows = await recordRows(client);
    expect(rows.has(LINK_PARTITION)).toBe(false);
    expect([...rows.values()].map((r) => r.length).every((n) => n > 100)).toBe(true);
    await big.saveLinkTables(
      link,
      tables.map((n) => record(n, [], "Adding")),
    );
    const listed = await ledger.listLinkTables(link);
    expect(listed).toHaveLength(250);
    expect(listed.every((r) => r.status === "Adding")).toBe(true);
  });

  it("reads past copies a spread left in the link's partition, and the next claim deletes them", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    // A crash after the shards row was written and before the copies were deleted: a stale copy of
    // A (Failed) is still in the link's partition, and the shards row says so.
    const [copyOfA] = [...(await recordRows(client)).values()].flat().filter((row) => row.name === "A");
    await client.upsertEntity({
      ...copyOfA,
      partitionKey: LINK_PARTITION,
      rowKey: String(copyOfA?.rowKey),
      status: "Failed",
      error: "stale copy",
    });
    await client.updateEntity({ partitionKey: LINK_PARTITION, rowKey: "shards", leftovers: true }, "Merge");
    const fresh = new TableStorageLedger(client, LAYOUT);
    expect(names(await fresh.listLinkTables(link))).toEqual([
      "A Pending",
      "B Pending",
      "C Pending",
      "D Pending",
      "E Pending",
    ]);
    expect(names(await fresh.getLinkTables(link, [{ schema: "dbo", name: "A" }]))).toEqual(["A Pending"]);

    await ledger.recordRequest(request("r3", ["F"]), NOW);
    await fresh.claimRequests(link, [record("F", ["r3"])], ["r3"], LATER, 6);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(await client.getEntity(LINK_PARTITION, "shards")).toMatchObject({
      leftovers: false,
      shardCount: 4,
    });
    expect(await fresh.listLinkTables(link)).toHaveLength(6);
  });

  it("keeps reading the link's partition when a spread stopped while copying, and lets the claim take the copy over after the lease", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    await ledger.recordRequest(request("r2", ["D"]), NOW);
    // The host stops after the copies were written to the shards, before the link is marked spread.
    const crashing = failing(client, "updateEntity", () => new Error("host stopped"));
    await expect(
      new TableStorageLedger(crashing, LAYOUT).claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4),
    ).rejects.toThrow("host stopped");
    expect(names(await ledger.listLinkTables(link))).toEqual(["A Pending", "B Pending", "C Pending"]);
    expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId)).toEqual(["r2"]);
    // Meanwhile the worker moves A on, in the link's partition (the copy in A's shard is now stale).
    await ledger.saveLinkTables(link, [record("A", ["r1"], "Adding")]);

    // At once: another copy may still be running, so the claim is refused (and retried by the worker).
    await expect(ledger.claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4)).rejects.toThrow(
      /being spread over shards since 2026-01-05T08:05:00.000Z/,
    );
    const afterLease = "2026-01-05T08:16:00.000Z";
    await ledger.claimRequests(link, [record("D", ["r2"])], ["r2"], afterLease, 4);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Adding",
      "B Pending",
      "C Pending",
      "D Pending",
    ]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(await ledger.listQueuedRequests(link)).toEqual([]);
  });

  it("copies again a record saved in the link's partition while the spread was copying, instead of deleting the save", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    await ledger.recordRequest(request("r2", ["D"]), NOW);
    // Another execution saves A while the spread copies (after it read A, before it marks the link spread).
    let saved = false;
    const racing = new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== "updateEntity" || saved || typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          saved = true;
          await new TableStorageLedger(client, LAYOUT).saveLinkTables(link, [
            record("A", ["r1"], "Snapshotting"),
          ]);
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    await new TableStorageLedger(racing, LAYOUT).claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4);
    expect(saved).toBe(true);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Snapshotting",
      "B Pending",
      "C Pending",
      "D Pending",
    ]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
  });

  it("lets a late duplicate of a claim that spread the link write only its own records, not an old copy of the link", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    await ledger.saveLinkTables(link, [record("A", ["r1"], "Replicating")]);
    // The duplicate read the shards row before the first claim wrote it.
    const late = new TableStorageLedger(notFoundOnce(client, "getEntity"), LAYOUT);
    await ledger.recordRequest(request("r3", ["F"]), NOW);
    await late.claimRequests(link, [record("F", ["r3"])], ["r3"], LATER, 6);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Replicating",
      "B Pending",
      "C Pending",
      "D Pending",
      "E Pending",
      "F Pending",
    ]);
  });

  it("sends a save that found the link small into the shards when the link was spread meanwhile", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    // This instance read the shards row before the spread: its update finds no row in the link's partition.
    const stale = new TableStorageLedger(notFoundOnce(client, "getEntity"), LAYOUT);
    await stale.saveLinkTables(link, [record("B", ["r1"], "Snapshotting")]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(names(await ledger.listLinkTables(link, ["Snapshotting"]))).toEqual(["B Snapshotting"]);
  });

  it("lets a save finish deleting the copies a spread left behind", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    const [copyOfA] = [...(await recordRows(client)).values()].flat().filter((row) => row.name === "A");
    await client.upsertEntity({ ...copyOfA, partitionKey: LINK_PARTITION, rowKey: String(copyOfA?.rowKey) });
    await client.updateEntity({ partitionKey: LINK_PARTITION, rowKey: "shards", leftovers: true }, "Merge");
    await new TableStorageLedger(client, LAYOUT).saveLinkTables(link, [record("A", ["r1"], "Adding")]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(await client.getEntity(LINK_PARTITION, "shards")).toMatchObject({ leftovers: false });
  });
});
