// Replays the vendored Microsoft.Synapse ARM examples (2021-06-01) against the simulator over HTTP, checks every
// answer against the spec's response schemas, and drives the simulator with the real @azure/arm-synapse client,
// including the pause and resume pollers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SynapseManagementClient } from "@azure/arm-synapse";
import { bearerTokenAuthenticationPolicyName } from "@azure/core-rest-pipeline";
import {
  ARM_SPEC_DIR,
  armSpec,
  startSynapseSim,
  type ArmOperationId,
  type ArmSeed,
} from "../../dev/synapse-sim";

interface Example {
  parameters: Record<string, string>;
  responses: Record<string, { body?: Record<string, unknown>; headers?: Record<string, string> }>;
}

const spec = armSpec();
const TOKEN = "arm-example-token";
const T0 = Date.parse("2026-02-01T08:00:00Z");

function readExample(file: string): Example {
  return JSON.parse(readFileSync(join(ARM_SPEC_DIR, "2021-06-01", "examples", file), "utf8")) as Example;
}

/** The example's own subscription, group, workspace and pool, in the simulator (the pool as the example shows it). */
function seedFor(example: Example, poolStatus = "Online"): ArmSeed {
  const p = example.parameters;
  return {
    subscriptionId: p.subscriptionId ?? "",
    resourceGroup: p.resourceGroupName ?? "",
    workspace: p.workspaceName ?? "",
    sqlPools: [{ name: p.sqlPoolName ?? "pool1", status: poolStatus }],
  };
}

function pathOf(example: Example, suffix = ""): string {
  const p = example.parameters;
  const ws = `/subscriptions/${p.subscriptionId ?? ""}/resourceGroups/${p.resourceGroupName ?? ""}/providers/Microsoft.Synapse/workspaces/${p.workspaceName ?? ""}`;
  return ws + suffix;
}

async function send(url: string, method = "GET", headers: Record<string, string> = {}) {
  const res = await fetch(url, { method, headers: { Authorization: `Bearer ${TOKEN}`, ...headers } });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text === "" ? undefined : (JSON.parse(text) as unknown),
  };
}

function expectValid(operationId: ArmOperationId, status: number, body: unknown): void {
  expect(spec.validateResponse(operationId, status, body)).toEqual([]);
}

