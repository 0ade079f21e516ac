import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { preflightLink } from "../../../shared/worker/preflightLink";
import { link, makeDeps, NOW, request } from "./workerTestKit";

async function pendingOf(tables: string[], settings = {}, action: "add" | "remove" = "add") {
  const kit = makeDeps(settings);
  await kit.ledger.recordRequest(request("r1", tables, action), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  return kit;
}

describe("preflightLink", () => {
  it("plans one add per new table with deterministic ids", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A", "dbo.B"]);
    synapse.addLink("demo-link");
    const first = await preflightLink(deps, link, NOW);
    expect(first.kind).toBe("edits");
    if (first.kind !== "edits") return;
    expect(first.edits.map((e) => [e.operation, e.source.name])).toEqual([
      ["add", "A"],
      ["add", "B"],
    ]);
    expect(first.edits[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("fails every pending table when the link does not exist", async () => {
    const { ledger, deps } = await pendingOf(["dbo.A"]);
    const result = await preflightLink(deps, link, NOW);
    expect(result).toEqual({ kind: "blocked", reason: "Link connection demo/demo-link does not exist" });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Failed");
  });

  it("names the status and the setting when a paused link may not be resumed", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link", "Paused");
    await preflightLink(deps, link, NOW);
    expect(ledger.record(link, "dbo.A")?.error).toMatch(/is Paused.*resume.*AUTO_START_LINKS=true/);
  });

  it("resumes a paused link when AUTO_START_LINKS is on and waits for it", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"], { autoStartLinks: true });
    synapse.addLink("demo-link", "Paused");
    const result = await preflightLink(deps, link, NOW);
    expect(result).toMatchObject({ kind: "linkNotReady", reason: "resuming the link" });
    expect(synapse.started).toEqual(["demo-link"]);
  });

  it("waits while the link is applying another change", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link").isApplyingChanges = true;
    expect((await preflightLink(deps, link, NOW)).kind).toBe("linkNotReady");
  });

  it("caps the batch and leaves the rest pending for the next edit", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B", "dbo.C"], { editBatchMaxTables: 2 });
    synapse.addLink("demo-link");
    const result = await preflightLink(deps, link, NOW);
    expect(result).toMatchObject({ kind: "edits", deferred: 1 });
    expect(ledger.record(link, "dbo.C")?.status).toBe("Pending");
  });

  it("rejects tables beyond the per-link limit with the numbers", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B"], { maxTablesPerLink: 2 });
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "Existing" }]);
    await preflightLink(deps, link, NOW);
    expect(ledger.record(link, "dbo.A")?.status).toBe("Pending");
    expect(ledger.record(link, "dbo.B")).toMatchObject({
      status: "Rejected",
      error: "Link connection demo/demo-link already holds 2 tables; the limit is 2",
    });
  });

  it("marks a table to remove that is not in the link as Removed without an edit", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"], {}, "remove");
    synapse.addLink("demo-link");
    expect(await preflightLink(deps, link, NOW)).toEqual({ kind: "noEdits" });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Removed");
  });

  it("removes a linked table with the id the service knows it by", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"], {}, "remove");
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    const result = await preflightLink(deps, link, NOW);
    expect(result).toMatchObject({
      kind: "edits",
      edits: [{ operation: "remove", id: "existing-demo-link-0" }],
    });
  });
});
