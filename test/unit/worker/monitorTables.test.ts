import { applyEdits } from "../../../shared/worker/applyEdits";
import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { monitorTables } from "../../../shared/worker/monitorTables";
import { preflightLink } from "../../../shared/worker/preflightLink";
import { link, makeDeps, NOW, request } from "./workerTestKit";

async function added(tables: string[], settings = {}) {
  const kit = makeDeps(settings);
  const fakeLink = kit.synapse.addLink("demo-link");
  await kit.ledger.recordRequest(request("r1", tables), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  const plan = await preflightLink(kit.deps, link, NOW);
  if (plan.kind !== "edits") throw new Error("expected edits");
  await applyEdits(kit.deps, link, plan.edits, NOW);
  return { ...kit, fakeLink, ids: plan.edits.map((e) => e.id) };
}

const later = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

describe("monitorTables", () => {
  it("moves tables to the service's status and counts the change", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [{ id: ids[0]!.toUpperCase(), status: "Snapshotting", rawStatus: "Snapshotting" }];
    const summary = await monitorTables(deps, link, later(1));
    expect(summary).toMatchObject({ active: 1, pending: 0, changed: 1, counts: { Snapshotting: 1 } });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Snapshotting");
  });

  it("queues a Failed table for remove-and-re-add while attempts remain", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [{ id: ids[0]!, status: "Failed", rawStatus: "Failed", errorMessage: "boom" }];
    const summary = await monitorTables(deps, link, later(1));
    expect(summary.pending).toBe(1);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Pending",
      action: "readd",
      attempts: 1,
      error: "boom",
    });
  });

  it("fails a Failed table for good when remediation is off, keeping the service's code and message", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"], { remediationMaxAttempts: 0 });
    fakeLink.states = [
      { id: ids[0]!, status: "Failed", rawStatus: "Failed", errorCode: "E1", errorMessage: "boom" },
    ];
    await monitorTables(deps, link, later(1));
    expect(ledger.record(link, "dbo.A")).toMatchObject({ status: "Failed", error: "E1: boom" });
  });

  it("fails at once, explaining the link's existing-target-table rule, when the service blames the target table", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"], { remediationMaxAttempts: 2 });
    fakeLink.states = [
      { id: ids[0]!, status: "Failed", rawStatus: "Failed", errorMessage: "Target table dbo.A is not empty" },
    ];
    await monitorTables(deps, link, later(1));
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Failed",
      attempts: 0,
      error: expect.stringMatching(
        /not empty \(link demo\/demo-link has actionOnExistingTargetTable=FailOnNonEmptyTable/,
      ),
    });
  });

  it("fails a table that overran the deadline and says which setting governs it", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"], { tableDeadlineMinutes: 60 });
    fakeLink.states = [{ id: ids[0]!, status: "Snapshotting", rawStatus: "Snapshotting" }];
    await monitorTables(deps, link, later(61));
    expect(ledger.record(link, "dbo.A")?.error).toMatch(
      /did not reach Replicating within 60 minutes \(last status Snapshotting; TABLE_DEADLINE_MINUTES\)/,
    );
  });

  it("keeps waiting on a Suspended table", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [{ id: ids[0]!, status: "Suspended", rawStatus: "Suspended" }];
    const summary = await monitorTables(deps, link, later(5));
    expect(summary.active).toBe(1);
    expect(ledger.record(link, "dbo.A")?.status).toBe("Suspended");
  });
});
