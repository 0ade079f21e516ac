import { SynapseRequestError, SynapseThrottledError } from "../../../shared/synapse/synapseLinkClient";
import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { confirmEditsApplied } from "../../../shared/worker/confirmEditsApplied";
import { SEND_ACTIVITY_BUDGET_MS, sendEdits } from "../../../shared/worker/sendEdits";
import type { LinkTableRecord } from "../../../shared/ledger/ledger";
import { link, makeDeps, NOW, request } from "./workerTestKit";

async function kitRequest(
  ledger: ReturnType<typeof makeDeps>["ledger"],
  deps: ReturnType<typeof makeDeps>["deps"],
  id: string,
  tables: string[],
  action: "add" | "remove",
) {
  await ledger.recordRequest(request(id, tables, action), NOW);
  await claimPendingRequests(deps, link, NOW);
}

async function pendingOf(tables: string[], settings = {}, action: "add" | "remove" = "add") {
  const kit = makeDeps(settings);
  await kit.ledger.recordRequest(request("r1", tables, action), NOW);
  await claimPendingRequests(kit.deps, link, NOW);
  return kit;
}

/**
 * dbo.A due while the link already holds it, and the service stores the app's add as a second entry;
 * `failRemovals` makes removals fail until `restore`.
 */
async function heldTwice() {
  const kit = await pendingOf(["dbo.A"]);
  const { synapse } = kit;
  synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
  synapse.duplicateAdd = "twice";
  const original = synapse.editTables.bind(synapse);
  const failRemovals = (error: Error) => {
    synapse.editTables = (l, batch) =>
      batch[0]?.operation === "remove" ? Promise.reject(error) : original(l, batch);
  };
  const restore = () => {
    synapse.editTables = original;
  };
  return { ...kit, original, failRemovals, restore };
}

/** A 503 that outlasted the SDK's retries, as the adapter reports it (no Retry-After: 60 s). */
const BUSY_503 = new SynapseThrottledError("busy", 503, "ServiceUnavailable", "editTables", 60);

const later = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();
const enabledOnce = (): SynapseRequestError =>
  new SynapseRequestError(
    "Change Feed is already enabled on source table 'dbo.A' with link table id 'x'. A table can only be enabled once among all table groups.",
    400,
    "22718",
    "editTables",
  );

describe("sendEdits while the link is not ready", () => {
  it("fails a table held back past TABLE_DEADLINE_MINUTES since it became due, not one whose cool-down just ended", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B"], { tableDeadlineMinutes: 60 });
    synapse.addLink("demo-link", "Starting");
    const record = (name: string) => ledger.record(link, name)!;
    // dbo.B is a remediation re-add: its request is old, its cool-down ended a minute ago.
    await ledger.saveLinkTables(link, [{ ...record("dbo.B"), action: "reAdd", notBefore: later(61 * 60) }]);

    expect(await sendEdits(deps, link, later(62 * 60))).toMatchObject({ kind: "wait" });
    expect(record("dbo.A")).toMatchObject({
      status: "Failed",
      error:
        "dbo.A could not be sent to link connection demo/demo-link within 60 minutes (TABLE_DEADLINE_MINUTES): link is Starting",
    });
    expect(record("dbo.B").status).toBe("Pending");
    expect(synapse.edits).toEqual([]);
  });
});