describe("the ARM simulator replays the spec's examples", () => {
  let now = T0;
  const started: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
    now = T0;
  });
  async function simFor(arm: ArmSeed) {
    const sim = await startSynapseSim({
      token: TOKEN,
      clock: () => now,
      arm,
      armTimings: { poolTransitionMs: 60_000 },
    });
    started.push(sim);
    return sim;
  }

  test("GetSqlPool: 200 with the example's id, type, sku and status, valid against SqlPool", async () => {
    const example = readExample("GetSqlPool.json");
    const sim = await simFor(seedFor(example));
    const p = example.parameters;
    const res = await send(
      `${sim.url}${pathOf(example, `/sqlPools/${p.sqlPoolName ?? ""}`)}?api-version=${p["api-version"] ?? ""}`,
    );
    expect(res.status).toBe(200);
    expectValid("SqlPools_Get", 200, res.json);
    // The check has teeth: a pool without its required location, or with a numeric status, is refused.
    const { location: _location, ...noLocation } = res.json as Record<string, unknown>;
    expect(spec.validateResponse("SqlPools_Get", 200, noLocation)).not.toEqual([]);
    expect(
      spec.validateResponse("SqlPools_Get", 200, { ...noLocation, location: "x", properties: { status: 1 } }),
    ).not.toEqual([]);
    const want = example.responses["200"]?.body ?? {};
    expect(res.json).toMatchObject({
      id: want.id,
      name: want.name,
      type: want.type,
      sku: { name: (want.sku as { name: string }).name },
      properties: { status: "Online", provisioningState: "Succeeded" },
    });
  });

  test("ListSqlPoolsInWorkspace: 200 with a value array valid against SqlPoolInfoListResult", async () => {
    const example = readExample("ListSqlPoolsInWorkspace.json");
    const sim = await simFor({
      ...seedFor(example),
      sqlPools: [{ name: "a" }, { name: "b", status: "Paused" }],
    });
    const res = await send(`${sim.url}${pathOf(example, "/sqlPools")}?api-version=2021-06-01`);
    expect(res.status).toBe(200);
    expectValid("SqlPools_ListByWorkspace", 200, res.json);
    expect((res.json as { value: { name: string; properties: { status: string } }[] }).value).toEqual([
      expect.objectContaining({
        name: "a",
        properties: expect.objectContaining({ status: "Online" }) as unknown,
      }),
      expect.objectContaining({
        name: "b",
        properties: expect.objectContaining({ status: "Paused" }) as unknown,
      }),
    ]);
    // The example's own body is valid against the same schema: the simulator's shape is the spec's.
    expectValid("SqlPools_ListByWorkspace", 200, example.responses["200"]?.body);
  });

  test("GetWorkspace: 200 valid against Workspace, with a dev endpoint and the git configuration when connected", async () => {
    const example = readExample("GetWorkspace.json");
    const sim = await simFor({
      ...seedFor(example),
      devEndpoint: "workspace1.dev.azuresynapse.net",
      git: { type: "WorkspaceGitHubConfiguration", repositoryName: "synapse", collaborationBranch: "main" },
    });
    const res = await send(`${sim.url}${pathOf(example)}?api-version=2021-06-01`);
    expect(res.status).toBe(200);
    expectValid("Workspaces_Get", 200, res.json);
    expect(res.json).toMatchObject({
      id: (example.responses["200"]?.body ?? {}).id,
      type: "Microsoft.Synapse/workspaces",
      properties: {
        connectivityEndpoints: { dev: "workspace1.dev.azuresynapse.net" },
        workspaceRepositoryConfiguration: { repositoryName: "synapse", collaborationBranch: "main" },
      },
    });
  });

  test("PauseSqlPool: 202 with an absolute Location; polling it answers 202 until the pause ends, then 200", async () => {
    const example = readExample("PauseSqlPool.json");
    const sim = await simFor(seedFor(example, "Online"));
    const poolPath = pathOf(example, `/sqlPools/${example.parameters.sqlPoolName ?? ""}`);
    const res = await send(`${sim.url}${poolPath}/pause?api-version=2021-06-01`, "POST");
    expect(res.status).toBe(202);
    expect(Object.keys(example.responses).sort()).toEqual(["200", "202"]);
    const location = res.headers.get("location") ?? "";
    expect(location.startsWith(`${sim.url}${poolPath}/operationResults/`)).toBe(true);
    expect(res.headers.get("retry-after")).toBe("10");
    expect(sim.arm.poolStatus(example.parameters.sqlPoolName ?? "")).toBe("Pausing");

    const running = await send(location);
    expect(running.status).toBe(202);
    expectValid("SqlPoolOperationResults_GetLocationHeaderResult", 202, running.json);
    now += 60_000;
    const done = await send(location);
    expect(done.status).toBe(200);
    expectValid("SqlPools_Get", 200, done.json);
    expect(done.json).toMatchObject({ properties: { status: "Paused" } });
  });

  test("ResumeSqlPool on an Online pool (as in the example): 200 with the pool, no operation to poll", async () => {
    const example = readExample("ResumeSqlPool.json");
    const sim = await simFor(seedFor(example, "Online"));
    const poolPath = pathOf(example, `/sqlPools/${example.parameters.sqlPoolName ?? ""}`);
    const res = await send(`${sim.url}${poolPath}/resume?api-version=2021-06-01`, "POST");
    expect(res.status).toBe(200);
    expectValid("SqlPools_Resume", 200, res.json);
    expect(res.headers.get("location")).toBeNull();
    expect(res.json).toMatchObject({ properties: { status: "Online" } });
  });

  test("requests the spec does not allow are refused with ARM error bodies", async () => {
    const example = readExample("GetSqlPool.json");
    const sim = await simFor(seedFor(example));
    const poolPath = pathOf(example, `/sqlPools/${example.parameters.sqlPoolName ?? ""}`);
    const cases: [string, Record<string, string>, number, string][] = [
      [poolPath, {}, 400, "MissingApiVersionParameter"],
      [`${poolPath}?api-version=2019-06-01-preview`, {}, 400, "InvalidApiVersionParameter"],
      [
        `${pathOf(example).replace(example.parameters.resourceGroupName ?? "", "bad$group")}/sqlPools/x?api-version=2021-06-01`,
        {},
        400,
        "InvalidParameter",
      ],
      [`${pathOf(example, "/sqlPools/nosuchpool")}?api-version=2021-06-01`, {}, 404, "ResourceNotFound"],
      [
        `${pathOf(example).replace("workspaces/", "workspaces/other")}?api-version=2021-06-01`,
        {},
        404,
        "ResourceNotFound",
      ],
      [
        `${poolPath}?api-version=2021-06-01`,
        { Authorization: "Bearer wrong" },
        401,
        "InvalidAuthenticationToken",
      ],
    ];
    for (const [path, headers, status, code] of cases) {
      const res = await send(`${sim.url}${path}`, "GET", headers);
      expect({
        path,
        status: res.status,
        code: (res.json as { error: { code: string } }).error.code,
      }).toEqual({ path, status, code });
      expectValid("SqlPools_Get", status, res.json);
    }
    // Resuming a pool that is pausing is a conflict, not a silent success.
    sim.arm.setPoolStatus(example.parameters.sqlPoolName ?? "", "Pausing");
    const conflict = await send(`${sim.url}${poolPath}/resume?api-version=2021-06-01`, "POST");
    expect(conflict.status).toBe(409);
    // So is resuming one that is already resuming: the second caller is not joined to the first's operation.
    sim.arm.setPoolStatus(example.parameters.sqlPoolName ?? "", "Paused");
    const first = await send(`${sim.url}${poolPath}/resume?api-version=2021-06-01`, "POST");
    expect(first.status).toBe(202);
    const second = await send(`${sim.url}${poolPath}/resume?api-version=2021-06-01`, "POST");
    expect(second.status).toBe(409);
  });
});

