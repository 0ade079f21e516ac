import { SynapseRequestError } from "../../../shared/synapse/synapseLinkClient";
import { applyEdits } from "../../../shared/worker/applyEdits";
import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { preflightLink } from "../../../shared/worker/preflightLink";
import { link, makeDeps, NOW, request } from "./workerTestKit";

async function planned(tables: string[], settings = {}) {
  const kit = makeDeps(settings);
  kit.synapse.addLink("demo-link");
  await kit.ledger.recordRequest(request("r1", tables), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  const plan = await preflightLink(kit.deps, link, NOW);
  if (plan.kind !== "edits") throw new Error(`expected edits, got ${plan.kind}`);
  return { ...kit, edits: plan.edits };
}

describe("applyEdits", () => {
  it("sends the whole batch in one call and marks the tables Adding with their ids", async () => {
    const { ledger, synapse, deps, edits } = await planned(["dbo.A", "dbo.B"]);
    expect(await applyEdits(deps, link, edits, NOW)).toEqual({
      kind: "sent",
      added: 2,
      removed: 0,
      failed: 0,
    });
    expect(synapse.edits).toHaveLength(1);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: edits[0]?.id,
      editedAt: NOW,
    });
  });

  it("does not re-send an add that already landed when the activity runs again after a crash", async () => {
    const { ledger, synapse, deps, edits } = await planned(["dbo.A"]);
    const pendingRecord = ledger.record(link, "dbo.A")!;
    await applyEdits(deps, link, edits, NOW);
    // The crash happened after the service accepted the edit but before the ledger was saved.
    await ledger.saveLinkTables(link, [pendingRecord]);
    expect(await applyEdits(deps, link, edits, NOW)).toMatchObject({ kind: "sent", added: 1 });
    expect(synapse.edits).toHaveLength(1);
    expect(ledger.record(link, "dbo.A")?.status).toBe("Adding");
  });

  it("asks to retry later on the enabled-once transient and counts the retry", async () => {
    const { ledger, synapse, deps, edits } = await planned(["dbo.A"]);
    synapse.editError = new SynapseRequestError(
      "editTables failed (HTTP 400): A table can only be enabled once among all table groups",
      400,
      "BadRequest",
      "editTables",
    );
    expect((await applyEdits(deps, link, edits, NOW)).kind).toBe("retryLater");
    expect(ledger.record(link, "dbo.A")).toMatchObject({ status: "Pending", enabledOnceRetries: 1 });
  });

  it("fails the table with the service's text once the enabled-once retries are used up", async () => {
    const { ledger, synapse, deps, edits } = await planned(["dbo.A"], { enabledOnceMaxRetries: 1 });
    synapse.editError = new SynapseRequestError(
      "A table can only be enabled once among all table groups",
      400,
      undefined,
      "editTables",
    );
    await applyEdits(deps, link, edits, NOW);
    await applyEdits(deps, link, edits, NOW);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(/enabled once.*still failing after 1 retries/),
    });
  });

  it("rethrows throttling so the orchestrator's retry policy takes over", async () => {
    const { synapse, deps, edits } = await planned(["dbo.A"]);
    synapse.editError = new SynapseRequestError("throttled", 429, undefined, "editTables");
    await expect(applyEdits(deps, link, edits, NOW)).rejects.toThrow("throttled");
  });

  it("isolates the table the service refuses by retrying a refused batch table by table", async () => {
    const { ledger, synapse, deps, edits } = await planned(["dbo.A", "dbo.Bad"]);
    const original = synapse.editTables.bind(synapse);
    synapse.editTables = (l, batch) =>
      batch.some((e) => e.source.name === "Bad")
        ? Promise.reject(new SynapseRequestError("Bad is not a valid table", 400, "BadRequest", "editTables"))
        : original(l, batch);
    expect(await applyEdits(deps, link, edits, NOW)).toEqual({
      kind: "sent",
      added: 1,
      removed: 0,
      failed: 1,
    });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Adding");
    expect(ledger.record(link, "dbo.Bad")).toMatchObject({
      status: "Failed",
      error: "Bad is not a valid table",
    });
  });
});
