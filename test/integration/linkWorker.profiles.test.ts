import {
  demoSeed,
  parseSimProfile,
  simProfileMatrix,
  type SimProfile,
  type SimSeed,
} from "../../dev/synapse-sim";
import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import { useLinkWorkerHarness } from "../support/linkWorkerHarness";

/*
 * The link-worker scenarios under every answer the real service might give to the open questions
 * (docs/real-service.md): one simulator profile per answer, the virtual clock, the real SDK, the
 * real orchestrator. Every scenario must hold under every profile.
 */
const start = useLinkWorkerHarness();

function withExtraTables(count: number): SimSeed {
  const seed = demoSeed();
  for (let i = 0; i < count; i++)
    seed.sourceTables.push({ schema: "dbo", name: `Extra${i}`, primaryKey: ["Id"] });
  return seed;
}

const profiles = simProfileMatrix().map(({ name, profile }) => [name, profile] as const);

describe.each(profiles)("link worker under the simulator profile %s", (name: string, profile: SimProfile) => {
  const extras = { profile };

  it("adds one request's tables with one edittables call and reports them Replicating", async () => {
    const h = await start(demoSeed(), {}, undefined, extras);
    const id = await h.submit(["dbo.Customers", "dbo.Orders", "dbo.Products"]);
    await h.driver.run();
    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.editCalls()).toHaveLength(1);
    expect(h.driver.getStatus(linkWorkerInstanceId(h.link()))?.runtimeStatus).toBe("Completed");
  });

  it("batches ten requests that arrive while the worker waits into at most two edittables calls", async () => {
    const h = await start(withExtraTables(10), {}, undefined, extras);
    const instanceId = linkWorkerInstanceId(h.link());
    const first = await h.submit(["dbo.Customers"]);
    await h.driver.run({
      until: () => h.editCalls().length === 1 && h.driver.pendingTimers(instanceId).length > 0,
    });
    const later: string[] = [];
    for (let i = 0; i < 10; i++) later.push(await h.submit([`dbo.Extra${i}`]));
    await h.driver.run();
    expect(h.editCalls().length - 1).toBeLessThanOrEqual(2);
    for (const id of [first, ...later]) expect((await h.request(id)).status).toBe("Succeeded");
    expect(Object.values(h.addsPerTable()).every((n) => n === 1)).toBe(true);
  });

  it("sends a backlog over EDIT_BATCH_MAX_TABLES in batches, adding each table once", async () => {
    const h = await start(withExtraTables(10), { editBatchMaxTables: 4 }, undefined, extras);
    const id = await h.submit(Array.from({ length: 10 }, (_, i) => `dbo.Extra${i}`));
    await h.driver.run();
    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.editCalls()).toHaveLength(3);
    expect(Object.values(h.addsPerTable()).every((n) => n === 1)).toBe(true);
    // Where the edit's answer shows it applied, the batches go out in one activity without reading
    // the link's tables; otherwise each batch is confirmed through them.
    const answered = profile.editAnswer !== "empty" && profile.applying === "absent";
    const listings = h.sim.callsTo("LinkConnection_ListLinkTables", "demo-link").length;
    if (answered) expect(listings).toBe(0);
    else expect(listings).toBeGreaterThan(1);
  });

  it("watches a table the link already holds under its own entry, leaving the link with one entry per table", async () => {
    const seed = demoSeed();
    seed.links[0]!.tables = [{ schema: "dbo", name: "Customers" }];
    const h = await start(seed, {}, undefined, extras);
    const before = h.sim.link("demo-link")!.tables.map((t) => t.id);
    const id = await h.submit(["dbo.Customers", "dbo.Orders"]);
    await h.driver.run();
    expect((await h.request(id)).status).toBe("Succeeded");
    const tables = h.sim.link("demo-link")!.tables;
    expect(tables.map((t) => `${t.schema}.${t.name} ${t.status}`).sort()).toEqual([
      "dbo.Customers Replicating",
      "dbo.Orders Replicating",
    ]);
    expect(tables.find((t) => t.name === "Customers")?.id).toBe(before[0]);
    expect(h.addsPerTable()["dbo.Orders"]).toBe(1);
  });

  it("rejects a table that belongs to another link, naming it", async () => {
    const h = await start(demoSeed(), {}, undefined, extras);
    const id = await h.submit(["dbo.Legacy", "dbo.Orders"]);
    await h.driver.run();
    const view = await h.request(id);
    expect(view.status).toBe("PartiallySucceeded");
    expect(view.tables.find((t) => t.name === "Legacy")).toMatchObject({
      status: "Rejected",
      error: expect.stringMatching(/other-link/),
    });
  });

  it("fails a table without a primary key at once, saying what to fix, without remove-and-re-add, and reports it once", async () => {
    const h = await start(demoSeed(), { remediationMaxAttempts: 2 }, undefined, extras);
    const settled = h.recordTableOutcomes();
    const id = await h.submit(["dbo.AuditLog"]);
    await h.driver.run();
    const view = await h.request(id);
    expect(view.tables[0]).toMatchObject({
      status: "Failed",
      error: expect.stringMatching(/add a primary key/i),
    });
    // Accepted once (failedStatus) or refused at once (badRequest): never re-added.
    expect(h.addsPerTable()["dbo.AuditLog"] ?? 0).toBeLessThanOrEqual(1);
    // table.failed goes out either way: from the status poll, or from the refused edit.
    expect(settled.map((t) => `${t.table.schema}.${t.table.name} ${t.status}`)).toEqual([
      "dbo.AuditLog Failed",
    ]);
    expect(settled[0]?.requestIds).toEqual([id]);
  });

  it("onboards a table that failed for good once it is fixed and asked for again, leaving one entry", async () => {
    const h = await start(demoSeed(), {}, undefined, extras);
    const first = await h.submit(["dbo.AuditLog"]);
    await h.driver.run();
    expect((await h.request(first)).status).toBe("Failed");
    // The requester adds the primary key the error asked for, and sends the request again.
    h.sim.putSourceTable({ schema: "dbo", name: "AuditLog", primaryKey: ["Id"] });
    const again = await h.submit(["dbo.AuditLog"]);
    await h.driver.run();
    expect((await h.request(again)).status).toBe("Succeeded");
    const entries = h.sim.link("demo-link")!.tables.filter((t) => t.name === "AuditLog");
    expect(entries.map((t) => t.status)).toEqual(["Replicating"]);
  });

  it("fails clearly when the link is stopped and AUTO_START_LINKS is off", async () => {
    const seed = demoSeed();
    seed.links[0]!.status = "Stopped";
    const h = await start(seed, {}, undefined, extras);
    const id = await h.submit(["dbo.Orders"]);
    await h.driver.run();
    expect((await h.request(id)).tables[0]?.error).toMatch(/is Stopped.*AUTO_START_LINKS=true/);
    expect(h.editCalls()).toHaveLength(0);
  });

  it("rides out 429 and 503 answers, adding each table exactly once", async () => {
    const h = await start(demoSeed(), {}, undefined, extras);
    h.sim.addFault({ kind: "status", status: 429, retryAfterSeconds: 1, times: 2 });
    h.sim.addFault({ kind: "status", status: 503, everyNth: 3 });
    const id = await h.submit(["dbo.Customers", "dbo.Orders", "sales.Invoices"]);
    await h.driver.run();
    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.addsPerTable()).toEqual({ "dbo.Customers": 1, "dbo.Orders": 1, "sales.Invoices": 1 });
  });

  it("gets a just-removed table back in although the service's clean-up outlasts the re-add cool-down", async () => {
    const seed = demoSeed();
    seed.links[0]!.tables = [{ schema: "dbo", name: "Orders" }];
    seed.links[0]!.actionOnExistingTargetTable = "DropAndRecreateTable";
    const h = await start(
      seed,
      { reAddCooldownSeconds: 30, enabledOnceRetrySeconds: 30 },
      { removeCleanupMs: 90_000 },
      extras,
    );
    await h.submit(["dbo.Orders"], { action: "remove" });
    await h.driver.run();
    const readd = await h.submit(["dbo.Orders"]);
    await h.driver.run();
    const view = await h.request(readd);
    expect(view.status).toBe("Succeeded");
    expect(h.tableStatuses(view)).toEqual({ "dbo.Orders": "Replicating" });
  });

  it("keeps history bounded with continueAsNew over 24 simulated hours of monitoring", async () => {
    const h = await start(
      demoSeed(),
      { tableDeadlineMinutes: 48 * 60, pollMaxSeconds: 900 },
      { snapshotMs: 30 * 3600_000 },
      extras,
    );
    const instanceId = linkWorkerInstanceId(h.link());
    const startedAt = h.driver.now;
    await h.submit(["dbo.Orders"]);
    await h.driver.run({ until: () => h.driver.now - startedAt >= 24 * 3600_000 });
    const status = h.driver.getStatus(instanceId);
    expect(status?.runtimeStatus).toBe("Running");
    expect(Math.max(...(status?.historyLengths ?? [Infinity]))).toBeLessThanOrEqual(300);
    expect(status?.largePayloads).toEqual([]);
    h.driver.terminate(instanceId, `test over (${name})`);
  });
});

