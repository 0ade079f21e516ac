import { demoSeed, parseSimProfile, type SimSeed } from "../../dev/synapse-sim";
import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import { useLinkWorkerHarness } from "../support/linkWorkerHarness";

const start = useLinkWorkerHarness();

function stoppedDemoSeed(): SimSeed {
  const seed = demoSeed();
  seed.links[0]!.status = "Stopped";
  return seed;
}

describe("link worker: resilience", () => {
  it("(f) fails clearly when the link is stopped and AUTO_START_LINKS is off", async () => {
    const h = await start(stoppedDemoSeed());
    const id = await h.submit(["dbo.Orders"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("Failed");
    expect(view.tables[0]?.error).toMatch(/demo\/demo-link is Stopped.*AUTO_START_LINKS=true/);
    expect(h.editCalls()).toHaveLength(0);
    expect(h.sim.callsTo("LinkConnection_Start")).toHaveLength(0);
  });

  it("(f) starts a stopped link when AUTO_START_LINKS=true and then adds the tables", async () => {
    const h = await start(stoppedDemoSeed(), { autoStartLinks: true });
    const id = await h.submit(["dbo.Orders"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("Succeeded");
    expect(h.sim.callsTo("LinkConnection_Start", "demo-link")).toHaveLength(1);
    expect(h.sim.link("demo-link")?.status).toBe("Running");
    expect(h.addsPerTable()).toEqual({ "dbo.Orders": 1 });
  });

  it("(g) rides out 429 with Retry-After and a 503 on every third call, adding each table exactly once", async () => {
    const h = await start();
    h.sim.addFault({ kind: "status", status: 429, retryAfterSeconds: 1, times: 2 });
    h.sim.addFault({ kind: "status", status: 503, everyNth: 3 });
    const id = await h.submit(["dbo.Customers", "dbo.Orders", "sales.Invoices"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("Succeeded");
    expect(h.addsPerTable()).toEqual({ "dbo.Customers": 1, "dbo.Orders": 1, "sales.Invoices": 1 });
    const injected = h.sim.calls.filter((c) => c.status === 429 || c.status === 503);
    console.log(
      `(g) Synapse calls: ${h.sim.calls.length}, injected 429: ${injected.filter((c) => c.status === 429).length}, injected 503: ${injected.filter((c) => c.status === 503).length}`,
    );
    expect(injected.filter((c) => c.status === 429)).toHaveLength(2);
    expect(injected.filter((c) => c.status === 503).length).toBeGreaterThan(0);
  });

  it("(h) waits out the re-add cool-down after a removal, so the re-add is not refused as 'enabled once'", async () => {
    const seed = demoSeed();
    // The removed table's rows stay in the target; this link may drop and recreate it.
    seed.links[0]!.tables = [{ schema: "dbo", name: "Orders" }];
    seed.links[0]!.actionOnExistingTargetTable = "DropAndRecreateTable";
    const h = await start(
      seed,
      { enabledOnceRetrySeconds: 30, reAddCooldownSeconds: 120 },
      { removeCleanupMs: 90_000 },
    );
    const removal = await h.submit(["dbo.Orders"], { action: "remove" });
    await h.driver.run();
    expect((await h.request(removal)).status).toBe("Succeeded");
    expect(h.tableStatuses(await h.request(removal))).toEqual({ "dbo.Orders": "Removed" });

    const readd = await h.submit(["dbo.Orders"]);
    await h.driver.run();

    const view = await h.request(readd);
    expect(view.tables[0]?.error).toBeUndefined();
    expect(view.status).toBe("Succeeded");
    expect(h.tableStatuses(view)).toEqual({ "dbo.Orders": "Replicating" });
    const refused = h.sim.callsTo("LinkConnection_EditTables", "demo-link").filter((c) => c.status === 400);
    expect(refused).toHaveLength(0);
    expect(h.addsPerTable()).toEqual({ "dbo.Orders": 1 });
  });

  it("ends a removal the link took longer to apply than the confirm step waits, at a later poll", async () => {
    const seed = demoSeed();
    seed.links[0]!.tables = [{ schema: "dbo", name: "Orders" }];
    // The service reports isApplyingChanges, and stays applying past 40 confirm polls of 15 s.
    const h = await start(
      seed,
      { applyPollSeconds: 15 },
      { applyMs: 20 * 60_000 },
      { profile: parseSimProfile("applying:present") },
    );
    const removal = await h.submit(["dbo.Orders"], { action: "remove" });
    await h.driver.run();

    const view = await h.request(removal);
    expect(view.status).toBe("Succeeded");
    expect(h.tableStatuses(view)).toEqual({ "dbo.Orders": "Removed" });
    expect(h.driver.getStatus(linkWorkerInstanceId(h.link()))?.runtimeStatus).toBe("Completed");
  });

  it.each([
    ["while its tables snapshot", "monitoring", {}, {}],
    // The service keeps applying the edit for 10 minutes: the worker is still confirming it.
    [
      "while its edit is being confirmed",
      "confirming",
      { applyMs: 10 * 60_000 },
      { profile: parseSimProfile("applying:present") },
    ],
  ])(
    "ends the requests of a link deleted %s: its tables fail naming it and the worker finishes",
    async (_when, phase, timings, extras) => {
      const h = await start(demoSeed(), {}, { snapshotMs: 30 * 60_000, ...timings }, extras);
      const id = await h.submit(["dbo.Customers", "dbo.Orders"]);
      const instanceId = linkWorkerInstanceId(h.link());
      const phaseNow = () =>
        (h.driver.getStatus(instanceId)?.customStatus as { phase?: string } | null)?.phase;
      await h.driver.run({ until: () => h.editCalls().length === 1 && phaseNow() === phase });
      await h.deleteLink();
      await h.driver.run({ maxVirtualMs: 60 * 60_000 });

      const view = await h.request(id);
      expect(view.status).toBe("Failed");
      expect(view.tables.map((t) => t.error)).toEqual([
        expect.stringMatching(/Link connection demo\/demo-link does not exist/),
        expect.stringMatching(/Link connection demo\/demo-link does not exist/),
      ]);
      expect(h.driver.getStatus(instanceId)?.runtimeStatus).toBe("Completed");
      // Ended as an answer, not ridden out as a fault: no back-off, nothing on the link's health.
      expect(h.activityCalls().linkWorker_recordHealth).toBeUndefined();
    },
  );

  it("fails a table the link holds back past TABLE_DEADLINE_MINUTES (a change that never finishes applying), naming why", async () => {
    const h = await start(
      demoSeed(),
      { tableDeadlineMinutes: 60 },
      { applyMs: 48 * 3600_000 },
      { profile: parseSimProfile("applying:present") },
    );
    await h.submit(["dbo.Customers"]);
    await h.driver.run({ until: () => h.editCalls().length === 1 });
    const heldBack = await h.submit(["dbo.Orders"]);
    await h.driver.run({ maxVirtualMs: 3 * 3600_000 });

    const view = await h.request(heldBack);
    expect(view.status).toBe("Failed");
    expect(view.tables[0]?.error).toMatch(
      /^dbo\.Orders could not be sent to link connection demo\/demo-link within 60 minutes \(TABLE_DEADLINE_MINUTES\): the link is applying another change$/,
    );
    expect(h.editCalls()).toHaveLength(1);
  });

  it("fails a re-add over a non-empty target table at once, naming actionOnExistingTargetTable", async () => {
    const seed = demoSeed();
    seed.links[0]!.tables = [{ schema: "dbo", name: "Orders" }];
    const h = await start(seed, { enabledOnceRetrySeconds: 30 }, { removeCleanupMs: 30_000 });
    await h.submit(["dbo.Orders"], { action: "remove" });
    await h.driver.run();
    const readd = await h.submit(["dbo.Orders"]);
    await h.driver.run();

    const view = await h.request(readd);
    expect(view.status).toBe("Failed");
    expect(view.tables[0]?.error).toMatch(/actionOnExistingTargetTable=FailOnNonEmptyTable/);
    expect(view.tables[0]?.error).not.toMatch(/re-add attempts/);
    expect(h.addsPerTable()).toEqual({ "dbo.Orders": 1 });
  });

  it("(i) keeps history bounded with continueAsNew over 24 simulated hours of monitoring", async () => {
    const h = await start(demoSeed(), { tableDeadlineMinutes: 48 * 60 }, { snapshotMs: 30 * 3600_000 });
    const instanceId = linkWorkerInstanceId(h.link());
    const startedAt = h.driver.now;
    await h.submit(["dbo.Orders"]);
    const phase = () =>
      (h.driver.getStatus(instanceId)?.customStatus as { phase?: string } | undefined)?.phase;
    await h.driver.run({ until: () => h.driver.now - startedAt >= 24 * 3600_000 && phase() === "waiting" });

    const status = h.driver.getStatus(instanceId);
    expect(status?.runtimeStatus).toBe("Running");
    const longest = Math.max(...(status?.historyLengths ?? [Infinity]));
    console.log(
      `(i) virtual hours: ${((h.driver.now - startedAt) / 3600_000).toFixed(1)}, executions: ${status?.executions}, longest history: ${longest} events, querytablestatus calls: ${h.sim.callsTo("LinkConnection_QueryTableStatus").length}`,
    );
    expect(status?.executions).toBeGreaterThan(1);
    expect(longest).toBeLessThanOrEqual(300);
    // A poll that changed no table does not look for finished requests: once per execution at most.
    const calls = h.activityCalls();
    console.log(
      `(i) monitorTables: ${calls.linkWorker_monitorTables ?? 0}, completeRequests: ${calls.linkWorker_completeRequests ?? 0}`,
    );
    expect(calls.linkWorker_completeRequests ?? 0).toBeLessThanOrEqual((status?.executions ?? 0) + 3);
    expect(status?.customStatus).toMatchObject({ phase: "waiting", tables: { Snapshotting: 1 } });
    h.driver.terminate(instanceId, "test over");
  });
});
