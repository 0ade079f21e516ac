import type { LinkTableRecord } from "../../../shared/ledger/ledger";
import { endTablesOfMissingLink } from "../../../shared/worker/missingLink";
import { monitorTables } from "../../../shared/worker/monitorTables";
import { sendEdits } from "../../../shared/worker/sendEdits";
import { link, makeDeps, NOW } from "./workerTestKit";

function record(name: string, patch: Partial<LinkTableRecord>): LinkTableRecord {
  const source = { schema: "dbo", name };
  return {
    source,
    target: { ...source, distribution: "RoundRobin" },
    action: "add",
    status: "Adding",
    requestIds: ["r1"],
    attempts: 0,
    enabledOnceRetries: 0,
    updatedAt: NOW,
    ...patch,
  };
}

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

  it("ends every table of a link whose workspace left SYNAPSE_WORKSPACES, naming the setting, without asking Synapse", async () => {
    const { deps, ledger, synapse } = makeDeps();
    await ledger.saveLinkTables(link, [
      record("Snap", { status: "Snapshotting" }),
      record("Pend", { status: "Pending" }),
      record("Gone", { status: "Removing", action: "remove" }),
    ]);
    const unconfigured = { ...deps, workspaces: ["other"] };

    expect(await sendEdits(unconfigured, link, NOW)).toMatchObject({ kind: "refused" });
    await monitorTables(unconfigured, link, NOW);

    for (const name of ["Snap", "Pend", "Gone"]) {
      expect(ledger.record(link, `dbo.${name}`)).toMatchObject({
        status: "Failed",
        error: expect.stringMatching(
          /^workspace demo is no longer configured \(SYNAPSE_WORKSPACES: other\)/,
        ) as unknown,
      });
    }
    expect(synapse.edits).toEqual([]);
  });
});
