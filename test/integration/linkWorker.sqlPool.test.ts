// The SQL pool preflight (docs/control-plane.md) through the real orchestrator on the replay driver, the real
// @azure/arm-synapse client and the simulator's ARM endpoints, on the virtual clock.
import { demoSeed, type SimLinkedServiceReference, type SimSeed } from "../../dev/synapse-sim";
import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import { getDependencies } from "../../shared/dependencies";
import { getLinkStatus } from "../../shared/intake/linkStatus";
import type { TableOutcome } from "../../shared/outcomes/outcomePublisher";
import { tableOutcomeEvent } from "../../shared/outcomes/outcomeEvents";
import { withGitModeWarnings } from "../../shared/synapse/controlPlane";
import type { LinkWorkerInput } from "../../shared/worker/linkWorkerInput";
import { useLinkWorkerHarness, type LinkWorkerHarness } from "../support/linkWorkerHarness";

const start = useLinkWorkerHarness();

function customDetail(h: LinkWorkerHarness): string | undefined {
  const status = h.driver.getStatus(linkWorkerInstanceId(h.link()))?.customStatus as {
    detail?: string;
  } | null;
  return status?.detail;
}

async function linkStatusBody(h: LinkWorkerHarness) {
  const deps = getDependencies();
  const result = await getLinkStatus(
    {
      ledger: deps.ledger,
      synapse: deps.synapse,
      scheduler: h.scheduler,
      routing: { rules: [], allowedLinks: [{ workspace: h.workspace, linkConnection: "*" }] },
      workspaces: deps.config.synapse.workspaces.map((w) => w.name),
    },
    h.link(),
    new Date(h.driver.now).toISOString(),
  );
  if (result.kind !== "ok") throw new Error(`link status refused: ${JSON.stringify(result)}`);
  return result.body;
}

/** demoSeed with demo-link pointing at another target linked service (or the same one with other arguments). */
function seedWithTarget(target: SimLinkedServiceReference): SimSeed {
  const seed = demoSeed();
  seed.links = seed.links.map((l) => (l.name === "demo-link" ? { ...l, targetLinkedService: target } : l));
  return seed;
}

const ONE_PAUSED_POOL = {
  subscriptionId: "00000000-0000-0000-0000-000000000000",
  resourceGroup: "demo-rg",
  workspace: "demo",
  sqlPools: [{ name: "onlypool", status: "Paused" }],
};

