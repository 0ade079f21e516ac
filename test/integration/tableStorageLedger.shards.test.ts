import { TableClient } from "@azure/data-tables";
import { resolveTarget } from "../../shared/domain/tableTarget";
import type { LinkTableRecord, OnboardingRequest } from "../../shared/ledger/ledger";
import { TableStorageLedger } from "../../shared/ledger/tableStorageLedger";
import { useAzurite } from "../support/azurite";
import { watchTableTraffic } from "../support/tableTraffic";

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

/**
 * The client, with each call that returns a promise passed to `around` first (which may wait, fail
 * it, or return what to run once the call is done), and `listEntities` failing its reads while
 * `listFails()` says so.
 */
function intercepted(
  client: TableClient,
  around: (method: string, args: unknown[]) => Promise<unknown>,
  listFails: (args: unknown[]) => boolean = () => false,
): TableClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function" || typeof property !== "string") return value;
      const call = value as (...a: unknown[]) => unknown;
      if (property === "listEntities")
        return (...args: unknown[]) => {
          if (!listFails(args)) return call.apply(target, args);
          const failing = {
            [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("host stopped")) }),
          };
          return { ...failing, byPage: () => failing };
        };
      if (
        !["submitTransaction", "getEntity", "createEntity", "updateEntity", "deleteEntity"].includes(property)
      )
        return value;
      return async (...args: unknown[]) => {
        const after = await around(property, args);
        const result: unknown = await call.apply(target, args);
        if (typeof after === "function") (after as () => void)();
        return result;
      };
    },
  });
}

/** The partition a transaction or an entity call is for. */
function partitionOf(method: string, args: unknown[]): string {
  if (method === "submitTransaction") {
    const [first] = args[0] as [string, { partitionKey: string }][];
    return first?.[1].partitionKey ?? "";
  }
  if (method === "getEntity" || method === "deleteEntity") return String(args[0]);
  return String((args[0] as { partitionKey?: string }).partitionKey);
}

const isShard = (partition: string) => partition.startsWith(`${LINK_PARTITION}|`);