describe("sendEdits", () => {
  it("sends every new table in one edittables call with undashed deterministic ids and marks them Adding", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B"]);
    synapse.addLink("demo-link");
    expect(await sendEdits(deps, link, NOW)).toEqual({
      kind: "sent",
      added: 2,
      removed: 0,
      failed: 0,
      deferred: 0,
      applied: true,
    });
    expect(synapse.edits).toHaveLength(1);
    expect(synapse.edits[0]?.map((e) => [e.operation, e.source.name])).toEqual([
      ["add", "A"],
      ["add", "B"],
    ]);
    expect(synapse.edits[0]?.[0]?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: synapse.edits[0]?.[0]?.id,
      editedAt: NOW,
    });
  });

  it("does not re-send an add that already landed when the activity runs again after a crash", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link");
    const original = synapse.editTables.bind(synapse);
    let duringCall: LinkTableRecord | undefined;
    synapse.editTables = (l, batch) => {
      duringCall = ledger.record(link, "dbo.A");
      return original(l, batch);
    };
    await sendEdits(deps, link, NOW);
    expect(duringCall).toMatchObject({ status: "Pending", sendingAt: NOW });
    // The crash happened after the service accepted the edit but before the ledger was saved.
    await ledger.saveLinkTables(link, [duringCall!]);
    let listings = 0;
    const list = synapse.listLinkTables.bind(synapse);
    synapse.listLinkTables = (l) => {
      listings++;
      return list(l);
    };
    await sendEdits(deps, link, later(60));
    expect(listings).toBe(1);
    expect(synapse.edits).toHaveLength(1);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: synapse.edits[0]?.[0]?.id,
    });
    expect(ledger.record(link, "dbo.A")?.sendingAt).toBeUndefined();
  });

  it("sends plain adds without reading the link's tables, and reads them first for a removal", async () => {
    const adds = await pendingOf(["dbo.A"]);
    adds.synapse.addLink("demo-link");
    const removal = await pendingOf(["dbo.A"], {}, "remove");
    removal.synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    const lowerCap = await pendingOf(["dbo.A"], { maxTablesPerLink: 10 });
    lowerCap.synapse.addLink("demo-link");
    const listings = new Map<string, number>();
    for (const [name, kit] of Object.entries({ adds, removal, lowerCap })) {
      const list = kit.synapse.listLinkTables.bind(kit.synapse);
      kit.synapse.listLinkTables = (l) => {
        listings.set(name, (listings.get(name) ?? 0) + 1);
        return list(l);
      };
      await sendEdits(kit.deps, link, NOW);
    }
    expect(Object.fromEntries(listings)).toEqual({ removal: 1, lowerCap: 1 });
    expect(removal.synapse.edits[0]).toEqual([
      { operation: "remove", id: "existing-demo-link-0", source: { schema: "dbo", name: "A" } },
    ]);
  });

  it("adopts a table the link already holds when the service refuses its add, then sends the rest once more", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B"]);
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    expect(await sendEdits(deps, link, NOW)).toMatchObject({
      kind: "sent",
      added: 1,
      failed: 0,
      applied: true,
    });
    // Refused with both tables; read the link; planned again: dbo.B alone.
    expect(synapse.edits.map((batch) => batch.map((e) => e.source.name))).toEqual([["A", "B"], ["B"]]);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: "existing-demo-link-0",
    });
    expect(ledger.record(link, "dbo.B")?.status).toBe("Adding");
  });

  it("watches the entry the link already held when the service accepts the add and keeps that entry", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    synapse.duplicateAdd = "kept";
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", added: 1, applied: true });
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: "existing-demo-link-0",
    });
    expect(synapse.edits).toHaveLength(1);
  });

  it("removes its own second entry when the link ends up holding the table twice, and watches the first", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    synapse.duplicateAdd = "twice";
    const result = await sendEdits(deps, link, NOW);
    expect(result).toMatchObject({
      kind: "sent",
      added: 1,
      notice: expect.stringMatching(/already held: dbo\.A/),
    });
    const sentId = synapse.edits[0]?.[0]?.id;
    expect(synapse.edits[1]).toEqual([
      { operation: "remove", id: sentId, source: { schema: "dbo", name: "A" } },
    ]);
    expect(await synapse.listLinkTables(link)).toEqual([
      { id: "existing-demo-link-0", source: { schema: "dbo", name: "A" } },
    ]);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: "existing-demo-link-0",
    });
  });

  it("removes the app's second entry on the send after a crash, and a later removal leaves the link without the table", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    synapse.duplicateAdd = "twice";
    const original = synapse.editTables.bind(synapse);
    synapse.editTables = (l, batch) =>
      original(l, batch).then(() => Promise.reject(new Error("host crashed before the answer was saved")));
    await expect(sendEdits(deps, link, NOW)).rejects.toThrow(/host crashed/);
    synapse.editTables = original;
    // The mark makes the retried send read the link: it watches the first entry and removes its own.
    expect(await sendEdits(deps, link, later(60))).toMatchObject({
      kind: "nothingToSend",
      notice: expect.stringMatching(/^removed the app's second entry .*dbo\.A/),
    });
    expect(await synapse.listLinkTables(link)).toEqual([
      { id: "existing-demo-link-0", source: { schema: "dbo", name: "A" } },
    ]);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: "existing-demo-link-0",
    });

    await ledger.saveLinkTables(link, [{ ...ledger.record(link, "dbo.A")!, status: "Replicating" }]);
    await kitRequest(ledger, deps, "r2", ["dbo.A"], "remove");
    await sendEdits(deps, link, later(120));
    expect(await synapse.listLinkTables(link)).toEqual([]);
  });

  it("confirms a removal only from the answer of its own call, not a later call's that lists other tables", async () => {
    // The removal first: it goes out in the first half of the split batch [remove A, add B | add C, add D].
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"], {}, "remove");
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    await kitRequest(ledger, deps, "r2", ["dbo.B", "dbo.C", "dbo.D"], "add");
    const original = synapse.editTables.bind(synapse);
    synapse.editTables = async (l, batch) => {
      if (batch.some((e) => e.source.name === "C")) {
        throw new SynapseRequestError("no primary key", 400, "22720", "editTables");
      }
      // Accepted, but the removal not applied yet; the answer lists the call's own tables only.
      await original(
        l,
        batch.filter((e) => e.operation === "add"),
      );
      const held = await synapse.listLinkTables(l);
      return { linkTables: held.filter((t) => batch.some((e) => e.source.name === t.source.name)) };
    };
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", removed: 1, applied: false });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Removing");
  });

  it("plans no batch on an answer that shows only the last call of a split batch, so MAX_TABLES_PER_LINK holds", async () => {
    const names = ["A", "B", "C", "D", "E", "F", "G", "H"].map((n) => `dbo.${n}`);
    const { ledger, synapse, deps } = await pendingOf(names, { editBatchMaxTables: 4, maxTablesPerLink: 6 });
    synapse.addLink("demo-link");
    synapse.editAnswerLists = "edited";
    const original = synapse.editTables.bind(synapse);
    synapse.editTables = (l, batch) =>
      batch.some((e) => e.source.name === "C")
        ? Promise.reject(new SynapseRequestError("no primary key", 400, "22720", "editTables"))
        : original(l, batch);
    await sendEdits(deps, link, NOW);
    await sendEdits(deps, link, later(60));
    expect((await synapse.listLinkTables(link)).length).toBeLessThanOrEqual(6);
    expect(ledger.record(link, "dbo.H")).toMatchObject({
      status: "Rejected",
      error: expect.stringMatching(/MAX_TABLES_PER_LINK/),
    });
  });

  it("leaves the edit unconfirmed when removing its own second entry faults, and the confirm step removes it", async () => {
    const { ledger, synapse, deps, failRemovals, restore } = await heldTwice();
    failRemovals(BUSY_503);
    expect(await sendEdits(deps, link, NOW)).toMatchObject({
      kind: "sent",
      applied: false,
      notice: expect.stringMatching(
        /could not remove the app's second entry .*dbo\.A .*\(busy\); the confirm step tries again/,
      ),
    });
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: "existing-demo-link-0",
    });
    // Still faulting at the first check: not confirmed, so the check comes again.
    expect(await confirmEditsApplied(deps, link, later(10))).toMatchObject({
      applied: false,
      outstanding: 1,
    });
    restore();
    expect(await confirmEditsApplied(deps, link, later(20))).toMatchObject({
      applied: true,
      notice: expect.stringMatching(/^removed the app's second entry .*dbo\.A/),
    });
    expect(await synapse.listLinkTables(link)).toEqual([
      { id: "existing-demo-link-0", source: { schema: "dbo", name: "A" } },
    ]);
  });

  it("hands a faulted removal of its own second entry, found by a send after a crash, to the confirm step", async () => {
    const { synapse, deps, original, failRemovals, restore } = await heldTwice();
    synapse.editTables = (l, batch) =>
      original(l, batch).then(() => Promise.reject(new Error("host crashed before the answer was saved")));
    await expect(sendEdits(deps, link, NOW)).rejects.toThrow(/host crashed/);
    failRemovals(BUSY_503);
    // Nothing is left to send, but the duplicate is: not "nothing to send", which would skip the confirm step.
    expect(await sendEdits(deps, link, later(60))).toMatchObject({ kind: "sent", added: 0, applied: false });
    restore();
    expect(await confirmEditsApplied(deps, link, later(90))).toMatchObject({ applied: true });
    expect(await synapse.listLinkTables(link)).toEqual([
      { id: "existing-demo-link-0", source: { schema: "dbo", name: "A" } },
    ]);
  });

  it("does not hold the confirm step for a removal throttled past its next check: says where to remove it", async () => {
    const { deps, failRemovals } = await heldTwice();
    failRemovals(new SynapseThrottledError("throttled", 429, "TooManyRequests", "editTables", 2131));
    expect(await sendEdits(deps, link, NOW)).toMatchObject({
      kind: "sent",
      applied: true,
      notice: expect.stringMatching(/\(throttled\); remove it in Synapse Studio/),
    });
  });

  it("says where to remove its own second entry when the service refuses to remove it, and still watches the first", async () => {
    const { ledger, deps, failRemovals } = await heldTwice();
    failRemovals(new SynapseRequestError("not allowed", 400, "BadRequest", "editTables"));
    expect(await sendEdits(deps, link, NOW)).toMatchObject({
      kind: "sent",
      applied: true,
      notice: expect.stringMatching(
        /could not remove the app's second entry .*dbo\.A .*\(not allowed\); remove it in Synapse Studio/,
      ),
    });
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: "existing-demo-link-0",
    });
  });

  it("retries, and fails nothing, when detailedstatus answers a 404 the service does not explain (a gateway)", async () => {
    const { ledger, synapse, deps, settled } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link");
    synapse.getDetailedStatus = () =>
      Promise.reject(
        new SynapseRequestError("<html>404 Not Found</html>", 404, undefined, "getDetailedStatus"),
      );
    await expect(sendEdits(deps, link, NOW)).rejects.toThrow(/404 Not Found/);
    expect(ledger.record(link, "dbo.A")?.status).toBe("Pending");
    expect(settled).toEqual([]);
  });

  it("removes its own second entry before saving the answer, so a crash in between loses nothing", async () => {
    const { ledger, synapse, deps } = await heldTwice();
    const save = ledger.saveLinkTables.bind(ledger);
    // The save of the answer (records leaving Pending) fails, as a crash right there would.
    ledger.saveLinkTables = (l, records) =>
      records.some((r) => r.status === "Adding")
        ? Promise.reject(new Error("host crashed before the answer was saved"))
        : save(l, records);
    await expect(sendEdits(deps, link, NOW)).rejects.toThrow(/host crashed/);
    expect(await synapse.listLinkTables(link)).toEqual([
      { id: "existing-demo-link-0", source: { schema: "dbo", name: "A" } },
    ]);
    ledger.saveLinkTables = save;
    // Still marked: the next send reads the link and watches the entry that is left.
    expect(ledger.record(link, "dbo.A")).toMatchObject({ status: "Pending", sendingAt: NOW });
    await sendEdits(deps, link, later(60));
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Adding",
      linkTableId: "existing-demo-link-0",
    });
  });

  it("fails every pending table when the link does not exist", async () => {
    const { ledger, deps } = await pendingOf(["dbo.A"]);
    expect(await sendEdits(deps, link, NOW)).toEqual({
      kind: "refused",
      reason: "Link connection demo/demo-link does not exist",
    });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Failed");
  });

  it("names the status and the setting when a paused link may not be resumed", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link", "Paused");
    await sendEdits(deps, link, NOW);
    expect(ledger.record(link, "dbo.A")?.error).toMatch(/is Paused.*resume.*AUTO_START_LINKS=true/);
  });

  it("asks the orchestrator to resume a paused link when AUTO_START_LINKS is on, without resuming it itself", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"], { autoStartLinks: true });
    synapse.addLink("demo-link", "Paused");
    expect(await sendEdits(deps, link, NOW)).toEqual({
      kind: "wait",
      reason: "resuming the link",
      act: "resume",
    });
    expect(synapse.started).toEqual([]);
  });

  it("waits while the service says the link is applying another change", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link").isApplyingChanges = true;
    expect((await sendEdits(deps, link, NOW)).kind).toBe("wait");
  });

  it("sends a backlog over the batch cap in several calls, one after another, without reading the link's tables", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B", "dbo.C"], { editBatchMaxTables: 2 });
    synapse.addLink("demo-link");
    let listings = 0;
    const list = synapse.listLinkTables.bind(synapse);
    synapse.listLinkTables = (l) => {
      listings++;
      return list(l);
    };
    expect(await sendEdits(deps, link, NOW)).toMatchObject({
      kind: "sent",
      added: 3,
      deferred: 0,
      applied: true,
    });
    expect(synapse.edits.map((batch) => batch.length)).toEqual([2, 1]);
    expect(listings).toBe(0);
    expect(ledger.record(link, "dbo.C")?.status).toBe("Adding");
  });

  it("stops sending batches back to back after SEND_ACTIVITY_BUDGET_MS and leaves the rest for the next poll", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B", "dbo.C", "dbo.D", "dbo.E"], {
      editBatchMaxTables: 1,
    });
    synapse.addLink("demo-link");
    let ms = 0;
    deps.clock = () => ms;
    const original = synapse.editTables.bind(synapse);
    synapse.editTables = (l, batch) => {
      ms += SEND_ACTIVITY_BUDGET_MS / 2; // each call takes half the budget
      return original(l, batch);
    };
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", added: 2, deferred: 3 });
    expect(synapse.edits).toHaveLength(2);
    expect(ledger.record(link, "dbo.C")?.status).toBe("Pending");
  });

  it("caps the batch and leaves the rest pending for the next edit when the answer cannot confirm it", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B", "dbo.C"], { editBatchMaxTables: 2 });
    synapse.addLink("demo-link");
    synapse.editAnswerLists = "nothing";
    expect(await sendEdits(deps, link, NOW)).toMatchObject({
      kind: "sent",
      added: 2,
      deferred: 1,
      applied: false,
    });
    expect(ledger.record(link, "dbo.C")?.status).toBe("Pending");
  });

  it("removes a linked table with the id the service knows it by", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"], {}, "remove");
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    await sendEdits(deps, link, NOW);
    expect(synapse.edits[0]).toMatchObject([{ operation: "remove", id: "existing-demo-link-0" }]);
  });

  it("rejects the tables another link holds when the service refuses the batch as 'enabled once', naming that link, and adds the rest in one more edit", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B", "dbo.C"]);
    synapse.addLink("demo-link");
    synapse.addLink("other-link", "Running", [{ schema: "dbo", name: "A" }]);
    const original = synapse.editTables.bind(synapse);
    synapse.editTables = (l, batch) =>
      batch.some((e) => e.source.name === "A") ? Promise.reject(enabledOnce()) : original(l, batch);
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", added: 2, failed: 1 });
    expect(synapse.edits.map((batch) => batch.map((e) => e.source.name))).toEqual([["B", "C"]]);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Rejected",
      error: expect.stringMatching(/already in link connection other-link/),
    });
    expect(ledger.record(link, "dbo.B")?.status).toBe("Adding");
  });

  it("lists no other link before an edit", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link");
    synapse.addLink("other-link", "Running", [{ schema: "dbo", name: "Z" }]);
    let listings = 0;
    synapse.listLinkConnections = () => {
      listings++;
      return Promise.resolve(["demo-link", "other-link"]);
    };
    await sendEdits(deps, link, NOW);
    expect(listings).toBe(0);
  });

  it("holds a table refused as 'enabled once' for ENABLED_ONCE_RETRY_SECONDS when no configured link holds it", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"], { enabledOnceRetrySeconds: 60 });
    synapse.addLink("demo-link");
    synapse.editError = enabledOnce();
    await sendEdits(deps, link, NOW);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Pending",
      enabledOnceRetries: 1,
      notBefore: later(60),
    });
    expect(await sendEdits(deps, link, later(30))).toEqual({ kind: "nothingToSend", nextEditAt: later(60) });
  });

  it("rejects a table refused as 'enabled once' that a link in another configured workspace holds, naming it", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"]);
    deps.workspaces = ["demo", "west"];
    synapse.addLink("demo-link");
    synapse.editError = enabledOnce();
    // The fake serves every workspace from one map: the holder is found under "west" after "demo".
    const list = synapse.listLinkConnections.bind(synapse);
    synapse.listLinkConnections = (ws) => (ws === "west" ? Promise.resolve(["west-link"]) : list(ws));
    const tables = synapse.listLinkTables.bind(synapse);
    synapse.listLinkTables = (l) =>
      l.linkConnection === "west-link"
        ? Promise.resolve([{ id: "w1", source: { schema: "dbo", name: "A" } }])
        : tables(l);
    await sendEdits(deps, link, NOW);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Rejected",
      error: expect.stringMatching(/already in link connection west\/west-link/),
    });
  });

  it("fails a table still refused as 'enabled once' after the retries, naming both possible causes", async () => {
    const { ledger, synapse, deps, settled } = await pendingOf(["dbo.A"], {
      enabledOnceMaxRetries: 1,
      enabledOnceRetrySeconds: 60,
    });
    synapse.addLink("demo-link");
    synapse.editError = enabledOnce();
    await sendEdits(deps, link, NOW);
    // Retried later, not failed: nothing reported yet.
    expect(settled).toEqual([]);
    await sendEdits(deps, link, later(61));
    expect(settled.map((t) => t.status)).toEqual(["Failed"]);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(
        /still refused after 1 retries.*another workspace.*still being cleaned up/,
      ),
    });
  });

  it("fails a table refused for a missing primary key at once, saying what to fix, and reports it", async () => {
    const { ledger, synapse, deps, settled } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link");
    synapse.editError = new SynapseRequestError(
      "Enabling Change Feed on a table without primary key is not allowed.",
      400,
      "22720",
      "editTables",
    );
    await sendEdits(deps, link, NOW);
    expect(ledger.record(link, "dbo.A")).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(/primary key.*\(.*primary key/i),
    });
    // Reported as a table that failed while watched is (table.failed, the failed-for-good alert).
    expect(settled).toEqual([
      expect.objectContaining({
        table: { schema: "dbo", name: "A" },
        status: "Failed",
        requestIds: ["r1"],
        error: expect.stringMatching(/primary key/i),
      }),
    ]);
  });

  it("rethrows throttling and server errors for the retry policy and the guard", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link");
    synapse.editError = new SynapseRequestError("throttled", 429, undefined, "editTables");
    await expect(sendEdits(deps, link, NOW)).rejects.toThrow("throttled");
  });

  it("isolates the table the service refuses by retrying a refused batch table by table", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.Bad"]);
    synapse.addLink("demo-link");
    const original = synapse.editTables.bind(synapse);
    synapse.editTables = (l, batch) =>
      batch.some((e) => e.source.name === "Bad")
        ? Promise.reject(new SynapseRequestError("Bad is not a valid table", 400, "BadRequest", "editTables"))
        : original(l, batch);
    expect(await sendEdits(deps, link, NOW)).toEqual({
      kind: "sent",
      added: 1,
      removed: 0,
      failed: 1,
      deferred: 0,
      applied: true,
    });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Adding");
    expect(ledger.record(link, "dbo.Bad")).toMatchObject({
      status: "Failed",
      error: "Bad is not a valid table",
    });
  });

  it("halves a refused batch until the refused table stands alone, not one call per table", async () => {
    const names = Array.from({ length: 16 }, (_, i) => `dbo.T${i}`);
    const { ledger, synapse, deps, settled } = await pendingOf(names);
    synapse.addLink("demo-link");
    const original = synapse.editTables.bind(synapse);
    let calls = 0;
    synapse.editTables = (l, batch) => {
      calls++;
      return batch.some((e) => e.source.name === "T5")
        ? Promise.reject(new SynapseRequestError("T5 is not a valid table", 400, "BadRequest", "editTables"))
        : original(l, batch);
    };
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", added: 15, failed: 1 });
    // 16 → 8 + 8 → 4 + 4 → 2 + 2 → 1 + 1: 9 calls instead of 17. The first refusal came before the
    // link's tables were read: they are read, and the same batch is split without a second call.
    expect(calls).toBe(9);
    expect(ledger.record(link, "dbo.T5")?.status).toBe("Failed");
    expect(settled.map((t) => `${t.table.name} ${t.status}`)).toEqual(["T5 Failed"]);
  });

  it("finishes a removal the service's answer no longer lists, with nothing left to confirm", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"], {}, "remove");
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", removed: 1, applied: true });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Removed");
  });

  it("leaves the edit to be confirmed when the answer lists no tables", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A"], {}, "remove");
    synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "A" }]);
    synapse.editAnswerLists = "nothing";
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", removed: 1, applied: false });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Removing");
  });

  it("leaves the edit to be confirmed when the service reports isApplyingChanges", async () => {
    const { synapse, deps } = await pendingOf(["dbo.A"]);
    synapse.addLink("demo-link").isApplyingChanges = false;
    expect(await sendEdits(deps, link, NOW)).toMatchObject({ kind: "sent", added: 1, applied: false });
  });

  it("confirms the adds an answer listing only the edited tables shows, but plans no removal on it", async () => {
    const { ledger, synapse, deps } = await pendingOf(["dbo.A", "dbo.B"], { editBatchMaxTables: 2 });
    synapse.addLink("demo-link", "Running", [
      { schema: "dbo", name: "Old" },
      { schema: "dbo", name: "C" },
    ]);
    synapse.editAnswerLists = "edited";
    await kitRequest(ledger, deps, "r2", ["dbo.C"], "remove");
    let listings = 0;
    const list = synapse.listLinkTables.bind(synapse);
    synapse.listLinkTables = (l) => {
      listings++;
      return list(l);
    };
    expect(await sendEdits(deps, link, NOW)).toMatchObject({
      kind: "sent",
      added: 2,
      removed: 1,
      applied: true,
    });
    // Batch 1 (A, B) was read for: the removal of C needs the link's tables, read before it, then
    // again before the second batch since the answer listed the edited tables only.
    expect(synapse.edits.map((batch) => batch.map((e) => e.source.name))).toEqual([["A", "B"], ["C"]]);
    expect(listings).toBe(2);
    expect(ledger.record(link, "dbo.C")?.status).toBe("Removed");
  });
});
