import type { LinkRef } from "../../../shared/domain/linkRef";
import {
  LINK_TABLES_SHARE_MS,
  shareLinkTableReads,
  sharedLinkTableReads,
} from "../../../shared/events/sharedLinkTableReads";
import type { LinkedTable } from "../../../shared/synapse/synapseLinkClient";

const DEMO: LinkRef = { workspace: "demo", linkConnection: "demo-link" };

function table(name: string): LinkedTable {
  return { id: name, source: { schema: "dbo", name } };
}

/** A Synapse port whose reads answer when the test says so; it records what was asked. */
function controllableSynapse() {
  const calls: LinkRef[] = [];
  const pending: { resolve: (tables: LinkedTable[]) => void; reject: (error: Error) => void }[] = [];
  return {
    calls,
    answer(tables: LinkedTable[]) {
      pending.shift()?.resolve(tables);
    },
    fail(error: Error) {
      pending.shift()?.reject(error);
    },
    listLinkTables(link: LinkRef): Promise<LinkedTable[]> {
      calls.push(link);
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
  };
}

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("sharedLinkTableReads", () => {
  it("makes one call for concurrent reads of one link, whatever the case of its names", async () => {
    const synapse = controllableSynapse();
    const reads = sharedLinkTableReads(synapse, { now: clock().now });
    const all = Promise.all([
      reads.listLinkTables(DEMO),
      reads.listLinkTables({ workspace: "DEMO", linkConnection: "DEMO-LINK" }),
      reads.listLinkTables({ workspace: "Demo", linkConnection: "Demo-Link" }),
    ]);
    synapse.answer([table("Orders")]);
    const [a, b, c] = await all;
    expect(synapse.calls).toHaveLength(1);
    expect(a).toEqual([table("Orders")]);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it("shares an answer with back-to-back reads inside the window and reads again after it", async () => {
    const synapse = controllableSynapse();
    const time = clock();
    const reads = sharedLinkTableReads(synapse, { shareMs: 5000, now: time.now });
    const first = reads.listLinkTables(DEMO);
    synapse.answer([table("Orders")]);
    await first;
    time.advance(4999);
    expect(await reads.listLinkTables(DEMO)).toEqual([table("Orders")]);
    expect(synapse.calls).toHaveLength(1);

    time.advance(1);
    const fresh = reads.listLinkTables(DEMO);
    synapse.answer([table("Orders"), table("Customers")]);
    expect(await fresh).toEqual([table("Orders"), table("Customers")]);
    expect(synapse.calls).toHaveLength(2);
  });

  it("counts the window from the answer, so a slow read is shared while in flight and fresh after", async () => {
    const synapse = controllableSynapse();
    const time = clock();
    const reads = sharedLinkTableReads(synapse, { shareMs: 5000, now: time.now });
    const first = reads.listLinkTables(DEMO);
    time.advance(20_000); // Synapse takes its time
    const second = reads.listLinkTables(DEMO);
    synapse.answer([table("Orders")]);
    expect(await second).toBe(await first);
    time.advance(4000);
    await reads.listLinkTables(DEMO);
    expect(synapse.calls).toHaveLength(1);
  });

  it("stops sharing a read still in flight after a minute, so a hung call does not hold later events", () => {
    const synapse = controllableSynapse();
    const time = clock();
    const reads = sharedLinkTableReads(synapse, { shareMs: 5000, now: time.now });
    void reads.listLinkTables(DEMO);
    time.advance(59_000);
    void reads.listLinkTables(DEMO);
    expect(synapse.calls).toHaveLength(1);
    time.advance(2_000);
    void reads.listLinkTables(DEMO);
    expect(synapse.calls).toHaveLength(2);
  });

  it("keeps no failure: the read that failed rejects for everyone waiting, the next one asks again", async () => {
    const synapse = controllableSynapse();
    const reads = sharedLinkTableReads(synapse, { now: clock().now });
    const waiting = [reads.listLinkTables(DEMO), reads.listLinkTables(DEMO)];
    synapse.fail(new Error("503 ServiceUnavailable"));
    for (const read of waiting) await expect(read).rejects.toThrow("503");
    const again = reads.listLinkTables(DEMO);
    synapse.answer([table("Orders")]);
    expect(await again).toEqual([table("Orders")]);
    expect(synapse.calls).toHaveLength(2);
  });

  it("reads each link on its own", async () => {
    const synapse = controllableSynapse();
    const reads = sharedLinkTableReads(synapse, { now: clock().now });
    const demo = reads.listLinkTables(DEMO);
    const other = reads.listLinkTables({ workspace: "demo", linkConnection: "other-link" });
    const elsewhere = reads.listLinkTables({ workspace: "prod", linkConnection: "demo-link" });
    synapse.answer([table("A")]);
    synapse.answer([table("B")]);
    synapse.answer([table("C")]);
    expect(await Promise.all([demo, other, elsewhere])).toEqual([[table("A")], [table("B")], [table("C")]]);
    expect(synapse.calls).toHaveLength(3);
  });

  it("keeps one sharer per client for the process, a few seconds long", () => {
    const client = controllableSynapse();
    expect(shareLinkTableReads(client)).toBe(shareLinkTableReads(client));
    expect(shareLinkTableReads(controllableSynapse())).not.toBe(shareLinkTableReads(client));
    expect(LINK_TABLES_SHARE_MS).toBeGreaterThanOrEqual(1000);
    expect(LINK_TABLES_SHARE_MS).toBeLessThanOrEqual(10_000);
  });
});