function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
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

  it("gives a claim the records of the tables it names, with a small link's size from its count, not the whole link", async () => {
    const { ledger, client } = newLedger();
    const traffic = watchTableTraffic(client);
    await claimAtShardAbove(ledger);
    // Far from its spread (at 100 tables), a link of three tables is read by name.
    const roomy = new TableStorageLedger(client, { shardAbove: 100, shardCount: 4 });
    traffic.reset();
    const small = await roomy.readClaimRecords(link, [{ schema: "dbo", name: "B" }]);
    expect(names(small.records)).toEqual(["B Pending"]);
    expect(small.linkTables).toBe(3);
    // B and the count row, not A and C.
    expect(traffic.rowsRead).toBe(2);
    // Within a tenth of its spread, it is counted whole: a count left low must not delay the spread.
    traffic.reset();
    expect((await ledger.readClaimRecords(link, [{ schema: "dbo", name: "B" }])).linkTables).toBe(3);
    expect(traffic.rowsRead).toBeGreaterThanOrEqual(3);

    await ledger.recordRequest(request("r2", ["D"]), NOW);
    await ledger.claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4);
    traffic.reset();
    const spread = await ledger.readClaimRecords(link, [
      { schema: "dbo", name: "D" },
      { schema: "dbo", name: "New" },
    ]);
    expect(names(spread.records)).toEqual(["D Pending"]);
    expect(spread.linkTables).toBeUndefined();
    // The shards of the two names, not the link's four records (and its shards row, known since the claim).
    expect(traffic.rowsRead).toBeLessThanOrEqual(1);
  });

  it("reads a small link whole once when no claim wrote its count (an earlier version's), and by name after", async () => {
    const { client } = newLedger();
    const ledger = new TableStorageLedger(client, { shardAbove: 100, shardCount: 4 });
    const traffic = watchTableTraffic(client);
    await ledger.recordRequest(request("r1", ["A", "B"]), NOW);
    // An earlier version's claim: records and claim, no count.
    await ledger.claimRequests(link, [record("A", ["r1"]), record("B", ["r1"])], ["r1"], NOW);
    const first = await ledger.readClaimRecords(link, [{ schema: "dbo", name: "C" }]);
    expect(first).toEqual({ records: [], linkTables: 2 });
    await ledger.recordRequest(request("r2", ["C"]), NOW);
    await ledger.claimRequests(link, [record("C", ["r2"])], ["r2"], LATER, 3);
    traffic.reset();
    expect(await ledger.readClaimRecords(link, [{ schema: "dbo", name: "A" }])).toMatchObject({
      records: [{ source: { name: "A" } }],
      linkTables: 3,
    });
    // A and the count row.
    expect(traffic.rowsRead).toBe(2);
  });

  it.each([
    ["a small link", claimAtShardAbove],
    ["a spread link", claimInTwoSteps],
  ] as const)(
    "lists %s's records that reached a final status since a time, and the claimed open requests they name",
    async (shape, claim) => {
      const { ledger } = newLedger();
      await claim(ledger);
      const settledAt = "2026-01-05T08:20:00.000Z";
      await ledger.saveLinkTables(link, [
        { ...record("A", ["r1"], "Replicating"), updatedAt: settledAt },
        { ...record("B", ["r1"], "Snapshotting"), updatedAt: settledAt },
        { ...record("C", ["r1", "r2"], "Failed"), updatedAt: NOW },
      ]);
      const changed = await ledger.listLinkTablesSavedSince(link, ["Replicating", "Failed"], LATER);
      expect(names(changed)).toEqual(["A Replicating"]);
      // r1 and r2 claimed, r3 recorded only, r4 unknown.
      await ledger.recordRequest(request("r3", ["F"]), NOW);
      const open = await ledger.getOpenRequests(link, ["r1", "r2", "r3", "r4", "r1"]);
      expect(open.map((r) => r.requestId).sort()).toEqual(shape === "a small link" ? ["r1"] : ["r1", "r2"]);
    },
  );

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
    // The copy in A's shard was made from that row (as if the row had changed back since).
    const left = await client.getEntity(LINK_PARTITION, String(copyOfA?.rowKey));
    await client.updateEntity(
      { partitionKey: String(copyOfA?.partitionKey), rowKey: String(copyOfA?.rowKey), copyOf: left.etag },
      "Merge",
    );
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
    // A copy is deleted, not copied back over its shard's record.
    expect(names(await fresh.listLinkTables(link))).toEqual([
      "A Pending",
      "B Pending",
      "C Pending",
      "D Pending",
      "E Pending",
      "F Pending",
    ]);
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
    // The duplicate runs on an instance that has not seen the link spread.
    const late = new TableStorageLedger(client, LAYOUT);
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

  it("moves a save that landed in a spread link's own partition into its shard, and out of the link's partition", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    // The update finds no row in the link's partition, and the read of the shards row that follows
    // answers 404 (as if made before the spread), so the save is written there; the read of the
    // shards row after the write finds the link spread.
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
    expect(names(await ledger.listLinkTables(link, ["Adding"]))).toEqual(["A Adding"]);
  });

  it("keeps, when it deletes the copies a crash left behind, a record saved in its shard since the spread", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    // A crash after the mark: an older A is still in the link's partition.
    const [copyOfA] = [...(await recordRows(client)).values()].flat().filter((row) => row.name === "A");
    await client.upsertEntity({
      ...copyOfA,
      partitionKey: LINK_PARTITION,
      rowKey: String(copyOfA?.rowKey),
      status: "Failed",
    });
    await client.updateEntity({ partitionKey: LINK_PARTITION, rowKey: "shards", leftovers: true }, "Merge");
    // This instance knows the link spread: its save goes straight to A's shard.
    await ledger.saveLinkTables(link, [record("A", ["r1"], "Replicating")]);
    await ledger.recordRequest(request("r3", ["F"]), NOW);
    await new TableStorageLedger(client, LAYOUT).claimRequests(link, [record("F", ["r3"])], ["r3"], LATER, 6);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(names(await ledger.listLinkTables(link, ["Replicating", "Failed"]))).toEqual(["A Replicating"]);
  });

  it("does not copy an older row over a save that lands in the shard while the copies a crash left behind are deleted", async () => {
    const { ledger, client } = newLedger();
    await claimInTwoSteps(ledger);
    // A crash after the mark, and A saved in the link's partition after the copy read it.
    const [copyOfA] = [...(await recordRows(client)).values()].flat().filter((row) => row.name === "A");
    await client.upsertEntity({
      ...copyOfA,
      partitionKey: LINK_PARTITION,
      rowKey: String(copyOfA?.rowKey),
      status: "Snapshotting",
    });
    await client.updateEntity({ partitionKey: LINK_PARTITION, rowKey: "shards", leftovers: true }, "Merge");
    // Just before the cleanup copies A again, an instance that knows the link spread saves A.
    let raced = false;
    const cleaner = intercepted(client, async (method, args) => {
      const entity = args[0] as { partitionKey?: string; name?: string };
      if (method !== "updateEntity" || entity.name !== "A" || raced) return;
      raced = true;
      await ledger.saveLinkTables(link, [record("A", ["r1"], "Replicating")]);
    });
    await ledger.recordRequest(request("r3", ["F"]), NOW);
    await new TableStorageLedger(cleaner, LAYOUT).claimRequests(
      link,
      [record("F", ["r3"])],
      ["r3"],
      LATER,
      6,
    );
    expect(raced).toBe(true);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(names(await ledger.listLinkTables(link, ["Replicating", "Snapshotting"]))).toEqual([
      "A Replicating",
    ]);
  });

  it("lets the retry of a claim whose copy failed take the copy over at once, without the records only that copy claimed", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    await ledger.recordRequest(request("r2", ["D", "E"]), NOW);
    // Storage refuses the mark once the copies are written; the claim says so on the shards row.
    let refused = false;
    const refusing = intercepted(client, (method, args) => {
      const entity = args[0] as { rowKey?: string; copying?: boolean; released?: boolean };
      const isMark =
        method === "updateEntity" && entity.rowKey === "shards" && !entity.copying && !entity.released;
      if (!isMark || refused) return Promise.resolve();
      refused = true;
      return Promise.reject(Object.assign(new Error("server busy"), { statusCode: 503 }));
    });
    await expect(
      new TableStorageLedger(refusing, LAYOUT).claimRequests(
        link,
        [record("D", ["r2"]), record("E", ["r2"])],
        ["r2"],
        LATER,
        5,
      ),
    ).rejects.toThrow("server busy");
    expect(await client.getEntity(LINK_PARTITION, "shards")).toMatchObject({ copying: true, released: true });
    expect(names(await ledger.listLinkTables(link))).toEqual(["A Pending", "B Pending", "C Pending"]);
    // The next claim, at the same orchestration time (the activity's retry), copies at once. Here it
    // claims another request, so D and E, copied by the failed claim only, must not show up.
    await ledger.recordRequest(request("r3", ["F", "G"]), NOW);
    await ledger.claimRequests(link, [record("F", ["r3"]), record("G", ["r3"])], ["r3"], LATER, 5);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Pending",
      "B Pending",
      "C Pending",
      "F Pending",
      "G Pending",
    ]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId)).toEqual(["r2"]);
  });

  it("copies again, when a crash left the copies behind, a record saved while the spread was copying", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    await ledger.recordRequest(request("r2", ["D"]), NOW);
    let saved = false;
    let marked = false;
    const crashing = intercepted(
      client,
      async (method, args) => {
        if (method === "submitTransaction" && isShard(partitionOf(method, args)) && !saved) {
          saved = true;
          // Another execution saves A after the copy read it.
          await new TableStorageLedger(client, LAYOUT).saveLinkTables(link, [
            record("A", ["r1"], "Snapshotting"),
          ]);
        }
        const entity = args[0] as { rowKey?: string; leftovers?: boolean; copying?: boolean };
        if (method === "updateEntity" && entity.rowKey === "shards" && entity.leftovers && !entity.copying)
          marked = true;
      },
      // The host stops once the link is marked spread, before it reads the link's partition again.
      () => marked,
    );
    await expect(
      new TableStorageLedger(crashing, LAYOUT).claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4),
    ).rejects.toThrow("host stopped");
    expect(await client.getEntity(LINK_PARTITION, "shards")).toMatchObject({ leftovers: true });
    // The claim's retry, on another instance, deletes the copies: A as saved, not as copied.
    await new TableStorageLedger(client, LAYOUT).claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Snapshotting",
      "B Pending",
      "C Pending",
      "D Pending",
    ]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
    expect(await ledger.listQueuedRequests(link)).toEqual([]);
  });

  it("copies a record saved during the copy again only if its shard record was not saved since", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    await ledger.recordRequest(request("r2", ["D"]), NOW);
    let savedDuringCopy = false;
    let savedInShard = false;
    const copier = intercepted(client, async (method, args) => {
      if (method === "submitTransaction" && isShard(partitionOf(method, args)) && !savedDuringCopy) {
        savedDuringCopy = true;
        // Another execution saves A in the link's partition after the copy read it.
        await new TableStorageLedger(client, LAYOUT).saveLinkTables(link, [
          record("A", ["r1"], "Snapshotting"),
        ]);
      }
      const entity = args[0] as { name?: string };
      if (method !== "updateEntity" || entity.name !== "A" || savedInShard) return;
      // Just before the spread copies A again, an instance that has seen the link spread saves A.
      savedInShard = true;
      const knowing = new TableStorageLedger(client, LAYOUT);
      await knowing.listLinkTables(link);
      await knowing.saveLinkTables(link, [record("A", ["r1"], "Replicating")]);
    });
    await new TableStorageLedger(copier, LAYOUT).claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4);
    expect([savedDuringCopy, savedInShard]).toEqual([true, true]);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Replicating",
      "B Pending",
      "C Pending",
      "D Pending",
    ]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
  });

  it("keeps a save whose write lands after the spread read the link's rows again and before it deleted them", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    await ledger.recordRequest(request("r2", ["D"]), NOW);
    const atDelete = gate();
    const saveLanded = gate();
    const copier = intercepted(client, async (method, args) => {
      const [first] = method === "submitTransaction" ? (args[0] as [string][]) : [];
      if (first?.[0] !== "delete" || partitionOf(method, args) !== LINK_PARTITION) return;
      atDelete.open();
      await saveLanded.opened;
    });
    let held = false;
    const saver = intercepted(client, async (method, args) => {
      if (method !== "submitTransaction" || partitionOf(method, args) !== LINK_PARTITION || held) return;
      held = true;
      await atDelete.opened;
      return saveLanded.open;
    });
    // The save starts while the link is small; its write is held until the spread is about to delete.
    await Promise.all([
      new TableStorageLedger(saver, LAYOUT).saveLinkTables(link, [record("A", ["r1"], "Snapshotting")]),
      new TableStorageLedger(copier, LAYOUT).claimRequests(link, [record("D", ["r2"])], ["r2"], LATER, 4),
    ]);
    expect(held).toBe(true);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Snapshotting",
      "B Pending",
      "C Pending",
      "D Pending",
    ]);
    expect((await recordRows(client)).has(LINK_PARTITION)).toBe(false);
  });

  it("stops a copy that stalled past its lease before it writes over the copy that took it over", async () => {
    const { ledger, client } = newLedger();
    await claimAtShardAbove(ledger);
    const more = ["D", "E", "F", "G", "H", "I", "J"];
    await ledger.recordRequest(request("r2", more), NOW);
    const stalled = gate();
    const resume = gate();
    let copied = 0;
    let inFlight = 0;
    const slow = intercepted(client, async (method, args) => {
      if (method === "submitTransaction" && isShard(partitionOf(method, args))) {
        inFlight++;
        return () => {
          inFlight--;
          copied++;
        };
      }
      if (method === "getEntity" && args[1] === "shards" && copied > 0) {
        stalled.open();
        await resume.opened;
      }
    });
    const claim = () => more.map((name) => record(name, ["r2"]));
    const first = new TableStorageLedger(slow, LAYOUT).claimRequests(link, claim(), ["r2"], LATER, 10);
    await stalled.opened;
    while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // Past the lease the worker claims again (the first claim looks crashed), copies, and moves on.
    await ledger.claimRequests(link, claim(), ["r2"], "2026-01-05T08:16:00.000Z", 10);
    await ledger.saveLinkTables(link, [record("A", ["r1"], "Replicating")]);
    resume.open();
    await expect(first).rejects.toThrow(/taken over by another claim/);
    expect(names(await ledger.listLinkTables(link))).toEqual([
      "A Replicating",
      ...["B", "C", ...more].map((name) => `${name} Pending`),
    ]);
    expect(await client.getEntity(LINK_PARTITION, "shards")).toMatchObject({
      leftovers: false,
      shardCount: 4,
    });
    expect((await client.getEntity(LINK_PARTITION, "shards")).copying).toBeUndefined();
  });
});
