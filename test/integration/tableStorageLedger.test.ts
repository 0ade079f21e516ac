import { TableClient } from "@azure/data-tables";
import { resolveTarget } from "../../shared/domain/tableTarget";
import type { LinkTableRecord, OnboardingRequest } from "../../shared/ledger/ledger";
import { TableStorageLedger } from "../../shared/ledger/tableStorageLedger";
import { linkTableRecord } from "../unit/worker/workerTestKit";
import { useAzurite } from "../support/azurite";
import { watchTableTraffic } from "../support/tableTraffic";

const azurite = useAzurite();
let counter = 0;

function newLedgerWithClient(): { ledger: TableStorageLedger; client: TableClient } {
  const client = TableClient.fromConnectionString(azurite.connectionString, `ledgertest${++counter}`, {
    allowInsecureConnection: true,
  });
  return { ledger: new TableStorageLedger(client), client };
}

/** Every row whose RowKey starts with `prefix` (r_ markers, q_ index rows), in any partition. */
async function rowsOf(client: TableClient, prefix: string) {
  const rows: ({ partitionKey?: string; rowKey?: string } & Record<string, unknown>)[] = [];
  for await (const row of client.listEntities()) if (row.rowKey?.startsWith(prefix)) rows.push(row);
  return rows;
}

function newLedger(): TableStorageLedger {
  const client = TableClient.fromConnectionString(azurite.connectionString, `ledgertest${++counter}`, {
    allowInsecureConnection: true,
  });
  return new TableStorageLedger(client);
}

const NOW = "2026-01-05T08:00:00.000Z";
const link = { workspace: "demo", linkConnection: "demo-link" };

function request(requestId: string, names: string[]): OnboardingRequest {
  return {
    ...link,
    requestId,
    action: "add",
    origin: { kind: "http", id: requestId },
    receivedAt: NOW,
    tables: names.map((n) => {
      const [schema = "", name = ""] = n.split(".");
      return { source: { schema, name }, target: resolveTarget({ schema, name }, undefined) };
    }),
  };
}