/** An operator pauses the pool outright, through the simulator's control endpoint. */
async function pausePool(h: LinkWorkerHarness, pool: string): Promise<void> {
  const res = await fetch(`${h.sim.url}/_sim/arm/sqlPools/${pool}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status: "Paused" }),
  });
  expect(res.status).toBe(200);
}

describe("link worker: the target SQL pool", () => {
  it("pool Online: the edit proceeds after one pool read", async () => {
    const h = await start(undefined, {}, undefined, {
      controlPlane: { sqlPools: "demo/demo-link=demopool" },
    });
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.editCalls()).toHaveLength(1);
    expect(h.sim.callsTo("SqlPools_Get").map((c) => c.status)).toEqual([200]);
    expect(h.sim.callsTo("SqlPools_Resume")).toHaveLength(0);
  });

  it("no ARM configured: the worker makes no management call and works as before", async () => {
    const h = await start();
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.sim.calls.filter((c) => c.path.startsWith("/subscriptions/"))).toEqual([]);
    expect(h.activityCalls().linkWorker_checkSqlPool).toBeUndefined();
  });

  it("pool Paused: the tables wait, the status says why, and resuming the pool lets them finish", async () => {
    const h = await start(undefined, {}, undefined, {
      controlPlane: { sqlPools: "demo/demo-link=pausedpool" },
    });
    const id = await h.submit(["dbo.Customers", "dbo.Orders"]);
    await h.driver.run({ until: () => h.sim.callsTo("SqlPools_Get").length >= 3 });

    const reason = "waiting for SQL pool pausedpool (Paused); resume it, or set AUTO_RESUME_SQL_POOLS=true";
    expect(h.editCalls()).toHaveLength(0);
    expect(h.tableStatuses(await h.request(id))).toEqual({
      "dbo.Customers": "Pending",
      "dbo.Orders": "Pending",
    });
    expect(customDetail(h)).toBe(reason);
    const body = await linkStatusBody(h);
    expect(body.worker.waiting).toBe(reason);

    // An operator resumes the pool, as the portal would: through the simulator's control endpoint.
    const res = await fetch(`${h.sim.url}/_sim/arm/sqlPools/pausedpool`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "resume" }),
    });
    expect(res.status).toBe(200);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.editCalls()).toHaveLength(1);
    expect((await linkStatusBody(h)).worker.waiting).toBeUndefined();
  });

  /**
   * dbo.Customers sent to the link (its snapshot takes 20 minutes); then its pool is paused and
   * dbo.Orders is requested.
   */
  async function pausedAfterAnEdit(pollsPerExecution = 2) {
    // Two polls an execution by default: the monitoring interval must ride continueAsNew too.
    const h = await start(
      undefined,
      { pollsPerExecution },
      { snapshotMs: 20 * 60_000 },
      {
        controlPlane: { sqlPools: "demo/demo-link=demopool" },
      },
    );
    const first = await h.submit(["dbo.Customers"]);
    await h.driver.run({ until: () => h.editCalls().length === 1 });
    await pausePool(h, "demopool");
    const second = await h.submit(["dbo.Orders"]);
    return { h, first, second };
  }

  it("pool Paused after an edit: the tables already sent are still watched to Replicating while the next request waits", async () => {
    const { h, first, second } = await pausedAfterAnEdit();
    // Well inside SQL_POOL_DEADLINE_MINUTES (120): the second request is still waiting at the end.
    await h.driver.run({ maxVirtualMs: 40 * 60_000 });

    expect((await h.request(first)).status).toBe("Succeeded");
    const waiting = await h.request(second);
    expect(h.tableStatuses(waiting)).toEqual({ "dbo.Orders": "Pending" });
    expect(h.editCalls()).toHaveLength(1);
    expect(customDetail(h)).toBe(
      "waiting for SQL pool demopool (Paused); resume it, or set AUTO_RESUME_SQL_POOLS=true",
    );
    // The pool is asked every POLL_MIN_SECONDS; the tables in flight on the adaptive interval, which
    // grows while nothing changes: over the 20-minute snapshot, far fewer polls than pool checks.
    const calls = h.activityCalls();
    console.log(
      `blocked 40 min: ${calls.linkWorker_checkSqlPool} pool checks, ${calls.linkWorker_monitorTables} monitoring polls`,
    );
    expect(calls.linkWorker_monitorTables ?? 0).toBeLessThan((calls.linkWorker_checkSqlPool ?? 0) / 3);
  });

  it("a fault while the pool is awaited is recorded without restarting the wait (SQL_POOL_DEADLINE_MINUTES counts on)", async () => {
    const { h } = await pausedAfterAnEdit();
    await h.driver.run({ until: () => h.sim.callsTo("SqlPools_Get").length >= 2 });
    const since = (await linkStatusBody(h)).worker.waitingSince;
    expect(since).toBeDefined();
    // Table-status polls fail through every retry: the poll ends in a fault the worker records and backs off from.
    h.sim.addFault({
      kind: "status",
      status: 500,
      times: 40,
      operations: ["LinkConnection_QueryTableStatus"],
    });
    await h.driver.run({ until: () => (h.activityCalls().linkWorker_recordHealth ?? 0) >= 2 });

    const body = await linkStatusBody(h);
    expect(body.worker.waiting).toMatch(/^waiting for SQL pool demopool \(Paused\)/);
    expect(body.worker.waitingSince).toBe(since);
  });

  it("an execution started before revision 3 still waits for the pool without monitoring, as it did", async () => {
    // Ten polls an execution, so that the one execution's history shows the waits.
    const { h, first } = await pausedAfterAnEdit(10);
    const instanceId = linkWorkerInstanceId(h.link());
    h.driver.terminate(instanceId, "redeploy");
    await h.driver.run();
    await h.driver.startNew("linkWorker", {
      instanceId,
      input: { link: h.link(), settings: h.settings, execution: 1, revision: 2 },
    });
    await h.driver.run({ until: () => h.sim.callsTo("SqlPools_Get").length >= 6 });

    const scheduled = h.driver
      .getHistory(instanceId)
      .filter((e) => e.EventType === 4)
      .map((e) => e.Name);
    expect(scheduled.filter((n) => n === "linkWorker_checkSqlPool").length).toBeGreaterThanOrEqual(4);
    expect(scheduled).not.toContain("linkWorker_monitorTables");
    expect((await h.request(first)).status).not.toBe("Succeeded");
  });

  it("AUTO_RESUME_SQL_POOLS=true: the app resumes the pool with one resume call and the tables finish", async () => {
    const h = await start(undefined, { autoResumeSqlPools: true }, undefined, {
      controlPlane: { sqlPools: "demo/demo-link=pausedpool", armTimings: { poolTransitionMs: 5 * 60_000 } },
    });
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.sim.callsTo("SqlPools_Resume").map((c) => c.status)).toEqual([202]);
    // The worker polled the operation (202 while it ran, then 200) instead of blocking an activity on it.
    const polls = h.sim.callsTo("SqlPoolOperationResults_GetLocationHeaderResult").map((c) => c.status);
    expect(polls.at(-1)).toBe(200);
    expect(polls.filter((s) => s === 202).length).toBeGreaterThan(0);
    expect(h.sim.arm.poolStatus("pausedpool")).toBe("Online");
    // The resume's state (its ARM operation URLs) stayed in the ledger, out of the durable history.
    const history = JSON.stringify(h.driver.getHistory(linkWorkerInstanceId(h.link())));
    expect(history).toContain("linkWorker_checkSqlPool");
    expect(history).not.toMatch(/https?:/);
    // No edit went out before the pool was Online.
    const onlineAt = h.sim.callsTo("SqlPoolOperationResults_GetLocationHeaderResult").at(-1)?.at ?? 0;
    expect(h.editCalls().every((c) => c.at >= onlineAt)).toBe(true);
  });

  it("forgets a resume once the pool is Online: a later pause is resumed with a new call, not by polling the old one", async () => {
    const h = await start(
      undefined,
      { autoResumeSqlPools: true, pollsPerExecution: 3 },
      { snapshotMs: 60 * 60_000 },
      {
        controlPlane: { sqlPools: "demo/demo-link=pausedpool", armTimings: { poolTransitionMs: 2 * 60_000 } },
      },
    );
    const first = await h.submit(["dbo.Customers"]);
    const instanceId = linkWorkerInstanceId(h.link());
    const execution = () => (h.driver.getStatus(instanceId)?.input as LinkWorkerInput).execution;
    await h.driver.run({ until: () => h.editCalls().length === 1 });
    const atEdit = execution();
    await h.driver.run({ until: () => execution() >= atEdit + 2 });
    expect((h.driver.getStatus(instanceId)?.input as LinkWorkerInput).carry?.sqlPoolResume).toBeUndefined();

    h.sim.arm.setPoolStatus("pausedpool", "Paused");
    const second = await h.submit(["dbo.Orders"]);
    await h.driver.run();

    expect((await h.request(first)).status).toBe("Succeeded");
    expect((await h.request(second)).status).toBe("Succeeded");
    expect(h.sim.callsTo("SqlPools_Resume").map((c) => c.status)).toEqual([202, 202]);
  });

  it("a pool that stays Paused past SQL_POOL_DEADLINE_MINUTES fails the pending tables with the reason, and reports them", async () => {
    const h = await start(undefined, { sqlPoolDeadlineMinutes: 10 }, undefined, {
      controlPlane: { sqlPools: "demo/demo-link=pausedpool" },
    });
    const settled = h.recordTableOutcomes();
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    const view = await h.request(id);
    expect(view.status).toBe("Failed");
    expect(view.tables[0]?.error).toMatch(
      /^SQL pool pausedpool stayed unavailable \(Paused\) for 10 minutes \(SQL_POOL_DEADLINE_MINUTES\)/,
    );
    expect(h.editCalls()).toHaveLength(0);
    expect(settled).toEqual([
      expect.objectContaining({
        table: { schema: "dbo", name: "Customers" },
        status: "Failed",
        error: expect.stringMatching(/^SQL pool pausedpool stayed unavailable/),
      }),
    ]);
    const waited = h.sim.callsTo("SqlPools_Get");
    expect((waited.at(-1)?.at ?? 0) - (waited[0]?.at ?? 0)).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it("a resume refused with 409 (another caller changing the pool) is ridden out: the check runs again and the tables finish", async () => {
    const h = await start(undefined, { autoResumeSqlPools: true }, undefined, {
      controlPlane: { sqlPools: "demo/demo-link=pausedpool" },
    });
    h.sim.addFault({ kind: "status", status: 409, times: 1, operations: ["SqlPools_Resume"] });
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.sim.callsTo("SqlPools_Resume").map((c) => c.status)).toEqual([409, 202]);
  });

  it("rides out ARM 503s and a 429 with Retry-After on the pool read", async () => {
    const h = await start(undefined, {}, undefined, {
      controlPlane: { sqlPools: "demo/demo-link=demopool" },
    });
    h.sim.addFault({ kind: "status", status: 503, times: 2, operations: ["SqlPools_Get"] });
    h.sim.addFault({
      kind: "status",
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
      operations: ["SqlPools_Get"],
    });
    h.sim.addFault({ kind: "status", status: 500, times: 1, operations: ["Workspaces_Get"] });
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.sim.callsTo("SqlPools_Get").map((c) => c.status)).toEqual([503, 503, 429, 200]);
    expect(h.sim.callsTo("Workspaces_Get").map((c) => c.status)).toEqual([500, 200]);
  });

  it("finds the pool without SYNAPSE_SQL_POOLS when the workspace has only one", async () => {
    const h = await start(undefined, {}, undefined, {
      controlPlane: {
        arm: {
          subscriptionId: "00000000-0000-0000-0000-000000000000",
          resourceGroup: "demo-rg",
          workspace: "demo",
          sqlPools: [{ name: "onlypool", status: "Paused" }],
        },
      },
    });
    await h.submit(["dbo.Customers"]);
    await h.driver.run({
      until: () =>
        h.sim.callsTo("SqlPools_Get").length >= 1 && h.driver.isIdle(linkWorkerInstanceId(h.link())),
    });
    expect(customDetail(h)).toMatch(/^waiting for SQL pool onlypool \(Paused\)/);
    expect(h.sim.callsTo("SqlPools_ListByWorkspace").length).toBeGreaterThan(0);
  });

  it("a workspace connected to git: the warning is in the link status and in the outcome events", async () => {
    const gitWorkspace = {
      subscriptionId: "00000000-0000-0000-0000-000000000000",
      resourceGroup: "demo-rg",
      workspace: "demo",
      git: { type: "WorkspaceGitHubConfiguration", repositoryName: "analytics", collaborationBranch: "main" },
      sqlPools: [{ name: "demopool" }],
    };
    const h = await start(undefined, {}, undefined, { controlPlane: { arm: gitWorkspace } });
    const deps = getDependencies();
    const published: TableOutcome[] = [];
    const recorder = {
      tableReplicating: (o: TableOutcome) => Promise.resolve(void published.push(o)),
      tableFailed: (o: TableOutcome) => Promise.resolve(void published.push(o)),
      requestCompleted: () => Promise.resolve(),
    };
    if (!deps.controlPlane) throw new Error("the harness did not turn the control plane on");
    // The same wrapping the composition root applies, over a recorder instead of Event Grid.
    deps.outcomes = withGitModeWarnings(recorder, deps.controlPlane);
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    const expected =
      "Workspace demo is connected to git (repository analytics, branch main): link-connection edits made through the API " +
      "are not written to git, so publish from git only after re-syncing the link connection in Synapse Studio " +
      "(set GIT_MODE_ACKNOWLEDGED=true to silence this warning).";
    expect((await linkStatusBody(h)).warnings).toEqual([expected]);
    expect(published).toHaveLength(1);
    const event = tableOutcomeEvent("com.contoso", "tableReplicating", published[0]!);
    expect(event.data.warnings).toEqual([expected]);
  });

  it("GIT_MODE_ACKNOWLEDGED=true: no warning in the link status", async () => {
    const h = await start(undefined, {}, undefined, {
      controlPlane: {
        gitModeAcknowledged: true,
        arm: {
          subscriptionId: "00000000-0000-0000-0000-000000000000",
          resourceGroup: "demo-rg",
          workspace: "demo",
          git: {
            type: "WorkspaceVSTSConfiguration",
            repositoryName: "analytics",
            collaborationBranch: "main",
          },
          sqlPools: [{ name: "demopool" }],
        },
      },
    });
    await h.submit(["dbo.Customers"]);
    await h.driver.run();
    expect((await linkStatusBody(h)).warnings).toBeUndefined();
  });

  it("the pool named by the link's linked service is checked (no SYNAPSE_SQL_POOLS), and read once while the tables wait", async () => {
    // The workspace has two pools; demo-link's default linked service gets DBName=pausedpool, as REC-23's link does.
    const h = await start(
      seedWithTarget({
        referenceName: "demo-WorkspaceDefaultSqlServer",
        parameters: { DBName: "pausedpool" },
      }),
      {},
      undefined,
      { controlPlane: {} },
    );
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run({ until: () => h.sim.callsTo("SqlPools_Get").length >= 3 });

    expect(customDetail(h)).toBe(
      "waiting for SQL pool pausedpool (Paused); resume it, or set AUTO_RESUME_SQL_POOLS=true",
    );
    expect(h.editCalls()).toHaveLength(0);
    expect(h.tableStatuses(await h.request(id))).toEqual({ "dbo.Customers": "Pending" });
    expect(h.sim.callsTo("SqlPools_Get").every((c) => c.path.endsWith("/sqlPools/pausedpool"))).toBe(true);
    // Three checks within a few minutes: the link and its linked service were read once (cached per link).
    expect(h.sim.callsTo("LinkedService_GetLinkedService")).toHaveLength(1);
  });

  it("demo-link's linked service names demopool (Online): the edit proceeds without SYNAPSE_SQL_POOLS", async () => {
    const h = await start(undefined, {}, undefined, { controlPlane: {} });
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.sim.callsTo("SqlPools_Get").map((c) => c.path.split("/").pop())).toEqual(["demopool"]);
  });

  it("an explicit SYNAPSE_SQL_POOLS entry wins over the linked service, which is then not read", async () => {
    const h = await start(
      seedWithTarget({
        referenceName: "demo-WorkspaceDefaultSqlServer",
        parameters: { DBName: "pausedpool" },
      }),
      {},
      undefined,
      { controlPlane: { sqlPools: "demo/demo-link=demopool" } },
    );
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.sim.callsTo("LinkedService_GetLinkedService")).toHaveLength(0);
  });

  it("a linked service that names no pool falls back to the workspace's only pool", async () => {
    // No DBName argument: the default linked service's Initial Catalog cannot be known.
    const h = await start(
      seedWithTarget({ referenceName: "demo-WorkspaceDefaultSqlServer" }),
      {},
      undefined,
      {
        controlPlane: { arm: ONE_PAUSED_POOL },
      },
    );
    await h.submit(["dbo.Customers"]);
    await h.driver.run({
      until: () =>
        h.sim.callsTo("SqlPools_Get").length >= 1 && h.driver.isIdle(linkWorkerInstanceId(h.link())),
    });

    expect(h.sim.callsTo("LinkedService_GetLinkedService").map((c) => c.status)).toEqual([200]);
    expect(customDetail(h)).toMatch(/^waiting for SQL pool onlypool \(Paused\)/);
  });

  it("a linked service that does not exist falls back too", async () => {
    const h = await start(seedWithTarget({ referenceName: "DeletedService" }), {}, undefined, {
      controlPlane: { arm: ONE_PAUSED_POOL },
    });
    await h.submit(["dbo.Customers"]);
    await h.driver.run({
      until: () =>
        h.sim.callsTo("SqlPools_Get").length >= 1 && h.driver.isIdle(linkWorkerInstanceId(h.link())),
    });

    expect(h.sim.callsTo("LinkedService_GetLinkedService").map((c) => c.status)).toEqual([404]);
    expect(customDetail(h)).toMatch(/^waiting for SQL pool onlypool \(Paused\)/);
  });

  it("a linked service that names no pool, in a workspace of two pools: the pool is not checked and the edit goes on", async () => {
    const h = await start(
      seedWithTarget({ referenceName: "demo-WorkspaceDefaultSqlServer" }),
      {},
      undefined,
      {
        controlPlane: {},
      },
    );
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();

    expect((await h.request(id)).status).toBe("Succeeded");
    expect(h.sim.callsTo("SqlPools_Get")).toHaveLength(0);
    expect(h.sim.callsTo("SqlPools_ListByWorkspace").length).toBeGreaterThan(0);
  });
});
