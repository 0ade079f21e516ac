import type { LinkTableRecord } from "../../../shared/ledger/ledger";
import { SynapseRequestError } from "../../../shared/synapse/synapseLinkClient";
import { endTablesOfMissingLink } from "../../../shared/worker/missingLink";
import { monitorTables } from "../../../shared/worker/monitorTables";
import { sendEdits } from "../../../shared/worker/sendEdits";
import { link, linkTableRecord, makeDeps, NOW } from "./workerTestKit";

const record = (name: string, patch: Partial<LinkTableRecord>) =>
  linkTableRecord(name, { status: "Adding", ...patch });

describe("endTablesOfMissingLink", () => {
  it("fails adds and re-adds naming the link, counts a removal as done, and leaves final tables alone", async () => {
    const { deps, ledger } = makeDeps();
    await ledger.saveLinkTables(link, [
      record("Snap", { status: "Snapshotting" }),
      record("Pend", { status: "Pending" }),
      record("Gone", { status: "Removing", action: "remove" }),
      record("Again", { status: "Removing", action: "reAdd" }),
      record("Done", { status: "Replicating" }),
    ]);

    expect(await endTablesOfMissingLink(deps, link, NOW)).toBe(4);
    const status = (name: string) => ledger.record(link, `dbo.${name}`);
    expect(status("Snap")).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(/demo\/demo-link does not exist/) as unknown,
    });
    expect(status("Pend")?.status).toBe("Failed");
    expect(status("Gone")?.status).toBe("Removed");
    expect(status("Again")?.status).toBe("Failed");
    expect(status("Done")?.status).toBe("Replicating");
  });

  it("for a link whose workspace left SYNAPSE_WORKSPACES, fails its Pending tables at once and the rest at their deadline, without asking Synapse", async () => {
    const { deps, ledger, synapse } = makeDeps({ tableDeadlineMinutes: 60 });
    await ledger.saveLinkTables(link, [
      record("Snap", { status: "Snapshotting", editedAt: NOW }),
      record("Pend", { status: "Pending" }),
      record("Gone", { status: "Removing", action: "remove" }),
    ]);
    const unconfigured = { ...deps, workspaces: ["other"] };
    const later = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
    const status = (name: string) => ledger.record(link, `dbo.${name}`);

    expect(await sendEdits(unconfigured, link, later(1))).toMatchObject({ kind: "refused" });
    await monitorTables(unconfigured, link, later(1));
    expect(status("Pend")).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(
        /^workspace demo is no longer configured \(SYNAPSE_WORKSPACES: other\)/,
      ) as unknown,
    });
    // The setting may come back: the tables sent wait out their deadline.
    expect(status("Snap")?.status).toBe("Snapshotting");

    await monitorTables(unconfigured, link, later(61));
    for (const name of ["Snap", "Gone"]) {
      expect(status(name)).toMatchObject({
        status: "Failed",
        error: expect.stringMatching(/no longer configured.*TABLE_DEADLINE_MINUTES/) as unknown,
      });
    }
    expect(synapse.edits).toEqual([]);
  });

  it("ends nothing on a 404 to the status poll while the link itself still answers (another cause)", async () => {
    const { deps, ledger, synapse } = makeDeps();
    synapse.addLink("demo-link");
    await ledger.saveLinkTables(link, [record("Snap", { status: "Snapshotting", linkTableId: "x" })]);
    const notFound = new SynapseRequestError("not found", 404, "NotFound", "queryTableStatus");
    synapse.queryTableStatus = () => Promise.reject(notFound);

    await expect(monitorTables(deps, link, NOW)).rejects.toBe(notFound);
    expect(ledger.record(link, "dbo.Snap")?.status).toBe("Snapshotting");
  });

  it("takes a 404 that does not say not found (a gateway's page) for a fault, not for the link's end", async () => {
    const { deps, ledger, synapse } = makeDeps();
    await ledger.saveLinkTables(link, [record("Snap", { status: "Snapshotting", linkTableId: "x" })]);
    const gateway = new SynapseRequestError("<html>404</html>", 404, undefined, "queryTableStatus");
    synapse.queryTableStatus = () => Promise.reject(gateway);

    await expect(monitorTables(deps, link, NOW)).rejects.toBe(gateway);
    expect(ledger.record(link, "dbo.Snap")?.status).toBe("Snapshotting");
  });
});
