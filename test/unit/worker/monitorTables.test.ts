import type { LinkTableState } from "../../../shared/synapse/synapseLinkClient";
import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { monitorTables } from "../../../shared/worker/monitorTables";
import { sendEdits } from "../../../shared/worker/sendEdits";
import { link, makeDeps, NOW, request } from "./workerTestKit";

async function added(tables: string[], settings = {}) {
  const kit = makeDeps(settings);
  const fakeLink = kit.synapse.addLink("demo-link");
  await kit.ledger.recordRequest(request("r1", tables), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  await sendEdits(kit.deps, link, NOW);
  return { ...kit, fakeLink, ids: (kit.synapse.edits[0] ?? []).map((e) => e.id) };
}

/** The service's "enabled once" refusal (SQL 22718), shown on the table. */
const enabledElsewhere = (id: string): LinkTableState => ({
  id,
  status: "Failed",
  rawStatus: "Failed",
  errorCode: "22718",
  errorMessage: "A table can only be enabled once among all table groups.",
});

const later = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

describe("monitorTables", () => {
  it("moves tables to the service's status and counts the change", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [{ id: ids[0]!, status: "Snapshotting", rawStatus: "Snapshotting" }];
    const summary = await monitorTables(deps, link, later(1));
    expect(summary).toMatchObject({ active: 1, pending: 0, changed: 1, counts: { Snapshotting: 1 } });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Snapshotting");
  });

  it("saves a poll's changes before reporting them: a save that fails reports nothing", async () => {
    const { ledger, fakeLink, deps, ids, settled } = await added(["dbo.A"]);
    fakeLink.states = [{ id: ids[0]!, status: "Replicating", rawStatus: "Replicating" }];
    const save = ledger.saveLinkTables.bind(ledger);
    ledger.saveLinkTables = () => Promise.reject(new Error("storage unavailable"));
    await expect(monitorTables(deps, link, later(1))).rejects.toThrow(/storage unavailable/);
    expect(settled).toEqual([]);
    ledger.saveLinkTables = save;
    // The retried poll sees the change again, saves it and reports it once.
    await monitorTables(deps, link, later(1));
    expect(settled.map((t) => `${t.table.name} ${t.status}`)).toEqual(["A Replicating"]);
    expect(ledger.record(link, "dbo.A")?.status).toBe("Replicating");
  });

  it("queues a Failed table for remove-and-re-add while attempts remain", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [{ id: ids[0]!, status: "Failed", rawStatus: "Failed", errorMessage: "boom" }];
    const summary = await monitorTables(deps, link, later(1));
    expect(summary.pending).toBe(1);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Pending",
      action: "reAdd",
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

  it.each([
    ["upper case", (id: string) => id.toUpperCase()],
    [
      "dashed",
      (id: string) =>
        `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
    ],
  ])("matches the service's id when it comes back %s", async (_form, reshape) => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [{ id: reshape(ids[0]!), status: "Replicating", rawStatus: "Replicating" }];
    await monitorTables(deps, link, later(1));
    expect(ledger.record(link, "dbo.A")?.status).toBe("Replicating");
  });

  it("still matches a dashed id stored by an earlier version when the service answers undashed", async () => {
    const { ledger, fakeLink, deps } = await added(["dbo.A"]);
    const record = ledger.record(link, "dbo.A")!;
    await ledger.saveLinkTables(link, [{ ...record, linkTableId: "0f8fad5b-d9cb-469f-a165-70867728950e" }]);
    fakeLink.states = [
      { id: "0f8fad5bd9cb469fa16570867728950e", status: "Snapshotting", rawStatus: "Snapshotting" },
    ];
    await monitorTables(deps, link, later(1));
    expect(ledger.record(link, "dbo.A")?.status).toBe("Snapshotting");
  });

  it("fails a table that shows Failed for a missing primary key at once, without remove-and-re-add", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"], { remediationMaxAttempts: 2 });
    fakeLink.states = [
      {
        id: ids[0]!,
        status: "Failed",
        rawStatus: "Failed",
        errorCode: "22720",
        errorMessage: "Enabling Change Feed on a table without primary key is not allowed.",
      },
    ];
    const summary = await monitorTables(deps, link, later(1));
    expect(summary.pending).toBe(0);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Failed",
      attempts: 0,
      error: expect.stringMatching(/primary key/),
    });
  });

  it("removes and re-adds a table that shows Failed as 'enabled once' when no configured link holds it", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [enabledElsewhere(ids[0]!)];
    await monitorTables(deps, link, later(1));
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Pending",
      action: "reAdd",
      enabledOnceRetries: 1,
      attempts: 0,
    });
  });

  it("rejects a table that shows Failed as 'enabled once' while another link holds it, naming that link", async () => {
    const { ledger, fakeLink, synapse, deps, ids } = await added(["dbo.A"]);
    synapse.addLink("other-link", "Running", [{ schema: "dbo", name: "A" }]);
    fakeLink.states = [enabledElsewhere(ids[0]!)];
    await monitorTables(deps, link, later(1));
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Rejected",
      error: expect.stringMatching(/already in link connection other-link/),
    });
  });

  it("finds the table when the service echoes the app's id in linkTableId and puts its own id in id", async () => {
    const { ledger, fakeLink, deps, ids } = await added(["dbo.A"]);
    fakeLink.states = [
      {
        id: "0f8fad5bd9cb469fa16570867728950e",
        linkTableId: ids[0]!,
        status: "Replicating",
        rawStatus: "Replicating",
      },
    ];
    await monitorTables(deps, link, later(1));
    expect(ledger.record(link, "dbo.A")?.status).toBe("Replicating");
  });
});
