import { linkTableId } from "../../../shared/domain/linkTableId";
import { SynapseRequestError } from "../../../shared/synapse/synapseLinkClient";
import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { confirmEditsApplied } from "../../../shared/worker/confirmEditsApplied";
import { link, makeDeps, NOW, request } from "./workerTestKit";

const A = { schema: "dbo", name: "A" };
/** The id the app sends for dbo.A's first add. */
const OURS = linkTableId(link, A, 0);

const later = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

async function removing(settings = {}) {
  const kit = makeDeps(settings);
  await kit.ledger.recordRequest(request("r1", ["dbo.A"], "remove"), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  const record = kit.ledger.record(link, "dbo.A")!;
  await kit.ledger.saveLinkTables(link, [{ ...record, status: "Removing", updatedAt: NOW }]);
  // The link still holds the table: the removal has not been applied.
  kit.synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
  return kit;
}

describe("confirmEditsApplied", () => {
  it("keeps waiting for a removal the link has not applied yet", async () => {
    const { ledger, deps } = await removing({ tableDeadlineMinutes: 60 });
    expect(await confirmEditsApplied(deps, link, later(30))).toEqual({
      applied: false,
      outstanding: 1,
      settled: 0,
    });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Removing");
  });

  it("finishes a removal once the table has left linktables", async () => {
    const { ledger, synapse, deps } = await removing();
    synapse.links.get("demo-link")!.tables = [];
    expect(await confirmEditsApplied(deps, link, later(1))).toEqual({
      applied: true,
      outstanding: 0,
      settled: 1,
    });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Removed");
  });

  it("fails a removal the link has not applied within TABLE_DEADLINE_MINUTES, naming the setting, and reports it", async () => {
    const { ledger, synapse, deps, settled } = await removing({ tableDeadlineMinutes: 60 });
    synapse.links.get("demo-link")!.isApplyingChanges = true;
    expect(await confirmEditsApplied(deps, link, later(61))).toEqual({
      applied: true,
      outstanding: 0,
      settled: 1,
    });
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(/removal of dbo\.A within 60 minutes \(TABLE_DEADLINE_MINUTES\)/),
    });
    expect(settled).toEqual([
      expect.objectContaining({
        table: A,
        status: "Failed",
        error: expect.stringMatching(/TABLE_DEADLINE_MINUTES/),
      }),
    ]);
  });

  it("watches the entry the link already held when it lists the added table under that entry only", async () => {
    const { ledger, synapse, deps } = await adding();
    synapse.links.get("demo-link")!.tables = [{ id: "studio", source: A }];
    expect(await confirmEditsApplied(deps, link, later(1))).toEqual({
      applied: true,
      outstanding: 0,
      settled: 0,
    });
    expect(ledger.record(link, "dbo.A")).toMatchObject({ status: "Adding", linkTableId: "studio" });
    expect(synapse.edits).toEqual([]);
  });

  it.each([
    ["its own", OURS],
    ["the first, adopted before (a retried send)", "studio"],
  ])(
    "removes the app's own entry when the link lists the added table twice, watching %s entry until then",
    async (_name, watched) => {
      const { ledger, synapse, deps } = await adding(watched);
      synapse.links.get("demo-link")!.tables = [
        { id: "studio", source: A },
        { id: OURS, source: A },
      ];
      expect(await confirmEditsApplied(deps, link, later(1))).toMatchObject({
        applied: true,
        notice: expect.stringContaining(`already held: dbo.A (${OURS})`),
      });
      // Never the entry the user made: only the one the app sent.
      expect(synapse.edits).toEqual([[{ operation: "remove", id: OURS, source: A }]]);
      expect(ledger.record(link, "dbo.A")).toMatchObject({ status: "Adding", linkTableId: "studio" });
    },
  );

  it("removes what the link still holds of a table after its removal landed, and finishes on the next check", async () => {
    const { ledger, synapse, deps } = await removing();
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.A")!, linkTableId: "removed" }]);
    synapse.links.get("demo-link")!.tables = [{ id: "second", source: A }];
    expect(await confirmEditsApplied(deps, link, later(1))).toMatchObject({
      applied: false,
      outstanding: 1,
      notice: expect.stringContaining("still held after the table's removal: dbo.A (second)"),
    });
    expect(synapse.edits).toEqual([[{ operation: "remove", id: "second", source: A }]]);
    expect(await confirmEditsApplied(deps, link, later(2))).toMatchObject({ applied: true, settled: 1 });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Removed");
  });

  it("fails a removed table at once when the service refuses to remove what the link still holds of it, and reports it", async () => {
    const { ledger, synapse, deps, settled } = await removing();
    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.A")!, linkTableId: "removed" }]);
    synapse.links.get("demo-link")!.tables = [{ id: "second", source: A }];
    synapse.editError = new SynapseRequestError("no such entry", 400, "LinkTableNotFound", "editTables");
    expect(await confirmEditsApplied(deps, link, later(1))).toMatchObject({
      applied: true,
      outstanding: 0,
      settled: 1,
    });
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Failed",
      error:
        "dbo.A is still in link connection demo/demo-link (entries second) after its removal, and the service refused to remove it: no such entry",
    });
    expect(settled).toEqual([
      expect.objectContaining({
        table: A,
        status: "Failed",
        error: expect.stringMatching(/refused to remove it/),
      }),
    ]);
  });

  it("removes what else the link holds of a table when a schema change's re-add removal landed, then re-adds it", async () => {
    const { ledger, synapse, deps } = await removing({ reAddCooldownSeconds: 60 });
    await ledger.saveLinkTables(link, [
      { ...ledger.record(link, "dbo.A")!, action: "reAdd", linkTableId: "first" },
    ]);
    synapse.links.get("demo-link")!.tables = [{ id: "second", source: A }];
    await confirmEditsApplied(deps, link, later(1));
    expect(synapse.edits).toEqual([[{ operation: "remove", id: "second", source: A }]]);
    await confirmEditsApplied(deps, link, later(2));
    expect(ledger.record(link, "dbo.A")).toMatchObject({ action: "add", status: "Pending" });
  });

  it("watches the entry someone else holds when a remediation's removal landed, instead of removing it", async () => {
    const { ledger, synapse, deps } = await removing();
    await ledger.saveLinkTables(link, [
      { ...ledger.record(link, "dbo.A")!, action: "reAdd", attempts: 1, linkTableId: "failed-one" },
    ]);
    synapse.links.get("demo-link")!.tables = [{ id: "studio", source: A }];
    expect(await confirmEditsApplied(deps, link, later(1))).toMatchObject({ applied: true, outstanding: 0 });
    expect(synapse.edits).toEqual([]);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      action: "add",
      status: "Adding",
      linkTableId: "studio",
    });
  });
});

async function adding(linkTableId = OURS) {
  const kit = makeDeps();
  await kit.ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  const record = kit.ledger.record(link, "dbo.A")!;
  await kit.ledger.saveLinkTables(link, [{ ...record, status: "Adding", linkTableId, editedAt: NOW }]);
  kit.synapse.addLink("demo-link");
  return kit;
}
