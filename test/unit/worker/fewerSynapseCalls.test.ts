import { batchingPublisher } from "../../support/batchingPublisher";
import { SynapseRequestError } from "../../../shared/synapse/synapseLinkClient";
import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { monitorTables } from "../../../shared/worker/monitorTables";
import { sendEdits } from "../../../shared/worker/sendEdits";
import { findOwnerElsewhere } from "../../../shared/worker/tableOwners";
import { link, makeDeps, NOW, request } from "./workerTestKit";

const at = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();

/** Counts the fake's calls per operation. */
function counted(kit: ReturnType<typeof makeDeps>) {
  const calls: Record<string, number> = {};
  const synapse = kit.synapse as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ["listLinkConnections", "listLinkTables", "queryTableStatus", "getLinkConnection"]) {
    const original = synapse[name]!.bind(kit.synapse);
    synapse[name] = (...args: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return original(...args);
    };
  }
  return calls;
}

async function pending(
  kit: ReturnType<typeof makeDeps>,
  linkConnection: string,
  tables: string[],
  id: string,
) {
  const target = { ...link, linkConnection };
  await kit.ledger.recordRequest({ ...request(id, tables), linkConnection }, NOW);
  await claimPendingRequests(kit.deps, target, NOW);
  return target;
}

describe("other links' tables are read only when the service refuses an add as 'enabled once'", () => {
  it("sends the adds of three links without listing the workspace or reading any link's tables", async () => {
    const kit = makeDeps();
    for (const name of ["l1", "l2", "l3"]) kit.synapse.addLink(name);
    const links = [
      await pending(kit, "l1", ["dbo.A"], "r1"),
      await pending(kit, "l2", ["dbo.B"], "r2"),
      await pending(kit, "l3", ["dbo.C"], "r3"),
    ];
    const calls = counted(kit);
    for (const [i, target] of links.entries()) await sendEdits(kit.deps, target, at(i));
    expect(calls.listLinkConnections ?? 0).toBe(0);
    expect(calls.listLinkTables ?? 0).toBe(0);
    expect(calls.getLinkConnection ?? 0).toBe(0);
    expect(kit.synapse.edits).toHaveLength(3);
  });

  it("lists the workspace once per refused batch, however many of its tables another link holds", async () => {
    const kit = makeDeps();
    kit.synapse.addLink("demo-link");
    const other = kit.synapse.addLink("other-link");
    other.tables.push(
      { id: "o1", source: { schema: "dbo", name: "X" } },
      { id: "o2", source: { schema: "dbo", name: "Y" } },
    );
    await pending(kit, "demo-link", ["dbo.X", "dbo.Y", "dbo.Z"], "r1");
    const original = kit.synapse.editTables.bind(kit.synapse);
    kit.synapse.editTables = (l, batch) =>
      batch.some((e) => e.source.name !== "Z")
        ? Promise.reject(
            new SynapseRequestError(
              "A table can only be enabled once among all table groups.",
              400,
              "22718",
              "editTables",
            ),
          )
        : original(l, batch);
    const calls = counted(kit);
    await sendEdits(kit.deps, link, NOW);
    expect(calls.listLinkConnections).toBe(1);
    expect(kit.ledger.record(link, "dbo.X")).toMatchObject({
      status: "Rejected",
      error: expect.stringMatching(/other-link/),
    });
    expect(kit.ledger.record(link, "dbo.Y")).toMatchObject({
      status: "Rejected",
      error: expect.stringMatching(/other-link/),
    });
    expect(kit.ledger.record(link, "dbo.Z")?.status).toBe("Adding");
  });

  it("looks an 'enabled once' refusal up afresh, not in a listing an earlier activity read", async () => {
    const kit = makeDeps({ pollMinSeconds: 30 });
    kit.synapse.addLink("demo-link");
    const other = kit.synapse.addLink("other-link");
    expect(await findOwnerElsewhere(kit.deps, link, { schema: "dbo", name: "X" }, NOW)).toBeUndefined();
    other.tables.push({ id: "o1", source: { schema: "dbo", name: "X" } });
    expect(await findOwnerElsewhere(kit.deps, link, { schema: "dbo", name: "X" }, at(1))).toBe("other-link");
  });
});

