/** The durable state store against Azurite Table storage: inline and multi-row states, skips, generations. */
import type { DriverSnapshot } from "../../dev/durable";
import {
  CHARS_PER_PROPERTY,
  DurableStateStore,
  PROPERTIES_PER_ENTITY,
} from "../../dev/host/durableStateStore";
import { useAzurite } from "../support/azurite";

const azurite = useAzurite();
let hubCounter = 0;

function snapshot(now: number, payload: string): DriverSnapshot {
  return {
    version: 1,
    now,
    seq: 7,
    invocations: 3,
    instances: [
      {
        name: "o",
        instanceId: "i1",
        runtimeStatus: "Running",
        input: payload,
        output: null,
        customStatus: null,
        createdAt: 0,
        lastUpdatedAt: 0,
        executions: 1,
        finishedHistoryLengths: [],
        generation: 1,
        history: [],
        leaves: [],
        nextId: 0,
        tasks: {},
        retryUnits: {},
      },
    ],
    queue: [],
  };
}

async function openStore(hub = `Hub${++hubCounter}`): Promise<DurableStateStore> {
  return new DurableStateStore({ connectionString: azurite.connectionString, taskHubName: hub }).open();
}

async function rowKeys(store: DurableStateStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const row of store.table.listEntities({
    queryOptions: { filter: `PartitionKey eq '${store.partitionKey}'` },
  })) {
    keys.push(row.rowKey!);
  }
  return keys.sort();
}

describe("durable state store (Azurite tables)", () => {
  it("loads nothing for a task hub that never saved", async () => {
    expect(await (await openStore()).load()).toBeUndefined();
  });

  it("round-trips a small state in the head row and restores the saved clock", async () => {
    const store = await openStore();
    expect(await store.save(snapshot(1_000, "small"))).toBe(true);
    expect(await rowKeys(store)).toEqual(["head"]);
    const reloaded = await (await openStore(store.partitionKey)).load();
    expect(reloaded).toEqual(snapshot(1_000, "small"));
  });

  it("skips a save when only the clock moved, and stores the clock alone with force", async () => {
    const store = await openStore();
    await store.save(snapshot(1_000, "same"));
    expect(await store.save(snapshot(5_000, "same"))).toBe(false);
    expect(store.saves).toBe(1);
    expect(await store.save(snapshot(5_000, "same"), { force: true })).toBe(true);
    expect((await (await openStore(store.partitionKey)).load())?.now).toBe(5_000);
  });

  it("splits a state larger than one entity across data rows, with non-BMP characters on chunk borders", async () => {
    const store = await openStore();
    // Over 2 entities' worth of chunks; emojis (surrogate pairs) everywhere, so some straddle chunk borders.
    const payload = "x😀".repeat(Math.ceil((CHARS_PER_PROPERTY * PROPERTIES_PER_ENTITY * 2.2) / 3));
    await store.save(snapshot(2_000, payload));
    const keys = await rowKeys(store);
    expect(keys.filter((k) => k.startsWith("g"))).toHaveLength(3);
    const reloaded = await (await openStore(store.partitionKey)).load();
    expect(reloaded?.instances[0]?.input).toBe(payload);
  });

  it("keeps only the current generation's rows after saving again (large → small → large)", async () => {
    const store = await openStore();
    const big = "y".repeat(CHARS_PER_PROPERTY * PROPERTIES_PER_ENTITY + 10);
    await store.save(snapshot(1, big));
    const firstRows = (await rowKeys(store)).filter((k) => k.startsWith("g"));
    await store.save(snapshot(2, "tiny"));
    expect(await rowKeys(store)).toEqual(["head"]);
    await store.save(snapshot(3, `${big}z`));
    const lastRows = (await rowKeys(store)).filter((k) => k.startsWith("g"));
    expect(lastRows).toHaveLength(2);
    expect(lastRows).not.toEqual(firstRows);
    expect((await (await openStore(store.partitionKey)).load())?.instances[0]?.input).toBe(`${big}z`);
  });

  it("keeps the task hubs apart", async () => {
    const a = await openStore();
    const b = await openStore();
    await a.save(snapshot(1, "from a"));
    expect(await (await openStore(b.partitionKey)).load()).toBeUndefined();
  });
});
