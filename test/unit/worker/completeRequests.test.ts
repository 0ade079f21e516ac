import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { completeRequests } from "../../../shared/worker/completeRequests";
import { link, makeDeps, NOW, request } from "./workerTestKit";

/** r1's one table, claimed and then Replicating: r1 is ready to complete. */
async function replicated() {
  const kit = makeDeps();
  await kit.ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  const record = kit.ledger.record(link, "dbo.A")!;
  await kit.ledger.saveLinkTables(link, [{ ...record, status: "Replicating", updatedAt: NOW }]);
  return kit;
}

describe("completeRequests", () => {
  it("reports a request once its own rows hold the outcome and before it closes", async () => {
    const { ledger, deps } = await replicated();
    const seen: string[] = [];
    deps.outcomes = {
      ...deps.outcomes,
      requestsCompleted: async (views) => {
        for (const view of views) {
          const stored = await ledger.getRequest(view.requestId);
          const open = await ledger.listOpenRequests(link);
          seen.push(`${view.status}; stored ${stored?.status}; open ${open.map((r) => r.requestId).join()}`);
        }
      },
    };
    expect(await completeRequests(deps, link, NOW)).toEqual({ completedRequestIds: ["r1"], openRequests: 0 });
    expect(seen).toEqual(["Succeeded; stored Succeeded; open r1"]);
    expect(await ledger.listOpenRequests(link)).toEqual([]);
  });

  it("reports a request again when a crash came before it closed (at least once)", async () => {
    const { ledger, deps, completed } = await replicated();
    const report = deps.outcomes.requestsCompleted!.bind(deps.outcomes);
    deps.outcomes.requestsCompleted = async (views) => {
      await report(views);
      throw new Error("host crashed before the request was closed");
    };
    await expect(completeRequests(deps, link, NOW)).rejects.toThrow(/host crashed/);
    deps.outcomes.requestsCompleted = report;
    expect(await completeRequests(deps, link, NOW)).toMatchObject({ completedRequestIds: ["r1"] });
    expect(completed.map((v) => `${v.requestId} ${v.status}`)).toEqual(["r1 Succeeded", "r1 Succeeded"]);
    expect(await ledger.listOpenRequests(link)).toEqual([]);
  });

  it("reports the requests that complete in one poll in one call (one Event Grid batch)", async () => {
    const kit = makeDeps();
    for (const [id, table] of [
      ["r1", "dbo.A"],
      ["r2", "dbo.B"],
      ["r3", "dbo.C"],
    ] as const) {
      await kit.ledger.recordRequest(request(id, [table]), NOW);
    }
    await claimPendingRequests(kit.deps, link, NOW);
    const records = ["dbo.A", "dbo.B", "dbo.C"].map((t) => kit.ledger.record(link, t)!);
    await kit.ledger.saveLinkTables(
      link,
      records.map((r) => ({ ...r, status: "Replicating" as const, updatedAt: NOW })),
    );
    const calls: string[][] = [];
    kit.deps.outcomes = {
      ...kit.deps.outcomes,
      requestsCompleted: (views) => Promise.resolve(void calls.push(views.map((v) => v.requestId))),
    };
    await completeRequests(kit.deps, link, NOW);
    expect(calls.map((ids) => [...ids].sort())).toEqual([["r1", "r2", "r3"]]);
  });

  it("passes over only the requests whose tables reached a final status since the last completion", async () => {
    const kit = makeDeps();
    for (const [id, table] of [
      ["r1", "dbo.A"],
      ["r2", "dbo.B"],
    ] as const) {
      await kit.ledger.recordRequest(request(id, [table]), NOW);
    }
    await claimPendingRequests(kit.deps, link, NOW);
    const later = "2026-01-05T08:10:00.000Z";
    const lastCompletion = "2026-01-05T08:05:00.000Z";
    // B settled before the last completion (which found r2 not yet done, say); A after it.
    const a = kit.ledger.record(link, "dbo.A")!;
    const b = kit.ledger.record(link, "dbo.B")!;
    await kit.ledger.saveLinkTables(link, [
      { ...a, status: "Replicating", updatedAt: later },
      { ...b, status: "Replicating", updatedAt: NOW },
    ]);
    const listOpen = jest.spyOn(kit.ledger, "listOpenRequests");

    expect(await completeRequests(kit.deps, link, later, lastCompletion)).toEqual({
      completedRequestIds: ["r1"],
    });
    expect(listOpen).not.toHaveBeenCalled();
    // A sweep finds the rest.
    expect(await completeRequests(kit.deps, link, later)).toEqual({
      completedRequestIds: ["r2"],
      openRequests: 0,
    });
  });

  it("keeps a request open in a pass over what changed while another of its tables is in flight", async () => {
    const kit = makeDeps();
    await kit.ledger.recordRequest(request("r1", ["dbo.A", "dbo.B"]), NOW);
    await claimPendingRequests(kit.deps, link, NOW);
    const later = "2026-01-05T08:10:00.000Z";
    const a = kit.ledger.record(link, "dbo.A")!;
    await kit.ledger.saveLinkTables(link, [{ ...a, status: "Replicating", updatedAt: later }]);
    expect(await completeRequests(kit.deps, link, later, NOW)).toEqual({ completedRequestIds: [] });
    expect((await kit.ledger.getRequest("r1"))?.status).toBe("InProgress");
  });
});