describe("TableStorageLedger (Azurite)", () => {
  it("records a request once and shows its tables in the order asked", async () => {
    const ledger = newLedger();
    expect(await ledger.recordRequest(request("r1", ["dbo.Zeta", "dbo.Alpha"]), NOW)).toBe("created");
    expect(await ledger.recordRequest(request("r1", ["dbo.Zeta", "dbo.Alpha"]), NOW)).toBe("exists");
    const view = await ledger.getRequest("r1");
    expect(view).toMatchObject({
      requestId: "r1",
      status: "Queued",
      workspace: "demo",
      linkConnection: "demo-link",
    });
    expect(view?.tables.map((t) => [t.name, t.status])).toEqual([
      ["Zeta", "Pending"],
      ["Alpha", "Pending"],
    ]);
    expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId)).toEqual(["r1"]);
  });

  it("lists only markers flagged unclaimed for a claim that reads what is new, and an earlier version's markers too for a sweep", async () => {
    const { ledger, client } = newLedgerWithClient();
    for (const id of ["r1", "r2", "r3"]) await ledger.recordRequest(request(id, [`dbo.${id}`]), NOW);
    await ledger.markClaimed(link, "r1", NOW);
    // r3's marker as an earlier version wrote it: no claimed property until claimed.
    const [legacy] = (await rowsOf(client, "r_")).filter((r) => r.rowKey === "r_r3");
    const {
      claimed: _claimed,
      etag: _etag,
      timestamp: _timestamp,
      ...withoutFlag
    } = legacy as Record<string, unknown>;
    await client.upsertEntity(withoutFlag as { partitionKey: string; rowKey: string }, "Replace");

    const ids = async (scope?: "all" | "flagged") =>
      (await ledger.listQueuedRequests(link, scope)).map((r) => r.requestId);
    expect(await ids("flagged")).toEqual(["r2"]);
    expect(await ids("all")).toEqual(["r2", "r3"]);
    expect(await ids()).toEqual(["r2", "r3"]);
  });

  it("returns undefined for an unknown request", async () => {
    expect(await newLedger().getRequest("nope")).toBeUndefined();
  });

  it("ignores a table status for a request it does not hold, and still sets the request's other tables", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r1", ["dbo.A", "dbo.C"]), NOW);
    const table = { schema: "dbo", name: "A", status: "Replicating" as const };
    await ledger.setRequestTableStatuses(
      [
        { requestId: "gone", table },
        { requestId: "r1", table: { ...table, name: "B" } },
        { requestId: "r1", table },
      ],
      NOW,
    );
    expect((await ledger.getRequest("r1"))?.tables.map((t) => `${t.name} ${t.status}`)).toEqual([
      "A Replicating",
      "C Pending",
    ]);
  });

  it("sets the tables of many requests in one transaction per request, the last status given for a table winning", async () => {
    const { ledger, client } = newLedgerWithClient();
    const traffic = watchTableTraffic(client);
    const names = Array.from({ length: 150 }, (_, i) => `dbo.T${i}`);
    await ledger.recordRequest(request("r1", names), NOW);
    await ledger.recordRequest(request("r2", ["dbo.A"]), NOW);
    traffic.reset();
    await ledger.setRequestTableStatuses(
      [
        ...names.map((n) => ({
          requestId: "r1",
          table: { schema: "dbo", name: n.slice(4), status: "Rejected" as const, error: "full" },
        })),
        {
          requestId: "r2",
          table: { schema: "dbo", name: "A", status: "Failed" as const, error: "superseded" },
        },
        { requestId: "r2", table: { schema: "dbo", name: "A", status: "Replicating" as const } },
      ],
      NOW,
    );
    // 150 rows and the head in two transactions, and one for r2: not a round trip per table.
    expect(traffic.methods).toHaveLength(3);
    const r1 = await ledger.getRequest("r1");
    expect(new Set(r1?.tables.map((t) => `${t.status} ${t.error ?? ""}`))).toEqual(
      new Set(["Rejected full"]),
    );
    expect((await ledger.getRequest("r2"))?.tables).toEqual([
      { schema: "dbo", name: "A", status: "Replicating" },
    ]);
  });

  it("keeps identifiers that table keys forbid (/ # ? and quotes) intact", async () => {
    const ledger = newLedger();
    const odd = request("r/2#?'", ["we'ird.Ta/ble#1"]);
    await ledger.recordRequest(odd, NOW);
    const view = await ledger.getRequest("r/2#?'");
    expect(view?.tables[0]).toMatchObject({ schema: "we'ird", name: "Ta/ble#1" });
    const queued = await ledger.listQueuedRequests(link);
    expect(queued[0]?.tables[0]?.source).toEqual({ schema: "we'ird", name: "Ta/ble#1" });
  });

  it("moves a request from queued to open on claim, and closes it on completion", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r3", ["dbo.A"]), NOW);
    expect(await ledger.countRequests(link)).toEqual({ queued: 1, open: 0 });
    await ledger.markClaimed(link, "r3", NOW);
    expect(await ledger.listQueuedRequests(link)).toEqual([]);
    expect((await ledger.listOpenRequests(link)).map((r) => r.requestId)).toEqual(["r3"]);
    expect(await ledger.countRequests(link)).toEqual({ queued: 0, open: 1 });
    expect((await ledger.getRequest("r3"))?.status).toBe("InProgress");
    await ledger.completeRequest(
      link,
      "r3",
      "Succeeded",
      [{ schema: "dbo", name: "A", status: "Replicating" }],
      NOW,
    );
    expect(await ledger.countRequests(link)).toEqual({ queued: 0, open: 0 });
    expect((await ledger.getRequest("r3"))?.status).toBe("Succeeded");
  });

  it("runs a completion's report after the request's own rows are written and before it leaves the open list", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r3b", ["dbo.A"]), NOW);
    await ledger.markClaimed(link, "r3b", NOW);
    const seen: string[] = [];
    await ledger.completeRequestBatch(
      link,
      [
        {
          requestId: "r3b",
          status: "Succeeded",
          tables: [{ schema: "dbo", name: "A", status: "Replicating" }],
        },
      ],
      NOW,
      async () => {
        const open = (await ledger.listOpenRequests(link)).map((r) => r.requestId);
        seen.push(`${(await ledger.getRequest("r3b"))?.status}; open ${open.join()}`);
      },
    );
    expect(seen).toEqual(["Succeeded; open r3b"]);
    expect(await ledger.countRequests(link)).toEqual({ queued: 0, open: 0 });
  });

  it("mirrors a link table's status into every request waiting on it, clipping huge errors", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r4", ["dbo.A"]), NOW);
    await ledger.recordRequest(request("r5", ["dbo.A", "dbo.B"]), NOW);
    const record: LinkTableRecord = {
      source: { schema: "dbo", name: "A" },
      target: resolveTarget({ schema: "dbo", name: "A" }, undefined),
      action: "add",
      status: "Failed",
      requestIds: ["r4", "r5"],
      attempts: 2,
      enabledOnceRetries: 0,
      error: "x".repeat(100_000),
      updatedAt: NOW,
    };
    await ledger.saveLinkTables(link, [record]);
    const [saved] = await ledger.listLinkTables(link);
    expect(saved).toMatchObject({ status: "Failed", requestIds: ["r4", "r5"], attempts: 2 });
    expect(saved?.error?.endsWith("(truncated)")).toBe(true);
    expect((await ledger.getRequest("r4"))?.tables[0]?.status).toBe("Failed");
    expect((await ledger.getRequest("r5"))?.tables.map((t) => t.status)).toEqual(["Failed", "Pending"]);
  });

  it("keeps a table's sending mark until a save without it clears it", async () => {
    const ledger = newLedger();
    const record = linkTableRecord("A", { requestIds: [], updatedAt: NOW });
    await ledger.saveLinkTables(link, [{ ...record, sendingAt: NOW }]);
    expect((await ledger.listLinkTables(link, ["Pending"]))[0]?.sendingAt).toBe(NOW);
    await ledger.saveLinkTables(link, [{ ...record, status: "Adding" }]);
    expect((await ledger.listLinkTables(link))[0]).not.toHaveProperty("sendingAt");
  });

  it("saves records the link's partition holds and one it does not in one call, replacing the held ones", async () => {
    const ledger = newLedger();
    const held = ["A", "B"].map((name) => linkTableRecord(name, { requestIds: [], error: "earlier" }));
    await ledger.saveLinkTables(link, held);
    const fresh = linkTableRecord("C", { requestIds: [] });
    const adding = held.map(({ error: _error, ...r }) => ({ ...r, status: "Adding" as const }));
    await ledger.saveLinkTables(link, [...adding, fresh]);
    const saved = await ledger.listLinkTables(link);
    expect(saved.map((r) => `${r.source.name} ${r.status}`).sort()).toEqual([
      "A Adding",
      "B Adding",
      "C Pending",
    ]);
    // Replaced, not merged: the error the earlier save wrote is gone.
    expect(saved.filter((r) => r.error !== undefined)).toEqual([]);
  });

  it("saves more than one transaction's worth (100) of link tables", async () => {
    const ledger = newLedger();
    const records: LinkTableRecord[] = Array.from({ length: 250 }, (_, i) => ({
      source: { schema: "dbo", name: `T${i}` },
      target: resolveTarget({ schema: "dbo", name: `T${i}` }, undefined),
      action: "add",
      status: "Pending",
      requestIds: [],
      attempts: 0,
      enabledOnceRetries: 0,
      updatedAt: NOW,
    }));
    await ledger.saveLinkTables(link, records);
    expect(await ledger.listLinkTables(link)).toHaveLength(250);
  });

  it("lists a link with a recorded request as open, and closes it only if no request was recorded since it was read", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    const [open] = await ledger.listOpenLinks();
    expect(open).toMatchObject({ link, touchedAt: NOW });

    await ledger.recordRequest(request("r2", ["dbo.B"]), NOW);
    expect(await ledger.closeOpenLink(link, open!.etag)).toBe(false);
    const fresh = await ledger.getOpenLink(link);
    expect(await ledger.closeOpenLink(link, fresh!.etag)).toBe(true);
    expect(await ledger.listOpenLinks()).toEqual([]);
  });

  it("re-queues a redelivered request that is still Queued, so a crash after its first write does not strand it", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    const [open] = await ledger.listOpenLinks();
    await ledger.closeOpenLink(link, open!.etag);
    expect(await ledger.recordRequest(request("r1", ["dbo.A"]), NOW)).toBe("exists");
    expect(await ledger.listOpenLinks()).toHaveLength(1);
    expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId)).toEqual(["r1"]);
  });

  it("does not bring back the marker of a request the worker completed while a redelivery was being recorded", async () => {
    const { ledger, client } = newLedgerWithClient();
    await ledger.recordRequest(request("r1b", ["dbo.A"]), NOW);
    await ledger.markClaimed(link, "r1b", NOW);
    // The redelivery read the request's head as Queued; then the worker completed it and deleted its
    // marker (the head's final write is not what this redelivery saw).
    const [marker] = await rowsOf(client, "r_");
    await client.deleteEntity(marker!.partitionKey!, marker!.rowKey!);
    expect(await ledger.recordRequest(request("r1b", ["dbo.A"]), NOW)).toBe("exists");
    expect(await rowsOf(client, "r_")).toEqual([]);
    expect(await ledger.countRequests(link)).toEqual({ queued: 0, open: 0 });
  });

  it("writes the marker on a redelivery when the first delivery stopped before it", async () => {
    const { ledger, client } = newLedgerWithClient();
    await ledger.recordRequest(request("r1c", ["dbo.A"]), NOW);
    // As if the first delivery stopped after the request's own rows: no marker, no link index row.
    for (const row of [...(await rowsOf(client, "r_")), ...(await rowsOf(client, "q_"))]) {
      await client.deleteEntity(row.partitionKey!, row.rowKey!);
    }
    expect(await ledger.recordRequest(request("r1c", ["dbo.A"]), NOW)).toBe("exists");
    expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId)).toEqual(["r1c"]);
    expect((await ledger.listRequestIndex({ link, limit: 10 })).items.map((e) => e.requestId)).toEqual([
      "r1c",
    ]);
  });

  it("writes a rejected request's index rows again when it is recorded again, in case a crash came before them", async () => {
    const { ledger, client } = newLedgerWithClient();
    const rejected = request("r1d", ["dbo.A"]);
    await ledger.recordRejectedRequest(rejected, "no such link", NOW);
    for (const row of await rowsOf(client, "q_")) await client.deleteEntity(row.partitionKey!, row.rowKey!);
    expect((await ledger.listRequestIndex({ limit: 10 })).items).toEqual([]);
    expect(await ledger.recordRejectedRequest(rejected, "no such link", NOW)).toBe("exists");
    expect((await ledger.listRequestIndex({ limit: 10 })).items.map((e) => e.requestId)).toEqual(["r1d"]);
    expect((await ledger.listRequestIndex({ link, limit: 10 })).items.map((e) => e.requestId)).toEqual([
      "r1d",
    ]);
  });

  it.each([0, 1])(
    "cuts a marker's long table list between characters, never inside a surrogate pair (offset %i)",
    async (offset) => {
      const { ledger, client } = newLedgerWithClient();
      // Names of characters outside the BMP (two UTF-16 units each): the list passes 30,000 units.
      const names = Array.from(
        { length: 300 },
        (_, i) => `dbo.${i === 0 ? "x".repeat(offset) : ""}${"𝒯".repeat(60)}${i}`,
      );
      await ledger.recordRequest(request(`r-pairs-${offset}`, names), NOW);
      const [marker] = (await rowsOf(client, "r_")) as Record<string, unknown>[];
      const parts = Object.keys(marker!).filter((k) => /^tables\d+$/.test(k));
      expect(parts.length).toBeGreaterThan(1);
      for (const key of parts) {
        const part = marker![key] as string;
        expect(/[\ud800-\udbff]$/.test(part) || /^[\udc00-\udfff]/.test(part)).toBe(false);
      }
      const [queued] = await ledger.listQueuedRequests(link);
      expect(queued?.tables.map((t) => `${t.source.schema}.${t.source.name}`)).toEqual(names);
    },
  );

  it("clips a rejected request's reason on its table rows shorter than on the request, so 100 rows fit one transaction", async () => {
    const ledger = newLedger();
    const names = Array.from({ length: 100 }, (_, i) => `dbo.T${i}`);
    await ledger.recordRejectedRequest(request("r-long-reason", names), "字".repeat(40_000), NOW);
    const view = await ledger.getRequest("r-long-reason");
    expect(view?.status).toBe("Rejected");
    expect(view?.error?.length).toBeGreaterThan(30_000);
    expect(view?.tables).toHaveLength(100);
    for (const table of view?.tables ?? []) {
      expect(table.error).toMatch(/^字{10000}… \(truncated\)$/);
      // 100 such rows: about 3 MB of UTF-8, within the 4 MiB a transaction may carry.
      expect(Buffer.byteLength(table.error ?? "") * 100).toBeLessThan(3.5e6);
    }
  });

  it("keeps a workspace's breaker with optimistic concurrency: only one of two writers with the same version wins", async () => {
    const ledger = newLedger();
    expect(await ledger.getBreaker("demo")).toEqual({ state: { failures: 0 } });
    await ledger.saveBreaker("demo", { failures: 5, openUntil: NOW, lastError: "HTTP 503" });
    const read = await ledger.getBreaker("demo");
    expect(read.state).toEqual({ failures: 5, openUntil: NOW, lastError: "HTTP 503" });
    const first = await ledger.saveBreaker(
      "demo",
      { ...read.state, openUntil: "2026-01-05T08:02:00.000Z" },
      read.etag,
    );
    const second = await ledger.saveBreaker(
      "demo",
      { ...read.state, openUntil: "2026-01-05T08:02:00.000Z" },
      read.etag,
    );
    expect([first, second]).toEqual([true, false]);
  });

  it("stores the worker's health on the link and clears the fault on recovery", async () => {
    const ledger = newLedger();
    await ledger.saveWorkerHealth(link, {
      fault: "boom",
      faultAt: NOW,
      retryAt: NOW,
      consecutiveFaults: 2,
      updatedAt: NOW,
    });
    expect(await ledger.getWorkerHealth(link)).toEqual({
      fault: "boom",
      faultAt: NOW,
      retryAt: NOW,
      consecutiveFaults: 2,
      updatedAt: NOW,
    });
    await ledger.saveWorkerHealth(link, { consecutiveFaults: 0, updatedAt: NOW });
    expect(await ledger.getWorkerHealth(link)).toEqual({ consecutiveFaults: 0, updatedAt: NOW });
    const waiting = {
      consecutiveFaults: 0,
      waitingFor: "waiting for SQL pool dw (Paused)",
      waitingSince: NOW,
      waitSeenAt: NOW,
      warning: "connected to git",
      updatedAt: NOW,
    };
    await ledger.saveWorkerHealth(link, waiting);
    expect(await ledger.getWorkerHealth(link)).toEqual(waiting);
    // The health row lives in the link partition but is not a table record.
    expect(await ledger.listLinkTables(link)).toEqual([]);
  });

  it("reads a table record stored by an earlier version with the action spelled readd as reAdd", async () => {
    const ledger = newLedger();
    const record: LinkTableRecord = {
      source: { schema: "dbo", name: "A" },
      target: resolveTarget({ schema: "dbo", name: "A" }, undefined),
      action: "reAdd",
      status: "Pending",
      requestIds: [],
      attempts: 1,
      enabledOnceRetries: 0,
      updatedAt: NOW,
    };
    await ledger.saveLinkTables(link, [record]);
    const client = TableClient.fromConnectionString(azurite.connectionString, `ledgertest${counter}`, {
      allowInsecureConnection: true,
    });
    for await (const row of client.listEntities<{ action: string }>({
      queryOptions: { filter: "RowKey ge 't_' and RowKey lt 't`'" },
    })) {
      await client.updateEntity(
        { partitionKey: row.partitionKey ?? "", rowKey: row.rowKey ?? "", action: "readd" },
        "Merge",
      );
    }
    expect((await ledger.listLinkTables(link))[0]?.action).toBe("reAdd");
  });

  it("counts an earlier version's request marker (no tables on it) only when its request can be read", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("b1", ["dbo.A"]), NOW);
    const client = TableClient.fromConnectionString(azurite.connectionString, `ledgertest${counter}`, {
      allowInsecureConnection: true,
    });
    // Earlier versions wrote markers that name the request only; one of them lost its request.
    const partitionKey = "link_demo_demo-link";
    await client.upsertEntity({ partitionKey, rowKey: "r_b1", requestId: "b1", queuedAt: NOW }, "Replace");
    await client.createEntity({ partitionKey, rowKey: "r_ghost", requestId: "ghost", queuedAt: NOW });
    await client.createEntity({
      partitionKey,
      rowKey: "r_claimedGhost",
      requestId: "claimedGhost",
      queuedAt: NOW,
      claimed: true,
    });

    expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId)).toEqual(["b1"]);
    expect(await ledger.countRequests(link)).toEqual({ queued: 1, open: 0 });
  });

  it("tells the first request recorded since the worker's last claim to nudge it, and none of the next ones", async () => {
    const ledger = newLedger();
    expect(await ledger.recordRequestAndNudge(request("n1", ["dbo.A"]), NOW)).toEqual({
      recorded: "created",
      nudge: true,
    });
    expect(await ledger.recordRequestAndNudge(request("n2", ["dbo.B"]), NOW)).toEqual({
      recorded: "created",
      nudge: false,
    });
    await ledger.clearNudge(link);
    const [third, fourth] = await Promise.all([
      ledger.recordRequestAndNudge(request("n3", ["dbo.C"]), NOW),
      ledger.recordRequestAndNudge(request("n4", ["dbo.D"]), NOW),
    ]);
    expect([third.nudge, fourth.nudge].sort()).toEqual([false, true]);
    expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId).sort()).toEqual([
      "n1",
      "n2",
      "n3",
      "n4",
    ]);
    expect(await ledger.listOpenLinks()).toHaveLength(1);
  });

  it("shows a request's tables as the link's records say, and InProgress once claimed, until it completes", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("v1", ["dbo.A", "dbo.B"]), NOW);
    const later = "2026-01-05T08:05:00.000Z";
    await ledger.claimRequests(
      link,
      [
        {
          source: { schema: "dbo", name: "A" },
          target: resolveTarget({ schema: "dbo", name: "A" }, undefined),
          action: "add",
          status: "Snapshotting",
          requestIds: ["v1"],
          attempts: 0,
          enabledOnceRetries: 0,
          updatedAt: later,
        },
      ],
      ["v1"],
      later,
    );
    expect(await ledger.getRequest("v1")).toMatchObject({
      status: "InProgress",
      updatedAt: later,
      tables: [
        { name: "A", status: "Snapshotting" },
        { name: "B", status: "Pending" },
      ],
    });
    expect((await ledger.listOpenRequests(link)).map((r) => [r.requestId, r.tables.length])).toEqual([
      ["v1", 2],
    ]);
  });

  it("lets one caller nudge a link between two claims, and keeps the flag when more requests are recorded", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    expect(await ledger.takeNudge(link, NOW)).toBe(true);
    await ledger.recordRequest(request("r2", ["dbo.B"]), NOW);
    expect(await ledger.takeNudge(link, NOW)).toBe(false);
    await ledger.clearNudge(link);
    expect(await ledger.takeNudge(link, NOW)).toBe(true);
  });

  describe("accepted means done (issue 9)", () => {
    const replicating = (name: string, requestIds: string[]): LinkTableRecord => ({
      source: { schema: "dbo", name },
      target: resolveTarget({ schema: "dbo", name }, undefined),
      action: "add",
      status: "Replicating",
      requestIds,
      attempts: 0,
      enabledOnceRetries: 0,
      updatedAt: NOW,
    });

    it("leaves a request's tables as the worker left them when the same request is recorded again", async () => {
      const ledger = newLedger();
      await ledger.recordRequest(request("k1", ["dbo.Products"]), NOW);
      await ledger.markClaimed(link, "k1", NOW);
      await ledger.saveLinkTables(link, [replicating("Products", ["k1"])]);
      await ledger.completeRequest(
        link,
        "k1",
        "Succeeded",
        [{ schema: "dbo", name: "Products", status: "Replicating" }],
        NOW,
      );

      expect(await ledger.recordRequest(request("k1", ["dbo.Products"]), NOW)).toBe("exists");
      const view = await ledger.getRequest("k1");
      expect(view?.status).toBe("Succeeded");
      expect(view?.tables.map((t) => t.status)).toEqual(["Replicating"]);
    });

    it("records a request of 150 tables whole, and a repeat rewrites none of them", async () => {
      const ledger = newLedger();
      const names = Array.from({ length: 150 }, (_, i) => `dbo.T${i}`);
      expect(await ledger.recordRequest(request("big", names), NOW)).toBe("created");
      await ledger.markClaimed(link, "big", NOW);
      // Its own rows hold the worker's statuses (completed), so a rewrite would show.
      const tables = names.map((n, i) => ({
        schema: "dbo",
        name: n.slice(4),
        status: i === 0 || i === 149 ? ("Replicating" as const) : ("Failed" as const),
      }));
      await ledger.completeRequestBatch(
        link,
        [{ requestId: "big", status: "PartiallySucceeded", tables }],
        NOW,
      );
      expect(await ledger.recordRequest(request("big", names), NOW)).toBe("exists");
      const view = await ledger.getRequest("big");
      expect(view?.tables).toHaveLength(150);
      expect(view?.status).toBe("PartiallySucceeded");
      expect(view?.tables[0]?.status).toBe("Replicating");
      expect(view?.tables[149]?.status).toBe("Replicating");
      expect(view?.tables[1]?.status).toBe("Failed");
    });

    it("records tables whose URI-encoded names are longer than a table key (128 CJK characters each)", async () => {
      const ledger = newLedger();
      const schema = "架".repeat(128);
      const name = "表".repeat(128);
      expect(await ledger.recordRequest(request("cjk", [`${schema}.${name}`]), NOW)).toBe("created");
      await ledger.setDetached(link, { schema, name }, true, NOW);
      expect(await ledger.isDetached(link, { schema, name })).toBe(true);
      const view = await ledger.getRequest("cjk");
      expect(view?.tables).toEqual([{ schema, name, status: "Pending" }]);
      await ledger.saveLinkTables(link, [{ ...replicating(name, ["cjk"]), source: { schema, name } }]);
      expect((await ledger.getRequest("cjk"))?.tables[0]?.status).toBe("Replicating");
    });

    it("treats DEMO-LINK in workspace DEMO and demo-link in demo as one link", async () => {
      const ledger = newLedger();
      await ledger.recordRequest({ ...request("lower", ["dbo.A"]) }, NOW);
      await ledger.recordRequest(
        { ...request("upper", ["dbo.B"]), workspace: "DEMO", linkConnection: "DEMO-LINK" },
        NOW,
      );
      expect((await ledger.listQueuedRequests(link)).map((r) => r.requestId).sort()).toEqual([
        "lower",
        "upper",
      ]);
      expect(await ledger.listOpenLinks()).toHaveLength(1);
      await ledger.setDetached(
        { workspace: "Demo", linkConnection: "Demo-Link" },
        { schema: "dbo", name: "A" },
        true,
        NOW,
      );
      expect(await ledger.isDetached(link, { schema: "dbo", name: "A" })).toBe(true);
    });

    it("writes a completed request's table statuses together with its status", async () => {
      const ledger = newLedger();
      await ledger.recordRequest(request("c1", ["dbo.A", "dbo.B"]), NOW);
      await ledger.markClaimed(link, "c1", NOW);
      // The link's records moved on but their mirror into the request was lost (a crash in between).
      await ledger.completeRequest(
        link,
        "c1",
        "PartiallySucceeded",
        [
          { schema: "dbo", name: "A", status: "Replicating" },
          { schema: "dbo", name: "B", status: "Failed", error: "boom" },
        ],
        NOW,
      );
      const view = await ledger.getRequest("c1");
      expect(view?.status).toBe("PartiallySucceeded");
      expect(view?.tables).toEqual([
        { schema: "dbo", name: "A", status: "Replicating" },
        { schema: "dbo", name: "B", status: "Failed", error: "boom" },
      ]);
      expect(await ledger.countRequests(link)).toEqual({ queued: 0, open: 0 });
    });
  });
});
