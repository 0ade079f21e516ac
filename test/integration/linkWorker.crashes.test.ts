/**
 * Accepted means done (issue 9): the host is killed at random points while a stream of requests
 * is recorded and worked on, some of them retried by their caller with the same Idempotency-Key
 * (so the same requestId). A kill happens right after a storage write lands and before the next
 * one: the write is kept, the rest of the invocation is lost, and the invocation runs again, as
 * the Functions host does for a queue message (redelivery) and the Durable extension for an
 * activity (re-dispatch). Every request must end, none may show a table status that contradicts
 * it, none may be lost, and no table may be added twice.
 */
import type { TableClient } from "@azure/data-tables";
import { demoSeed } from "../../dev/synapse-sim";
import { requestStatusOf, isTerminal } from "../../shared/domain/tableStatus";
import { getDependencies, useDependencies } from "../../shared/dependencies";
import { TableStorageLedger, type RecordLayout } from "../../shared/ledger/tableStorageLedger";
import { useLinkWorkerHarness, type LinkWorkerHarness } from "../support/linkWorkerHarness";

const start = useLinkWorkerHarness();
const TABLES = Array.from({ length: 24 }, (_, i) => `dbo.T${i}`);

const WRITES = new Set(["submitTransaction", "upsertEntity", "updateEntity", "createEntity", "deleteEntity"]);

class HostKilled extends Error {
  constructor(operation: string) {
    super(`host killed right after ${operation}`);
  }
}

/** A small seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Kills {
  count: number;
  /** Kills right after a write of a spread: the shards row, or a shard's partition. */
  inSpread: number;
}

/** Whether a write's arguments touch a spread (the link's shards row or one of its shard partitions). */
function touchesSpread(args: unknown[]): boolean {
  const entities = Array.isArray(args[0])
    ? (args[0] as [string, { partitionKey?: string; rowKey?: string }][]).map(([, e]) => e)
    : typeof args[0] === "string"
      ? [{ partitionKey: args[0], rowKey: String(args[1]) }]
      : [args[0] as { partitionKey?: string; rowKey?: string }];
  return entities.some((e) => e.rowKey === "shards" || (e.partitionKey ?? "").includes("|"));
}

/**
 * The ledger's table client, killing the host after a write with the given probability while
 * armed; `killed` runs after each kill (the next invocation gets a new ledger, as after a restart).
 */
function killingClient(
  client: TableClient,
  chance: () => boolean,
  kills: Kills,
  killed: () => void = () => undefined,
): TableClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function" || !WRITES.has(String(property))) return value;
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (chance()) {
          kills.count++;
          if (touchesSpread(args)) kills.inSpread++;
          killed();
          throw new HostKilled(String(property));
        }
        return result;
      };
    },
  });
}

/** Redelivers like the queue: a killed invocation runs again until it completes. */
async function untilDone<T>(attempt: () => Promise<T>, redeliveries: { count: number }): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof HostKilled)) throw error;
      redeliveries.count++;
    }
  }
}

async function settle(h: LinkWorkerHarness): Promise<void> {
  // Reconcile is the timer that restarts a worker whose instance ended with work left.
  for (let round = 0; round < 5; round++) {
    await h.driver.run();
    await h.reconcile();
  }
  await h.driver.run();
}

