import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { link, makeDeps, NOW, request } from "./workerTestKit";

describe("claimPendingRequests", () => {
  it("turns each queued request's tables into Pending link records and marks the requests InProgress", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A", "dbo.B"]), NOW);
    await ledger.recordRequest(request("r2", ["dbo.C"]), NOW);

    const result = await claimPendingRequests(deps, link, NOW);

    expect(result).toEqual({ claimedRequestIds: ["r1", "r2"], pendingTables: 3 });
    expect((await ledger.getRequest("r1"))?.status).toBe("InProgress");
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Pending",
      action: "add",
      requestIds: ["r1"],
    });
    expect(await ledger.listQueuedRequests(link)).toEqual([]);
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

  it("replaces an operation in flight with a different one and tells the earlier request why", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.A")!, status: "Snapshotting" }]);

    await ledger.recordRequest(request("r2", ["dbo.A"], "remove"), NOW);
    await claimPendingRequests(deps, link, NOW);

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

  it("claims nothing twice when re-run after a crash", async () => {
    const { ledger, deps } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const again = await claimPendingRequests(deps, link, NOW);
    expect(again).toEqual({ claimedRequestIds: [], pendingTables: 1 });
    expect(ledger.record(link, "dbo.A")?.requestIds).toEqual(["r1"]);
  });

  it("holds an add of a table removed a moment ago until READD_COOLDOWN_SECONDS after the removal", async () => {
    const { ledger, deps } = makeDeps({ readdCooldownSeconds: 120 });
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
