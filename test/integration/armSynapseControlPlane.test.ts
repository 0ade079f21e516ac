// The ARM adapter (ArmSynapseControlPlane over the real SynapseManagementClient) against the simulator's ARM endpoints.
import { startSynapseSim, type ArmSeed } from "../../dev/synapse-sim";
import { loadConfig } from "../../shared/config";
import { createDependencies } from "../../shared/dependencies";
import { ArmSynapseControlPlane } from "../../shared/synapse/armSynapseControlPlane";
import { SynapseRequestError, SynapseThrottledError } from "../../shared/synapse/synapseLinkClient";

const TOKEN = "arm-adapter-token";
const arm: ArmSeed = {
  subscriptionId: "11111111-2222-4333-8444-555555555555",
  resourceGroup: "rg-analytics",
  workspace: "contoso",
  devEndpoint: "contoso.dev.azuresynapse.net",
  sqlPools: [{ name: "dw", status: "Paused" }],
};

/** The adapter for workspace contoso of the simulator at `url`, with the options a test adds. */
function controlPlaneOn(
  url: string,
  options: Omit<ConstructorParameters<typeof ArmSynapseControlPlane>[0], "workspaces" | "endpoint">,
): ArmSynapseControlPlane {
  const id = { subscriptionId: arm.subscriptionId, resourceGroup: arm.resourceGroup, workspace: "contoso" };
  return new ArmSynapseControlPlane({ workspaces: new Map([["contoso", id]]), endpoint: url, ...options });
}

async function setUp() {
  let now = Date.parse("2026-02-01T08:00:00Z");
  const sim = await startSynapseSim({
    token: TOKEN,
    clock: () => now,
    arm,
    armTimings: { poolTransitionMs: 60_000 },
  });
  const controlPlane = controlPlaneOn(sim.url, {
    auth: { kind: "staticToken", token: TOKEN },
    retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
  });
  return { sim, controlPlane, advance: (ms: number) => (now += ms) };
}

