import type { LinkTableRecord } from "../../../shared/ledger/ledger";
import {
  claimPendingRequests,
  claimTable,
  MAX_REQUESTS_PER_TABLE,
  type TableClaim,
} from "../../../shared/worker/claimPendingRequests";
import { completeRequests } from "../../../shared/worker/completeRequests";
import { link, makeDeps, NOW, request } from "./workerTestKit";

describe("claimPendingRequests", () => {
  it("turns each queued request's tables into Pending link records and marks the requests InProgress", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A", "dbo.B"]), NOW);
    await ledger.recordRequest(request("r2", ["dbo.C"]), NOW);

    const result = await claimPendingRequests(deps, link, NOW);

    expect(result).toEqual({ claimedRequestIds: ["r1", "r2"], pendingTables: 3, releasedTables: 0 });
    expect((await ledger.getRequest("r1"))?.status).toBe("InProgress");
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Pending",
      action: "add",
      requestIds: ["r1"],
    });
    expect(await ledger.listQueuedRequests(link)).toEqual([]);
  });

  it("ends a request delivered late (replayed from the poison queue) as superseded when a later one already holds the table", async () => {
    const { ledger, deps } = makeDeps();
    const minutes = (n: number) => new Date(Date.parse(NOW) + n * 60_000).toISOString();
    await ledger.recordRequest(
      { ...request("remove-later", ["dbo.A"], "remove"), receivedAt: minutes(5) },
      minutes(5),
    );
    await claimPendingRequests(deps, link, minutes(5));
    // The add was received first, but its message met an outage and comes back ten minutes later.
    await ledger.recordRequest({ ...request("add-earlier", ["dbo.A"]), receivedAt: NOW }, minutes(15));
    await claimPendingRequests(deps, link, minutes(15));

    expect(ledger.record(link, "dbo.A")).toMatchObject({ action: "remove", requestIds: ["remove-later"] });
    await completeRequests(deps, link, minutes(15));
    const late = await ledger.getRequest("add-earlier");
    expect(late?.status).toBe("Failed");
    expect(late?.tables[0]?.error).toMatch(/^Superseded by a later request \(remove-later\)/);
  });

  it("gives a request delivered late the outcome of a later request that wanted the same and got it", async () => {
    const { ledger, deps } = makeDeps();
    const minutes = (n: number) => new Date(Date.parse(NOW) + n * 60_000).toISOString();
    await ledger.recordRequest({ ...request("add-later", ["dbo.A"]), receivedAt: minutes(5) }, minutes(5));
    await claimPendingRequests(deps, link, minutes(5));
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.A")!, status: "Replicating" }]);
    await completeRequests(deps, link, minutes(10));
    await ledger.recordRequest({ ...request("add-earlier", ["dbo.A"]), receivedAt: NOW }, minutes(15));
    await claimPendingRequests(deps, link, minutes(15));
    await completeRequests(deps, link, minutes(15));

    expect(await ledger.getRequest("add-earlier")).toMatchObject({
      status: "Succeeded",
      tables: [{ schema: "dbo", name: "A", status: "Replicating" }],
    });
  });

  it("keeps the target of the request received last and the time of the one received first, whatever order they are claimed in", async () => {
    const { ledger, deps } = makeDeps();
    const minutes = (n: number) => new Date(Date.parse(NOW) + n * 60_000).toISOString();
    const withTarget = (id: string, distribution: "Replicate" | "RoundRobin", receivedAt: string) => {
      const r = request(id, ["dbo.A"]);
      const [t] = r.tables;
      return { ...r, receivedAt, tables: [{ ...t!, target: { ...t!.target, distribution } }] };
    };
    // The later request is recorded first; the earlier one arrives late.
    await ledger.recordRequest(withTarget("newer", "Replicate", minutes(5)), minutes(5));
    await claimPendingRequests(deps, link, minutes(5));
    await ledger.recordRequest(withTarget("older", "RoundRobin", NOW), minutes(6));
    await claimPendingRequests(deps, link, minutes(6));

    expect(ledger.record(link, "dbo.A")).toMatchObject({
      requestIds: ["newer", "older"],
      target: expect.objectContaining({ distribution: "Replicate" }) as unknown,
      requestedAt: NOW,
      latestRequestAt: minutes(5),
    });
  });

  it("lets a later request joined to a record count as its latest: an earlier one delivered late does not undo both", async () => {
    const { ledger, deps } = makeDeps();
    const minutes = (n: number) => new Date(Date.parse(NOW) + n * 60_000).toISOString();
    await ledger.recordRequest({ ...request("a", ["dbo.A"]), receivedAt: NOW }, NOW);
    await claimPendingRequests(deps, link, NOW);
    await ledger.recordRequest({ ...request("c", ["dbo.A"]), receivedAt: minutes(10) }, minutes(10));
    await claimPendingRequests(deps, link, minutes(10));
    // A removal received between the two, delivered after both.
    await ledger.recordRequest({ ...request("b", ["dbo.A"], "remove"), receivedAt: minutes(5) }, minutes(20));
    await claimPendingRequests(deps, link, minutes(20));

    expect(ledger.record(link, "dbo.A")).toMatchObject({ action: "add", requestIds: ["a", "c"] });
    await completeRequests(deps, link, minutes(20));
    expect((await ledger.getRequest("b"))?.tables[0]?.error).toMatch(
      /^Superseded by a later request \(a, c\)/,
    );
  });

  it("lets a second request for a table in flight wait on the same record", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const record = ledger.record(link, "dbo.A")!;
    await ledger.saveLinkTables(link, [{ ...record, status: "Snapshotting" }]);

    await ledger.recordRequest(request("r2", ["dbo.A"]), NOW);
    const result = await claimPendingRequests(deps, link, NOW);

    expect(result.pendingTables).toBe(0);
    expect(ledger.record(link, "dbo.A")).toMatchObject({ status: "Snapshotting", requestIds: ["r1", "r2"] });
  });

  it("rejects a request's table when MAX_REQUESTS_PER_TABLE requests already wait on it, and the request still ends", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const waiting = Array.from({ length: MAX_REQUESTS_PER_TABLE }, (_, i) => `w${i}`);
    const record = ledger.record(link, "dbo.A")!;
    await ledger.saveLinkTables(link, [{ ...record, status: "Snapshotting", requestIds: waiting }]);

    await ledger.recordRequest(request("r2", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);

    expect(ledger.record(link, "dbo.A")?.requestIds).toHaveLength(MAX_REQUESTS_PER_TABLE);
    expect((await ledger.getRequest("r2"))?.tables).toEqual([
      {
        schema: "dbo",
        name: "A",
        status: "Rejected",
        error: expect.stringMatching(/^500 requests already wait on dbo\.A \(MAX_REQUESTS_PER_TABLE\)/),
      },
    ]);
    await completeRequests(deps, link, NOW);
    expect((await ledger.getRequest("r2"))?.status).toBe("Rejected");
  });

  it("replaces an operation in flight with a different one and tells the earlier request why", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.A")!, status: "Snapshotting" }]);

    await ledger.recordRequest(request("r2", ["dbo.A"], "remove"), NOW);
    // r1 may be done though no record changed: the worker sweeps its open requests next.
    expect((await claimPendingRequests(deps, link, NOW)).releasedTables).toBe(1);

    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Pending",
      action: "remove",
      requestIds: ["r2"],
    });
    const earlier = await ledger.getRequest("r1");
    expect(earlier?.tables[0]).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(/Superseded by request r2/),
    });
  });

  it("lets an add for a table under remediation join it, keeping the attempts, and both requests end with its outcome", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    // The add failed and the worker is re-adding it (remove, then add again).
    const failed = ledger.record(link, "dbo.A")!;
    await ledger.saveLinkTables(link, [{ ...failed, action: "reAdd", status: "Removing", attempts: 1 }]);

    await ledger.recordRequest(request("r2", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);

    expect(ledger.record(link, "dbo.A")).toMatchObject({
      action: "reAdd",
      status: "Removing",
      attempts: 1,
      requestIds: ["r1", "r2"],
    });
    expect((await ledger.getRequest("r1"))?.tables[0]?.status).not.toBe("Failed");
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.A")!, status: "Replicating" }]);
    await completeRequests(deps, link, NOW);
    expect((await ledger.getRequest("r1"))?.status).toBe("Succeeded");
    expect((await ledger.getRequest("r2"))?.status).toBe("Succeeded");
  });

  it("keeps a finished table's status for the earlier request when a later request takes the table over", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.T", "dbo.U"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.T")!, status: "Replicating" }]);

    // A later request asks for T again (a remove): T's record now names r2 only.
    await ledger.recordRequest(request("r2", ["dbo.T"], "remove"), NOW);
    await claimPendingRequests(deps, link, NOW);
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.U")!, status: "Replicating" }]);
    await completeRequests(deps, link, NOW);

    const r1 = await ledger.getRequest("r1");
    expect(r1?.status).toBe("Succeeded");
    expect(r1?.tables.map((t) => [t.name, t.status])).toEqual([
      ["T", "Replicating"],
      ["U", "Replicating"],
    ]);
  });

  it("records when a table was requested, and a request that joins keeps the earliest time", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest({ ...request("r1", ["dbo.A"]), receivedAt: "2026-01-05T07:59:00.000Z" }, NOW);
    await claimPendingRequests(deps, link, NOW);
    await ledger.recordRequest({ ...request("r2", ["dbo.A"]), receivedAt: "2026-01-05T08:00:30.000Z" }, NOW);
    await claimPendingRequests(deps, link, NOW);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      requestIds: ["r1", "r2"],
      requestedAt: "2026-01-05T07:59:00.000Z",
    });
  });

  it("claims nothing twice when re-run after a crash", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const again = await claimPendingRequests(deps, link, NOW);
    expect(again).toEqual({ claimedRequestIds: [], pendingTables: 1 });
    expect(ledger.record(link, "dbo.A")?.requestIds).toEqual(["r1"]);
  });

  it("holds an add of a table removed a moment ago until READD_COOLDOWN_SECONDS after the removal", async () => {
    const { ledger, deps } = makeDeps({ reAddCooldownSeconds: 120 });
    await ledger.recordRequest(request("r1", ["dbo.A"], "remove"), NOW);
    await claimPendingRequests(deps, link, NOW);
    await ledger.saveLinkTables(link, [
      { ...ledger.record(link, "dbo.A")!, status: "Removed", updatedAt: NOW },
    ]);

    await ledger.recordRequest(request("r2", ["dbo.A"]), NOW);
    const at = new Date(Date.parse(NOW) + 30_000).toISOString();
    await claimPendingRequests(deps, link, at);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      action: "add",
      status: "Pending",
      notBefore: new Date(Date.parse(NOW) + 120_000).toISOString(),
    });
  });
});