/** The stream of requests, killed at random points; what the requests and the service ended with. */
async function runThroughKills(h: LinkWorkerHarness, layout?: RecordLayout) {
  const next = random(20261130);
  const kills: Kills = { count: 0, inSpread: 0 };
  const redeliveries = { count: 0 };
  let armed = true;
  const client = (getDependencies().ledger as unknown as { client: TableClient }).client;
  // A new ledger after every kill: nothing an instance remembers (a link seen spread) survives it.
  const restart = (): void => {
    useDependencies({
      ...getDependencies(),
      ledger: new TableStorageLedger(
        killingClient(client, () => armed && next() < 0.16, kills, restart),
        ...(layout ? [layout] : []),
      ),
    });
  };
  restart();

  const tables = TABLES;
  const ids: string[] = [];
  for (let i = 0; i < tables.length; i += 2) {
    const pair = tables.slice(i, i + 2);
    const id = await untilDone(() => h.submit(pair, { requestId: `crash-${i}` }), redeliveries);
    ids.push(id);
    // Every third caller retries with its Idempotency-Key: the same requestId again.
    if (i % 3 === 0) await untilDone(() => h.submit(pair, { requestId: `crash-${i}` }), redeliveries);
    if (i % 6 === 4) await h.driver.run({ maxVirtualMs: 30_000 });
  }
  await settle(h);
  armed = false;
  await settle(h);

  const views = await Promise.all(ids.map((id) => getDependencies().ledger.getRequest(id)));
  const lost = ids.filter((_, i) => views[i] === undefined);
  const unfinished = views.filter((v) => v && !isTerminal(v.tables[0]?.status ?? "Pending"));
  const contradicting = views.filter(
    (v) => v && (v.status !== requestStatusOf(v.tables.map((t) => t.status)) || v.status === "InProgress"),
  );
  const addedTwice = Object.entries(h.addsPerTable()).filter(([, adds]) => adds > 1);
  console.log(
    `crash test${layout ? ` (records spread over shards; ${kills.inSpread} kills in the spread)` : ""}: ${kills.count} host kills, ` +
      `${redeliveries.count} redeliveries of a killed intake, ` +
      `${ids.length} requests (${Math.ceil(ids.length / 2)} retried with their key): ` +
      `${views.filter((v) => v?.status === "Succeeded").length} Succeeded, ${lost.length} lost, ` +
      `${unfinished.length} unfinished, ${contradicting.length} contradicting, ${addedTwice.length} tables added twice`,
  );
  return { client, ids, views, kills, lost, contradicting, addedTwice };
}

describe("link worker: killed at random points", () => {
  it("ends every request with statuses that agree, loses none and adds no table twice, through 20+ kills", async () => {
    const seed = demoSeed();
    seed.sourceTables.push(...TABLES.map((t) => ({ schema: "dbo", name: t.slice(4), primaryKey: ["Id"] })));
    const h = await start(seed);
    const { ids, views, kills, lost, contradicting, addedTwice } = await runThroughKills(h);
    expect(kills.count).toBeGreaterThanOrEqual(20);
    expect(lost).toEqual([]);
    expect(contradicting.map((v) => v?.requestId)).toEqual([]);
    expect(views.map((v) => v?.status)).toEqual(ids.map(() => "Succeeded"));
    expect(addedTwice).toEqual([]);
  });

  it("does the same while the link grows past shardAbove and its records are spread over shards", async () => {
    const seed = demoSeed();
    seed.sourceTables.push(...TABLES.map((t) => ({ schema: "dbo", name: t.slice(4), primaryKey: ["Id"] })));
    const h = await start(seed);
    const { client, ids, views, kills, lost, contradicting, addedTwice } = await runThroughKills(h, {
      shardAbove: 7,
      shardCount: 3,
    });
    expect(kills.count).toBeGreaterThanOrEqual(20);
    // The seed must keep some kills inside the spread, or the scenario tests nothing new.
    expect(kills.inSpread).toBeGreaterThanOrEqual(1);
    expect(lost).toEqual([]);
    expect(contradicting.map((v) => v?.requestId)).toEqual([]);
    expect(views.map((v) => v?.status)).toEqual(ids.map(() => "Succeeded"));
    expect(addedTwice).toEqual([]);
    // Spread, and nothing left behind in the link's own partition.
    const records = new Map<string, string[]>();
    for await (const row of client.listEntities()) {
      if (!row.rowKey?.startsWith("t_") || !row.partitionKey?.startsWith("link_")) continue;
      records.set(row.partitionKey, [...(records.get(row.partitionKey) ?? []), row.rowKey]);
    }
    expect([...records.keys()].sort()).toEqual([0, 1, 2].map((shard) => `link_demo_demo-link|${shard}`));
    expect([...records.values()].flat()).toHaveLength(TABLES.length);
  });
});