describe("ArmSynapseControlPlane", () => {
  it("resolves the workspace's dev endpoint from ARM (with a scheme) and caches the workspace", async () => {
    const { sim, controlPlane } = await setUp();
    try {
      expect(await controlPlane.getWorkspace("contoso")).toEqual({
        name: "contoso",
        devEndpoint: "https://contoso.dev.azuresynapse.net",
      });
      await controlPlane.getWorkspace("contoso");
      expect(sim.callsTo("Workspaces_Get")).toHaveLength(1);
      expect(controlPlane.manages("contoso")).toBe(true);
      expect(controlPlane.manages("elsewhere")).toBe(false);
    } finally {
      await sim.close();
    }
  });

  it("keeps a failed workspace read for a minute before it asks ARM again", async () => {
    const { sim } = await setUp();
    let now = 0;
    const controlPlane = controlPlaneOn(sim.url, {
      auth: { kind: "staticToken", token: TOKEN },
      retryOptions: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 10 },
      clock: () => now,
    });
    try {
      sim.addFault({ kind: "status", status: 500, times: 1, operations: ["Workspaces_Get"] });
      await expect(controlPlane.getWorkspace("contoso")).rejects.toThrow();
      await expect(controlPlane.getWorkspace("CONTOSO")).rejects.toThrow();
      expect(sim.callsTo("Workspaces_Get")).toHaveLength(1);
      now += 60_001;
      expect((await controlPlane.getWorkspace("contoso")).name).toBe("contoso");
      expect(sim.callsTo("Workspaces_Get")).toHaveLength(2);
    } finally {
      await sim.close();
    }
  });

  it("starts a resume without waiting for it, and polls it to the end on later calls", async () => {
    const { sim, controlPlane, advance } = await setUp();
    try {
      const started = await controlPlane.beginResume("contoso", "dw");
      expect(started.done).toBe(false);
      expect((await controlPlane.getSqlPool("contoso", "dw")).status).toBe("Resuming");
      const still = await controlPlane.pollResume("contoso", "dw", started.state ?? "");
      expect(still.done).toBe(false);
      advance(60_000);
      expect(await controlPlane.pollResume("contoso", "dw", still.state ?? "")).toEqual({ done: true });
      expect((await controlPlane.getSqlPool("contoso", "dw")).status).toBe("Online");
      expect(sim.callsTo("SqlPools_Resume")).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it("rides out 5xx and short 429s, and hands a long Retry-After back as a throttling error at once", async () => {
    const { sim, controlPlane } = await setUp();
    try {
      sim.addFault({ kind: "status", status: 500, times: 2, operations: ["SqlPools_Get"] });
      expect((await controlPlane.getSqlPool("contoso", "dw")).status).toBe("Paused");
      sim.addFault({
        kind: "status",
        status: 429,
        retryAfterSeconds: 1,
        times: 1,
        operations: ["SqlPools_Get"],
      });
      expect((await controlPlane.getSqlPool("contoso", "dw")).status).toBe("Paused");
      expect(sim.callsTo("SqlPools_Get").map((c) => c.status)).toEqual([500, 500, 200, 429, 200]);
      sim.addFault({
        kind: "status",
        status: 429,
        retryAfterSeconds: 3600,
        times: 1,
        operations: ["SqlPools_Get"],
      });
      const started = Date.now();
      const error = await controlPlane.getSqlPool("contoso", "dw").catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(SynapseThrottledError);
      expect((error as SynapseThrottledError).retryAfterSeconds).toBe(3600);
    } finally {
      await sim.close();
    }
  });

  it("explains a missing pool and a refused token, naming ARM and the workspace", async () => {
    const { sim } = await setUp();
    const wrongToken = controlPlaneOn(sim.url, {
      auth: { kind: "staticToken", token: "wrong" },
    });
    const right = controlPlaneOn(sim.url, {
      auth: { kind: "staticToken", token: TOKEN },
    });
    try {
      const missing = (await right
        .getSqlPool("contoso", "nope")
        .catch((e: unknown) => e)) as SynapseRequestError;
      expect(missing).toBeInstanceOf(SynapseRequestError);
      expect(missing.statusCode).toBe(404);
      expect(missing.code).toBe("ResourceNotFound");
      expect(missing.message).toMatch(/^ARM getSqlPool nope on workspace contoso failed \(HTTP 404\)/);
      const refused = (await wrongToken
        .getSqlPool("contoso", "dw")
        .catch((e: unknown) => e)) as SynapseRequestError;
      expect(refused.statusCode).toBe(401);
      expect(refused.message).toMatch(/SYNAPSE_STATIC_TOKEN.*ARM_ENDPOINT/);
    } finally {
      await sim.close();
    }
  });

  it("the app takes a workspace's dev endpoint from ARM: link calls reach it although the configured one is dead", async () => {
    const sim = await startSynapseSim({
      token: TOKEN,
      seed: { links: [{ name: "sales-link" }], sourceTables: [] },
      arm: { ...arm, devEndpoint: undefined },
    });
    try {
      const deps = createDependencies(
        loadConfig({
          AzureWebJobsStorage: "UseDevelopmentStorage=true",
          // Nothing listens on port 9: only the endpoint ARM reports (the simulator's own URL) can answer.
          SYNAPSE_WORKSPACES: "contoso=http://127.0.0.1:9",
          SYNAPSE_STATIC_TOKEN: TOKEN,
          SYNAPSE_WORKSPACE_RESOURCE_IDS: `/subscriptions/${arm.subscriptionId}/resourceGroups/${arm.resourceGroup}/providers/Microsoft.Synapse/workspaces/contoso`,
          ARM_ENDPOINT: sim.url,
        }),
        { sdkRetry: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 10 } },
      );
      expect(await deps.synapse.listLinkConnections("contoso")).toEqual(["sales-link"]);
      await deps.synapse.getLinkConnection({ workspace: "contoso", linkConnection: "sales-link" });
      expect(sim.callsTo("Workspaces_Get")).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });
});