describe("claimTable", () => {
  const table = {
    source: { schema: "dbo", name: "A" },
    target: { schema: "dbo", name: "A", distribution: "Hash" as const },
  };
  const record = (patch: Partial<LinkTableRecord>): LinkTableRecord => ({
    source: table.source,
    target: { schema: "dbo", name: "A", distribution: "RoundRobin" },
    action: "add",
    status: "Snapshotting",
    requestIds: ["r1"],
    attempts: 0,
    enabledOnceRetries: 0,
    updatedAt: NOW,
    ...patch,
  });
  const later = new Date(Date.parse(NOW) + 10_000).toISOString();
  const fiveMinutesOn = new Date(Date.parse(NOW) + 5 * 60_000).toISOString();
  const rows: [
    string,
    LinkTableRecord | undefined,
    "add" | "remove",
    Partial<TableClaim> & { kind: TableClaim["kind"] },
  ][] = [
    ["a request already on the record changes nothing", record({}), "add", { kind: "unchanged" }],
    [
      "the same operation in flight is joined, keeping the target sent",
      record({ requestIds: ["r0"] }),
      "add",
      {
        kind: "join",
        record: expect.objectContaining({
          requestIds: ["r0", "r2"],
          target: record({}).target,
        }) as LinkTableRecord,
      },
    ],
    [
      "the same operation still pending is joined, taking the newest target",
      record({ requestIds: ["r0"], status: "Pending" }),
      "add",
      { kind: "join", record: expect.objectContaining({ target: table.target }) as LinkTableRecord },
    ],
    [
      "another operation in flight is replaced, superseding its requests",
      record({ requestIds: ["r0"] }),
      "remove",
      { kind: "replace", superseded: ["r0"] },
    ],
    [
      "a final record is replaced without superseding anyone",
      record({ requestIds: ["r0"], status: "Replicating" }),
      "add",
      { kind: "replace", superseded: [] },
    ],
    [
      "a request received before the operation the record holds does not undo it (a late delivery)",
      record({ requestIds: ["r0"], action: "remove", status: "Removing", requestedAt: fiveMinutesOn }),
      "add",
      { kind: "stale", by: ["r0"] },
    ],
    [
      "nor does it undo a later request's finished work",
      record({ requestIds: ["r0"], action: "add", status: "Replicating", requestedAt: fiveMinutesOn }),
      "remove",
      { kind: "stale", by: ["r0"] },
    ],
    [
      "a request received within a minute of the record's is not late (clocks of two instances differ): it replaces",
      record({ requestIds: ["r0"], action: "remove", status: "Removing", requestedAt: later }),
      "add",
      { kind: "replace", superseded: ["r0"] },
    ],
    [
      "a table never seen gets a new Pending record",
      undefined,
      "add",
      {
        kind: "replace",
        record: expect.objectContaining({ status: "Pending", requestIds: ["r2"] }) as LinkTableRecord,
      },
    ],
    [
      "a table that failed for good, asked for again, has its failed entry removed and is added under new ids",
      record({
        requestIds: ["r0"],
        status: "Failed",
        entryFailed: true,
        linkTableId: "failed-entry",
        error: "no primary key",
      }),
      "add",
      {
        kind: "replace",
        record: expect.objectContaining({
          action: "reAdd",
          status: "Pending",
          linkTableId: "failed-entry",
          generation: 1,
          attempts: 0,
        }) as LinkTableRecord,
      },
    ],
    [
      "one failed by an app deadline keeps its entry (it may be replicating by now): it is simply added again",
      record({
        requestIds: ["r0"],
        status: "Failed",
        linkTableId: "slow-entry",
        error: "dbo.A did not reach Replicating within 1440 minutes (TABLE_DEADLINE_MINUTES)",
      }),
      "add",
      {
        kind: "replace",
        record: expect.objectContaining({ action: "add", status: "Pending" }) as LinkTableRecord,
      },
    ],
    [
      "one that failed without reaching the link (refused at once) is simply added",
      record({ requestIds: ["r0"], status: "Failed", error: "no primary key" }),
      "add",
      {
        kind: "replace",
        record: expect.not.objectContaining({ generation: expect.anything() as unknown }) as LinkTableRecord,
      },
    ],
    [
      "an add right after a removal waits out the cool-down",
      record({ requestIds: ["r0"], action: "remove", status: "Removed" }),
      "add",
      {
        kind: "replace",
        record: expect.objectContaining({
          notBefore: new Date(Date.parse(NOW) + 120_000).toISOString(),
        }) as LinkTableRecord,
      },
    ],
  ];
  it.each(rows)("%s", (_name, existing, action, expected) => {
    expect(
      claimTable(
        existing,
        { requestId: existing?.requestIds.includes("r1") ? "r1" : "r2", action, receivedAt: NOW },
        table,
        later,
        120,
      ),
    ).toMatchObject(expected);
  });
});
