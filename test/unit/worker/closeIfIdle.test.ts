import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { closeIfIdle } from "../../../shared/worker/closeIfIdle";
import { completeRequests } from "../../../shared/worker/completeRequests";
import { link, makeDeps, NOW, request } from "./workerTestKit";

describe("closeIfIdle", () => {
  it("closes the link's open entry when nothing is queued, open or in flight", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const record = ledger.record(link, "dbo.A")!;
    await ledger.saveLinkTables(link, [{ ...record, status: "Replicating" }]);
    await completeRequests(deps, link, NOW);
    expect(await closeIfIdle(deps, link)).toEqual({ idle: true });
    expect(await ledger.listOpenLinks()).toEqual([]);
  });

  it("keeps the worker going while a request is queued", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    expect(await closeIfIdle(deps, link)).toEqual({ idle: false, reason: "queued" });
    expect(await ledger.listOpenLinks()).toHaveLength(1);
  });

  it("stays open while a claimed request is not closed yet", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const tables = ledger.links.get("demo/demo-link")!;
    tables.set("dbo.a", { ...tables.get("dbo.a")!, status: "Replicating" });
    expect(await closeIfIdle(deps, link)).toEqual({ idle: false, reason: "busy" });
    expect(await ledger.listOpenLinks()).toHaveLength(1);
  });

  it("keeps the link open when a request was recorded after the worker read the entry", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await ledger.saveLinkTables(link, []);
    const getOpen = ledger.getOpenLink.bind(ledger);
    // The race: the entry is read, then a request is recorded before the worker closes it.
    ledger.getOpenLink = async (l) => {
      const seen = await getOpen(l);
      await ledger.recordRequest(request("r2", ["dbo.B"]), NOW);
      ledger.requests.get("r2")!.claimed = true;
      ledger.requests.get("r2")!.open = false;
      return seen;
    };
    ledger.requests.get("r1")!.claimed = true;
    ledger.requests.get("r1")!.open = false;
    expect(await closeIfIdle(deps, link)).toEqual({ idle: false, reason: "queued" });
    expect(await ledger.listOpenLinks()).toHaveLength(1);
  });
});

describe("completeRequests", () => {
  it("completes the requests no table in flight waits on from the link alone, reading no request's own rows", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await ledger.recordRequest(request("r2", ["dbo.B"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const tables = ledger.links.get("demo/demo-link")!;
    await ledger.saveLinkTables(link, [{ ...tables.get("dbo.a")!, status: "Replicating" }]);
    const read: string[] = [];
    const getRequest = ledger.getRequest.bind(ledger);
    ledger.getRequest = (id) => {
      read.push(id);
      return getRequest(id);
    };

    expect(await completeRequests(deps, link, NOW)).toEqual({ completedRequestIds: ["r1"], openRequests: 1 });
    expect(read).toEqual([]);
    expect((await getRequest("r1"))?.status).toBe("Succeeded");
  });

  it("reads a request's own rows when one of its tables was handed to a later request, and keeps that table's status", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A", "dbo.B"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const tables = ledger.links.get("demo/demo-link")!;
    await ledger.saveLinkTables(link, [{ ...tables.get("dbo.a")!, status: "Replicating" }]);
    await ledger.recordRequest({ ...request("r2", ["dbo.B"]), action: "remove" }, NOW);
    await claimPendingRequests(deps, link, NOW);
    const read: string[] = [];
    const getRequest = ledger.getRequest.bind(ledger);
    ledger.getRequest = (id) => {
      read.push(id);
      return getRequest(id);
    };

    expect(await completeRequests(deps, link, NOW)).toMatchObject({ completedRequestIds: ["r1"] });
    expect(read).toEqual(["r1"]);
    const view = await getRequest("r1");
    expect(view?.status).toBe("PartiallySucceeded");
    expect(view?.tables.find((t) => t.name === "B")?.error).toMatch(/^Superseded by request r2/);
  });

  it("closes a request whose tables' mirror was lost in a crash, from the link's records, tables and status together", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A", "dbo.B"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    // The link's records reached their final statuses; the crash lost the mirror into r1.
    const tables = ledger.links.get("demo/demo-link")!;
    tables.set("dbo.a", { ...tables.get("dbo.a")!, status: "Replicating" });
    tables.set("dbo.b", { ...tables.get("dbo.b")!, status: "Failed", error: "boom" });

    expect(await completeRequests(deps, link, NOW)).toEqual({ completedRequestIds: ["r1"], openRequests: 0 });
    expect(await ledger.getRequest("r1")).toMatchObject({
      status: "PartiallySucceeded",
      tables: [
        { schema: "dbo", name: "A", status: "Replicating" },
        { schema: "dbo", name: "B", status: "Failed", error: "boom" },
      ],
    });
    expect(await closeIfIdle(deps, link)).toEqual({ idle: true });
  });

  it("fails a table whose record now belongs to a later request only, when that write was lost", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(deps, link, NOW);
    const tables = ledger.links.get("demo/demo-link")!;
    tables.set("dbo.a", { ...tables.get("dbo.a")!, requestIds: ["r9"], status: "Removed" });

    await completeRequests(deps, link, NOW);
    expect(await ledger.getRequest("r1")).toMatchObject({
      status: "Failed",
      tables: [{ status: "Failed", error: expect.stringMatching(/Superseded/) }],
    });
  });
});
