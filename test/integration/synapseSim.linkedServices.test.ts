// The simulator's linked services (LinkedService_GetLinkedService, spec/artifacts/2020-12-01) through the real
// @azure/synapse-artifacts client, and the adapter's link → linked service → pool read over HTTP.
import { ArtifactsClient } from "@azure/synapse-artifacts";
import {
  artifactsClientOverHttp,
  dedicatedPoolLinkedService,
  demoSeed,
  startSynapseSim,
  workspaceDefaultSqlServer,
  type SimSeed,
  type SynapseSim,
} from "../../dev/synapse-sim";
import { linkedServiceSpec } from "../../dev/synapse-sim/linkedServiceSpec";
import { ArtifactsSynapseLinkClient } from "../../shared/synapse/artifactsSynapseLinkClient";
import { SynapseRequestError } from "../../shared/synapse/synapseLinkClient";
import { useSynapseSim } from "../support/synapseSim";

const TOKEN = "linked-service-test-token";
let sim: SynapseSim;

/** demoSeed plus links whose linked services name their pool in each way the app reads, and in none. */
function seed(): SimSeed {
  const base = demoSeed();
  return {
    ...base,
    links: [
      ...base.links,
      { name: "direct-link", targetLinkedService: { referenceName: "pausedpool" } },
      { name: "recommended-link", targetLinkedService: { referenceName: "RecommendedDw" } },
      { name: "default-arg-link", targetLinkedService: { referenceName: "DefaultedDw" } },
      { name: "missing-ls-link", targetLinkedService: { referenceName: "NoSuchService" } },
      { name: "secret-link", targetLinkedService: { referenceName: "SecretDw" } },
    ],
    linkedServices: [
      ...(base.linkedServices ?? []),
      {
        name: "RecommendedDw",
        properties: {
          type: "AzureSqlDW",
          typeProperties: { server: "demo.sql.azuresynapse.net", database: "demopool" },
        },
      },
      {
        name: "DefaultedDw",
        properties: {
          type: "AzureSqlDW",
          typeProperties: { connectionString: "Data Source=x;Initial Catalog=@{linkedService().Pool}" },
          parameters: { Pool: { type: "String", defaultValue: "pausedpool" } },
        },
      },
      {
        name: "SecretDw",
        properties: {
          type: "AzureSqlDW",
          typeProperties: {
            connectionString: {
              type: "SecureString",
              value: "Data Source=x;Initial Catalog=demopool;Password=p",
            },
          },
        },
      },
    ],
  };
}

useSynapseSim({ token: TOKEN }, { started: (s) => (sim = s), reseed: seed });

function adapter(): ArtifactsSynapseLinkClient {
  return new ArtifactsSynapseLinkClient({
    workspaces: [{ name: "demo", endpoint: sim.url }],
    auth: { kind: "staticToken", token: TOKEN },
    apiVersion: "2023-04-18-preview",
  });
}

