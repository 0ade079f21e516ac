import { demoSeed } from "../../dev/synapse-sim";
import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import { useLinkWorkerHarness } from "../support/linkWorkerHarness";

const start = useLinkWorkerHarness();

describe("link worker: onboarding", () => {
  it("(a) adds a request's three tables with one edittables call and reports them Replicating", async () => {
    const h = await start();
    const id = await h.submit(["dbo.Customers", "dbo.Orders", "dbo.Products"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("Succeeded");
    expect(h.tableStatuses(view)).toEqual({
      "dbo.Customers": "Replicating",
      "dbo.Orders": "Replicating",
      "dbo.Products": "Replicating",
    });
    expect(h.editCalls()).toHaveLength(1);
    expect(h.sim.link("demo-link")?.tables.map((t) => t.status)).toEqual([
      "Replicating",
      "Replicating",
      "Replicating",
    ]);
    expect(h.driver.getStatus(linkWorkerInstanceId(h.link()))?.runtimeStatus).toBe("Completed");
    console.log(`(a) edittables calls: ${h.editCalls().length}; Synapse calls in all: ${h.sim.calls.length}`);
  });

  it("(b) batches ten requests that arrive while the worker waits into at most two edittables calls", async () => {
    const seed = demoSeed();
    const extra = Array.from({ length: 10 }, (_, i) => ({
      schema: "dbo",
      name: `Extra${i}`,
      primaryKey: ["Id"],
    }));
    seed.sourceTables.push(...extra);
    const h = await start(seed);
    const instanceId = linkWorkerInstanceId(h.link());

    const first = await h.submit(["dbo.Customers"]);
    // Let the worker send its first edit and settle on its poll timer.
    await h.driver.run({
      until: () =>
        h.editCalls().length === 1 &&
        h.driver.pendingTimers(instanceId).length > 0 &&
        h.driver.isIdle(instanceId),
    });
    const editsBefore = h.editCalls().length;

    const later: string[] = [];
    for (const table of extra) later.push(await h.submit([`dbo.${table.name}`]));
    await h.driver.run();

    const editsForTheTen = h.editCalls().length - editsBefore;
    console.log(`(b) edittables calls: first request ${editsBefore}, ten later requests ${editsForTheTen}`);
    expect(editsForTheTen).toBeGreaterThanOrEqual(1);
    expect(editsForTheTen).toBeLessThanOrEqual(2);
    for (const id of [first, ...later]) expect((await h.request(id)).status).toBe("Succeeded");
    expect(Object.values(h.addsPerTable()).every((n) => n === 1)).toBe(true);
  });

  it("(c) sends no edit for a table that is already in the link and reports it Replicating", async () => {
    const seed = demoSeed();
    seed.links[0]!.tables = [{ schema: "dbo", name: "Customers" }];
    const h = await start(seed);
    const id = await h.submit(["dbo.Customers", "dbo.Orders"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("Succeeded");
    expect(h.tableStatuses(view)).toEqual({ "dbo.Customers": "Replicating", "dbo.Orders": "Replicating" });
    expect(h.addsPerTable()).toEqual({ "dbo.Orders": 1 });
  });

  it("(d) rejects a table that belongs to another link, naming it, and adds the rest", async () => {
    const h = await start();
    const id = await h.submit(["dbo.Legacy", "dbo.Orders"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("PartiallySucceeded");
    const legacy = view.tables.find((t) => t.name === "Legacy");
    expect(legacy?.status).toBe("Rejected");
    expect(legacy?.error).toMatch(/other-link/);
    expect(h.tableStatuses(view)["dbo.Orders"]).toBe("Replicating");
    expect(h.addsPerTable()).toEqual({ "dbo.Orders": 1 });
  });

  it("(e) fails a table without a primary key at once, with the service's error and what to fix, without re-adding it", async () => {
    const h = await start(demoSeed(), { remediationMaxAttempts: 2 });
    const id = await h.submit(["dbo.AuditLog"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("Failed");
    const audit = view.tables[0];
    expect(audit?.status).toBe("Failed");
    expect(audit?.error).toMatch(/primary key/i);
    expect(audit?.error).toMatch(/add a primary key/i);
    // A permanent error: no remove-and-re-add, although REMEDIATION_MAX_ATTEMPTS allows two.
    expect(h.addsPerTable()).toEqual({ "dbo.AuditLog": 1 });
    console.log(`(e) AuditLog: ${audit?.error ?? ""}`);
  });

  it("runs a worker started by an earlier version with a whole request as its input, passing only the link to its activities", async () => {
    const h = await start();
    const id = await h.submit(["dbo.Customers"]);
    const instanceId = linkWorkerInstanceId(h.link());
    h.driver.terminate(instanceId, "redeploy");
    await h.driver.run();
    const { reAddCooldownSeconds: _a, breakerFailureThreshold: _b, ...olderSettings } = h.settings;
    const legacyLink = {
      ...h.link(),
      requestId: id,
      callbackUrl: "https://receiver.example/hook?token=secret",
    };
    await h.driver.startNew("linkWorker", {
      instanceId,
      input: { link: legacyLink, settings: olderSettings, execution: 1 },
    });
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    const scheduled = h.driver.getHistory(instanceId).filter((e) => e.EventType === 4);
    expect(scheduled.length).toBeGreaterThan(0);
    expect(scheduled.some((e) => (e.Input ?? "").includes("token=secret"))).toBe(false);
  });

  it("keeps looking for finished requests after every poll in an execution an earlier version started (no revision)", async () => {
    const h = await start(demoSeed(), { pollsPerExecution: 100 });
    const id = await h.submit(["dbo.Customers"]);
    const instanceId = linkWorkerInstanceId(h.link());
    h.driver.terminate(instanceId, "redeploy");
    await h.driver.run();
    await h.driver.startNew("linkWorker", {
      instanceId,
      input: { link: h.link(), settings: h.settings, execution: 1 },
    });
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    const scheduled = h.driver
      .getHistory(instanceId)
      .filter((e) => e.EventType === 4)
      .map((e) => e.Name);
    const count = (name: string) => scheduled.filter((n) => n === name).length;
    expect(count("linkWorker_monitorTables")).toBeGreaterThan(1);
    expect(count("linkWorker_completeRequests")).toBe(count("linkWorker_monitorTables"));
  });
});