describe("the owner of an 'enabled once' table", () => {
  function twoWorkspaces(gone: Error) {
    const kit = makeDeps();
    kit.synapse.addLink("demo-link");
    kit.synapse.addLink("other-link").tables.push({ id: "o1", source: { schema: "dbo", name: "X" } });
    const listLinkConnections = kit.synapse.listLinkConnections.bind(kit.synapse);
    kit.synapse.listLinkConnections = (workspace) =>
      workspace === "gone" ? Promise.reject(gone) : listLinkConnections(workspace);
    return { ...kit.deps, workspaces: ["gone", "demo"] };
  }

  it("is still found when another configured workspace's host does not exist", async () => {
    const deps = twoWorkspaces(
      new SynapseRequestError(
        "listLinkConnections on gone failed: getaddrinfo ENOTFOUND gone.dev.azuresynapse.net",
        undefined,
        "REQUEST_SEND_ERROR",
        "listLinkConnections",
      ),
    );
    expect(await findOwnerElsewhere(deps, link, { schema: "dbo", name: "X" }, NOW)).toBe("other-link");
  });

  it("is looked for in the other workspaces while one of them is throttling, without failing this link's activity", async () => {
    const throttled = new SynapseRequestError("busy", 503, "ServiceUnavailable", "listLinkConnections");
    expect(await findOwnerElsewhere(twoWorkspaces(throttled), link, { schema: "dbo", name: "X" }, NOW)).toBe(
      "other-link",
    );
  });
});

describe("monitorTables between polls", () => {
  async function watching() {
    const kit = makeDeps({ pollMinSeconds: 30 });
    const fakeLink = kit.synapse.addLink("demo-link");
    await pending(kit, "demo-link", ["dbo.A", "dbo.B"], "r1");
    await sendEdits(kit.deps, link, NOW);
    const ids = (kit.synapse.edits[0] ?? []).map((e) => e.id);
    fakeLink.states = ids.map((id) => ({ id, status: "Snapshotting", rawStatus: "Snapshotting" }));
    return { kit, fakeLink, ids };
  }

  it("answers a poll that a nudge asks for within POLL_MIN_SECONDS of the last one from the ledger, keeping its change count", async () => {
    const { kit } = await watching();
    const calls = counted(kit);
    const first = await monitorTables(kit.deps, link, at(2));
    const nudged = await monitorTables(kit.deps, link, at(5));
    expect(calls.queryTableStatus).toBe(1);
    expect(first.changed).toBe(2);
    expect(nudged).toEqual(first);
  });

  it("polls the service again after POLL_MIN_SECONDS", async () => {
    const { kit, fakeLink, ids } = await watching();
    const calls = counted(kit);
    await monitorTables(kit.deps, link, at(2));
    fakeLink.states = ids.map((id) => ({ id, status: "Replicating", rawStatus: "Replicating" }));
    await monitorTables(kit.deps, link, at(32));
    expect(calls.queryTableStatus).toBe(2);
    expect(kit.ledger.record(link, "dbo.A")?.status).toBe("Replicating");
  });

  it("polls the service at once when a watched table was written since the last poll", async () => {
    const { kit: other } = await watching();
    const otherCalls = counted(other);
    await monitorTables(other.deps, link, at(2));
    const record = other.ledger.record(link, "dbo.A")!;
    await other.ledger.saveLinkTables(link, [{ ...record, status: "Adding", updatedAt: at(3) }]);
    await monitorTables(other.deps, link, at(4));
    expect(otherCalls.queryTableStatus).toBe(2);
  });

  it("reports the tables one poll settled in one call to the publisher", async () => {
    const { kit, fakeLink, ids } = await watching();
    const { publisher, batches, single } = batchingPublisher();
    fakeLink.states = [
      { id: ids[0]!, status: "Replicating", rawStatus: "Replicating" },
      {
        id: ids[1]!,
        status: "Failed",
        rawStatus: "Failed",
        errorCode: "22720",
        errorMessage: "no primary key",
      },
    ];
    await monitorTables({ ...kit.deps, outcomes: publisher }, link, at(2));
    expect(single).not.toHaveBeenCalled();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((o) => [o.table.name, o.status, o.requestIds])).toEqual([
      ["A", "Replicating", ["r1"]],
      ["B", "Failed", ["r1"]],
    ]);
  });
});