/*
 * Answers to "an add of a table the link already holds" that only show together with another
 * key's non-default answer: a second entry that fails (enabledOnce:failedStatus), and an accepted
 * add whose answer lists nothing or only the edited tables.
 */
describe.each([
  "duplicateAdd:enabledOnce,enabledOnce:failedStatus",
  "duplicateAdd:kept,editAnswer:empty",
  "duplicateAdd:kept,editAnswer:editedOnly",
  "duplicateAdd:enabledOnce,editAnswer:empty,applying:present",
])("link worker when a table is already in the link, under %s", (profile: string) => {
  it("watches the entry the link already held and leaves one entry per table", async () => {
    const seed = demoSeed();
    seed.links[0]!.tables = [{ schema: "dbo", name: "Customers" }];
    const h = await start(seed, {}, undefined, { profile: parseSimProfile(profile) });
    const before = h.sim.link("demo-link")!.tables.map((t) => t.id);
    const id = await h.submit(["dbo.Customers", "dbo.Orders"]);
    await h.driver.run();
    expect(h.tableStatuses(await h.request(id))).toEqual({
      "dbo.Customers": "Replicating",
      "dbo.Orders": "Replicating",
    });
    const tables = h.sim.link("demo-link")!.tables;
    expect(tables.map((t) => `${t.schema}.${t.name} ${t.status}`).sort()).toEqual([
      "dbo.Customers Replicating",
      "dbo.Orders Replicating",
    ]);
    expect(tables.find((t) => t.name === "Customers")?.id).toBe(before[0]);
  });
});