describe("the real SynapseManagementClient against the ARM simulator", () => {
  let now = T0;
  const arm: ArmSeed = {
    subscriptionId: "11111111-2222-4333-8444-555555555555",
    resourceGroup: "rg-analytics",
    workspace: "contoso",
    sqlPools: [{ name: "dw", status: "Paused" }, { name: "dw2" }],
  };

  test("reads the pool and the workspace (flattened models), lists pools, and resumes through the poller", async () => {
    const sim = await startSynapseSim({
      token: TOKEN,
      clock: () => now,
      arm,
      armTimings: { poolTransitionMs: 30_000 },
    });
    try {
      const client = new SynapseManagementClient(
        { getToken: () => Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
        arm.subscriptionId,
        { endpoint: sim.url, $host: sim.url, allowInsecureConnection: true },
      );
      // The bearer policy refuses http:// URLs; the simulator is loopback http (docs/control-plane.md).
      client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
      client.pipeline.addPolicy({
        name: "token",
        sendRequest: (req, next) => {
          req.headers.set("Authorization", `Bearer ${TOKEN}`);
          return next(req);
        },
      });
      expect((await client.sqlPools.get("rg-analytics", "contoso", "dw")).status).toBe("Paused");
      const ws = await client.workspaces.get("rg-analytics", "contoso");
      expect(ws.connectivityEndpoints?.dev).toBe(sim.url);
      expect(ws.workspaceRepositoryConfiguration).toBeUndefined();
      const names: string[] = [];
      for await (const p of client.sqlPools.listByWorkspace("rg-analytics", "contoso"))
        names.push(p.name ?? "");
      expect(names).toEqual(["dw", "dw2"]);

      const poller = await client.sqlPools.beginResume("rg-analytics", "contoso", "dw");
      await poller.poll();
      expect(poller.isDone()).toBe(false);
      const state = poller.toString();
      now += 30_000;
      const resumed = await client.sqlPools.beginResume("rg-analytics", "contoso", "dw", {
        resumeFrom: state,
      });
      await resumed.poll();
      expect(resumed.isDone()).toBe(true);
      expect((await client.sqlPools.get("rg-analytics", "contoso", "dw")).status).toBe("Online");
      // One POST: the resumed poller only polled the Location.
      expect(sim.callsTo("SqlPools_Resume").length).toBe(1);
      expect(sim.callsTo("SqlPoolOperationResults_GetLocationHeaderResult").map((c) => c.status)).toEqual([
        202, 200,
      ]);
    } finally {
      await sim.close();
    }
  });
});
