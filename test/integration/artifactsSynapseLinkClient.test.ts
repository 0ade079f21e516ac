import { demoSeed, type SynapseSim } from "../../dev/synapse-sim";
import { resolveTarget } from "../../shared/domain/tableTarget";
import { ArtifactsSynapseLinkClient } from "../../shared/synapse/artifactsSynapseLinkClient";
import { SynapseRequestError } from "../../shared/synapse/synapseLinkClient";
import { useSynapseSim } from "../support/synapseSim";

const TOKEN = "adapter-test-token";
let sim: SynapseSim;
let now = Date.parse("2026-01-05T08:00:00Z");

useSynapseSim(
  { token: TOKEN, clock: () => now, pageSize: 2 },
  {
    started: (s) => (sim = s),
    reseed: () => {
      const seed = demoSeed();
      seed.links[0]!.actionOnExistingTargetTable = "MergeWithExistingData";
      seed.links.push({ name: "third-link" }, { name: "fourth-link" });
      return seed;
    },
  },
);

function client(apiVersion = "2023-04-18-preview", token = TOKEN, tableStatusPageSize = 2) {
  return new ArtifactsSynapseLinkClient({
    workspaces: [{ name: "demo", endpoint: sim.url }],
    auth: { kind: "staticToken", token },
    apiVersion,
    tableStatusPageSize,
  });
}

const link = { workspace: "demo", linkConnection: "demo-link" };

describe("ArtifactsSynapseLinkClient against the simulator", () => {
  it("sends the configured api-version instead of the SDK's constant and reads actionOnExistingTargetTable", async () => {
    const info = await client().getLinkConnection(link);
    expect(info).toEqual({ name: "demo-link", actionOnExistingTargetTable: "MergeWithExistingData" });
    expect(sim.calls.map((c) => c.apiVersion)).toEqual(["2023-04-18-preview"]);
  });

  it("returns undefined for a link that does not exist", async () => {
    expect(await client().getLinkConnection({ workspace: "demo", linkConnection: "nope" })).toBeUndefined();
  });

  it("lists every link connection across nextLink pages", async () => {
    expect((await client().listLinkConnections("demo")).sort()).toEqual([
      "demo-link",
      "fourth-link",
      "other-link",
      "third-link",
    ]);
    expect(sim.callsTo("LinkConnection_ListByWorkspace").length).toBeGreaterThan(1);
  });

  it("adds tables with the service's strings, a structure only when asked, and reads them back as the app's names", async () => {
    const c = client();
    const orders = { schema: "dbo", name: "Orders" };
    const invoices = { schema: "sales", name: "Invoices" };
    await c.editTables(link, [
      {
        operation: "add",
        id: "11111111-1111-5111-8111-111111111111",
        source: orders,
        target: resolveTarget(orders, undefined),
      },
      {
        operation: "add",
        id: "22222222-2222-5222-8222-222222222222",
        source: invoices,
        target: resolveTarget(invoices, {
          distribution: "Hash",
          distributionColumn: "InvoiceId",
          structure: "Heap",
        }),
      },
    ]);
    const sent = sim.callsTo("LinkConnection_EditTables")[0]?.body as {
      linkTables: { target: Record<string, unknown> }[];
    };
    expect(sent.linkTables[0]).toMatchObject({
      operationType: "add",
      target: { distributionOptions: { type: "Round_RoBin" } },
    });
    // No structure asked for, none sent: the service applies its own default.
    expect(sent.linkTables[0]?.target).not.toHaveProperty("structureOptions");
    expect(sent.linkTables[1]).toMatchObject({
      target: {
        distributionOptions: { type: "Hash", distributionColumn: "InvoiceId" },
        structureOptions: { type: "Heap" },
      },
    });

    now += 60_000; // past the simulated apply time
    const tables = await c.listLinkTables(link);
    expect(tables.map((t) => [t.source.name, t.target?.distribution, t.target?.structure])).toEqual([
      ["Orders", "RoundRobin", undefined],
      ["Invoices", "Hash", "Heap"],
    ]);
  });

  it("follows querytablestatus continuation tokens across pages", async () => {
    const c = client();
    const names = ["Customers", "Orders", "Products"];
    await c.editTables(
      link,
      names.map((name, i) => ({
        operation: "add" as const,
        id: `3333333${i}-3333-5333-8333-333333333333`,
        source: { schema: "dbo", name },
        target: resolveTarget({ schema: "dbo", name }, undefined),
      })),
    );
    now += 60_000;
    const states = await c.queryTableStatus(link);
    expect(states.map((s) => s.id).sort()).toEqual([
      "33333330-3333-5333-8333-333333333333",
      "33333331-3333-5333-8333-333333333333",
      "33333332-3333-5333-8333-333333333333",
    ]);
    expect(sim.callsTo("LinkConnection_QueryTableStatus").length).toBe(2);
  });

  it("reports a refused call with the HTTP status and the service's own message", async () => {
    const legacy = { schema: "dbo", name: "Legacy" };
    const error = await client()
      .editTables(link, [
        {
          operation: "add",
          id: "44444444-4444-5444-8444-444444444444",
          source: legacy,
          target: resolveTarget(legacy, undefined),
        },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynapseRequestError);
    expect(error).toMatchObject({ statusCode: 400, operation: "editTables" });
    // Whichever wording and error-body shape the simulator uses, the message carries the service's own text.
    const { message, serviceMessage } = error as SynapseRequestError;
    expect(serviceMessage).toBeTruthy();
    expect(message).toMatch(/^editTables on demo\/demo-link failed \(HTTP 400\): /);
    expect(message).toContain(serviceMessage);
  });

  it("surfaces a wrong token as a 401 naming SYNAPSE_STATIC_TOKEN", async () => {
    const error = await client("2023-04-18-preview", "wrong")
      .getDetailedStatus(link)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 401 });
    expect((error as Error).message).toContain("SYNAPSE_STATIC_TOKEN");
  });

  it("names an unconfigured workspace", async () => {
    await expect(client().getDetailedStatus({ workspace: "elsewhere", linkConnection: "x" })).rejects.toThrow(
      /Workspace "elsewhere" is not configured \(SYNAPSE_WORKSPACES\)/,
    );
  });
});