async function get(path: string, token = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("simulator: GET /linkedservices/{name}", () => {
  it("serves the workspace's default SQL linked service through the SDK, valid against the spec's AzureSqlDW", async () => {
    let raw: unknown;
    const { endpoint, options } = artifactsClientOverHttp(sim.url);
    const credential = {
      getToken: () => Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const sdk = new ArtifactsClient(credential, endpoint, options);
    const resource = await sdk.linkedServiceOperations.getLinkedService(
      "demo-WorkspaceDefaultSqlServer",
      // The wire body: the SDK's parsedBody is already mapped (typeProperties flattened).
      { onResponse: (r) => (raw = JSON.parse(r.bodyAsText ?? "null")) },
    );
    expect(resource.name).toBe("demo-WorkspaceDefaultSqlServer");
    expect(resource.properties.type).toBe("AzureSqlDW");
    expect(linkedServiceSpec().validateResource(raw)).toEqual([]);
    expect(raw).toMatchObject({
      type: "Microsoft.Synapse/workspaces/linkedservices",
      properties: {
        typeProperties: {
          connectionString:
            "Data Source=tcp:demo.sql.azuresynapse.net,1433;Initial Catalog=@{linkedService().DBName}",
        },
        parameters: { DBName: { type: "String" } },
      },
    });
    expect(sim.callsTo("LinkedService_GetLinkedService").map((c) => [c.status, c.apiVersion])).toEqual([
      [200, "2020-12-01"],
    ]);
  });

  it("masks a SecureString connection string, as the spec says Get does", async () => {
    const { status, body } = await get("/linkedservices/SecretDw?api-version=2020-12-01");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      properties: { typeProperties: { connectionString: { type: "SecureString", value: "**********" } } },
    });
  });

  it("answers 404 for an unknown linked service, 400 for another api-version or a name the spec forbids, 401 for a wrong token", async () => {
    expect((await get("/linkedservices/NoSuchService?api-version=2020-12-01")).status).toBe(404);
    const version = await get("/linkedservices/pausedpool?api-version=2023-04-18-preview");
    expect(version.status).toBe(400);
    expect(JSON.stringify(version.body)).toContain("2020-12-01");
    expect((await get("/linkedservices/pausedpool")).status).toBe(400);
    expect((await get("/linkedservices/a.b?api-version=2020-12-01")).status).toBe(400);
    expect((await get("/linkedservices/pausedpool?api-version=2020-12-01", "wrong")).status).toBe(401);
    const put = await fetch(`${sim.url}/linkedservices/pausedpool?api-version=2020-12-01`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(put.status).toBe(405);
  });

  it("injects faults by the operation id", async () => {
    sim.addFault({ kind: "status", status: 503, times: 1, operations: ["LinkedService_GetLinkedService"] });
    expect((await get("/linkedservices/pausedpool?api-version=2020-12-01")).status).toBe(503);
    expect((await get("/linkedservices/pausedpool?api-version=2020-12-01")).status).toBe(200);
  });

  it("refuses a seeded linked service the spec does not allow, naming the field", async () => {
    const bad: SimSeed = {
      links: [],
      sourceTables: [],
      linkedServices: [{ name: "NoTypeProperties", properties: { type: "AzureSqlDW" } }],
    };
    await expect(startSynapseSim({ seed: bad })).rejects.toThrow(
      /linked service NoTypeProperties does not match the spec: .*typeProperties/,
    );
  });

  it("seeds the demo's links with their target linked services", () => {
    const seed = demoSeed();
    expect(seed.linkedServices?.map((s) => s.name)).toEqual([
      workspaceDefaultSqlServer("demo").name,
      dedicatedPoolLinkedService("pausedpool", "pausedpool").name,
    ]);
    expect(seed.links.map((l) => [l.name, l.targetLinkedService])).toEqual([
      ["demo-link", { referenceName: "demo-WorkspaceDefaultSqlServer", parameters: { DBName: "demopool" } }],
      ["other-link", { referenceName: "demo-WorkspaceDefaultSqlServer" }],
    ]);
  });
});

describe("ArtifactsSynapseLinkClient.getTargetPool over HTTP", () => {
  const link = (linkConnection: string) => ({ workspace: "demo", linkConnection });

  it("demo-link: the default linked service's DBName argument names demopool (link at 2023-04-18-preview, linked service at 2020-12-01)", async () => {
    expect(await adapter().getTargetPool(link("demo-link"))).toEqual({
      linkedService: "demo-WorkspaceDefaultSqlServer",
      pool: "demopool",
    });
    expect(sim.calls.map((c) => [c.operationId, c.apiVersion])).toEqual([
      ["LinkConnection_Get", "2023-04-18-preview"],
      ["LinkedService_GetLinkedService", "2020-12-01"],
    ]);
  });

  it("reads Initial Catalog, typeProperties.database and a parameter's default value", async () => {
    const c = adapter();
    expect(await c.getTargetPool(link("direct-link"))).toEqual({
      linkedService: "pausedpool",
      pool: "pausedpool",
    });
    expect(await c.getTargetPool(link("recommended-link"))).toEqual({
      linkedService: "RecommendedDw",
      pool: "demopool",
    });
    expect(await c.getTargetPool(link("default-arg-link"))).toEqual({
      linkedService: "DefaultedDw",
      pool: "pausedpool",
    });
  });

  it("names no pool, saying why, when the argument is missing, the linked service is absent or its connection string is secret", async () => {
    const c = adapter();
    expect(await c.getTargetPool(link("other-link"))).toEqual({
      linkedService: "demo-WorkspaceDefaultSqlServer",
      none: expect.stringContaining("parameter DBName") as unknown,
    });
    expect(await c.getTargetPool(link("missing-ls-link"))).toEqual({
      linkedService: "NoSuchService",
      none: "linked service NoSuchService does not exist",
    });
    expect(await c.getTargetPool(link("secret-link"))).toEqual({
      linkedService: "SecretDw",
      none: expect.stringContaining("names no database") as unknown,
    });
    expect(await c.getTargetPool(link("no-such-link"))).toEqual({
      none: "link no-such-link could not be read (HTTP 404)",
    });
  });

  it("a linked-service read that keeps failing is an error the worker backs off from, not a missing pool", async () => {
    sim.addFault({ kind: "status", status: 500, operations: ["LinkedService_GetLinkedService"] });
    const error = await adapter()
      .getTargetPool(link("demo-link"))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SynapseRequestError);
    expect((error as SynapseRequestError).statusCode).toBe(500);
  }, 20_000);
});
