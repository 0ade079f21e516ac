/**
 * Link identity end to end (issue 9, item 6): Synapse compares workspace and link names without regard to case, so
 * the app does at every entry point. The real HTTP, queue and Event Grid functions run in process, the queue is
 * Azurite's, the link worker runs through the real durable-functions handlers on the replay driver, and Synapse is
 * the simulator over HTTP.
 */
import { HttpRequest } from "@azure/functions";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { installFunctionsCoreStandIn, ReplayDriver } from "../../dev/durable";
import { invokeFunction, startDurableClientApi, type DurableClientApi } from "../../dev/host";
import { demoSeed, startSynapseSim, type SynapseSim } from "../../dev/synapse-sim";
import { useAppSettings } from "../support/httpFunctions";
import { QueueRelay } from "../support/queueRelay";
import { addsPerTable } from "../support/simAdds";

const registry = installFunctionsCoreStandIn();

const TOKEN = "link-identity-token";
const SOURCE = "/sql/servers/sql-demo/databases/sales";
let azurite: RunningAzurite;
let sim: SynapseSim;
let driver: ReplayDriver;
let durable: DurableClientApi;
let restoreSettings: () => void = () => undefined;

beforeAll(async () => {
  azurite = await startAzurite();
  driver = new ReplayDriver({ registry, startTime: new Date("2026-01-05T08:00:00Z") });
  const seed = demoSeed();
  // A re-add after a detach finds the old rows in the target table: the schema-change window needs this setting
  // (docs/api.md#schema-change-window).
  seed.links = seed.links.map((l) =>
    l.name === "demo-link" ? { ...l, actionOnExistingTargetTable: "DropAndRecreateTable" } : l,
  );
  sim = await startSynapseSim({ seed, token: TOKEN, clock: () => driver.now });
  restoreSettings = useAppSettings({
    AzureWebJobsStorage: azurite.connectionString,
    LEDGER_TABLE_NAME: `ledgerLinkIdentity${process.pid}`,
    SYNAPSE_WORKSPACES: `demo=${sim.url}`,
    SYNAPSE_STATIC_TOKEN: TOKEN,
    ALLOWED_LINKS: "DEMO/Demo-Link",
    // Spelled unlike the requests and the configured workspace on purpose.
    ROUTING_RULES: JSON.stringify([
      { source: SOURCE, workspace: "DEMO", linkConnection: "Demo-Link", include: ["dbo.*"] },
    ]),
  });
  for (const name of [
    "onboardingHttp",
    "onboardingStatus",
    "onboardingQueue",
    "schemaChanged",
    "linkWorker",
  ]) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stand-in is installed
    require(`../../functions/${name}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stand-in is installed
  require("../../functions/tableWindow");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stand-in is installed
  require("../../functions/linkStatus");
  durable = await startDurableClientApi(driver);
  queue = new QueueRelay(azurite.connectionString);
});

afterAll(async () => {
  restoreSettings();
  await durable.close();
  await sim.close();
  await azurite.stop();
});

function fn(name: string) {
  const registered = registry.get(name);
  if (!registered) throw new Error(`${name} is not registered`);
  return registered;
}

let queue: QueueRelay;

/** Runs the queue consumer for every waiting message, then lets the durable work run until nothing is due. */
async function consumeAndRun(): Promise<void> {
  await queue.drain(fn("onboardingQueue"), durable.durableClientData);
  await durable.pump.idle();
}

async function post(path: string, body: unknown, params: Record<string, string> = {}) {
  const handler = fn(path === "onboarding" ? "onboardingHttp" : `${path.split("/").at(-1)!}Table`);
  const invocation = await invokeFunction(
    handler,
    new HttpRequest({
      method: "POST",
      url: `http://localhost:7071/api/${path}`,
      headers: { "content-type": "application/json" },
      body: { string: JSON.stringify(body) },
      params,
    }),
    { durableClientData: durable.durableClientData },
  );
  await queue.send(handler, invocation);
  return invocation.result as { status: number; jsonBody: { requestId: string } };
}

async function get(name: string, path: string, params: Record<string, string>) {
  const { result } = await invokeFunction(
    fn(name),
    new HttpRequest({ method: "GET", url: `http://localhost:7071/api/${path}`, params }),
    { durableClientData: durable.durableClientData },
  );
  return result as { status: number; jsonBody: Record<string, unknown> };
}

const requestStatus = async (requestId: string) =>
  (await get("onboardingStatus", `onboarding/${requestId}`, { requestId })).jsonBody as {
    status: string;
    tables: { name: string; status: string }[];
  };

function linkWorkers(): string[] {
  return driver
    .listInstances()
    .filter((s) => s.name === "linkWorker")
    .map((s) => s.instanceId);
}

describe("link identity: one link whatever the case of its name", () => {
  it("runs requests to DEMO-LINK and demo-link on one worker and records them in one ledger partition", async () => {
    const upper = await post("onboarding", {
      linkConnection: "DEMO-LINK",
      tables: [{ schema: "dbo", name: "Customers" }],
    });
    const lower = await post("onboarding", {
      workspace: "Demo",
      linkConnection: "demo-link",
      tables: [{ schema: "dbo", name: "Orders" }],
    });
    expect([upper.status, lower.status]).toEqual([202, 202]);
    await consumeAndRun();

    expect(linkWorkers()).toHaveLength(1);
    expect((await requestStatus(upper.jsonBody.requestId)).status).toBe("Succeeded");
    expect((await requestStatus(lower.jsonBody.requestId)).status).toBe("Succeeded");
    expect(addsPerTable(sim)).toEqual({ "dbo.Customers": 1, "dbo.Orders": 1 });

    // One partition: the link's page lists both tables under either spelling.
    for (const [workspace, linkConnection] of [
      ["demo", "demo-link"],
      ["DEMO", "DEMO-LINK"],
    ] as const) {
      const page = await get("linkStatus", `links/${workspace}/${linkConnection}`, {
        workspace,
        linkConnection,
      });
      expect(page.status).toBe(200);
      const tables = (page.jsonBody.tables as { name: string; status: string }[]).map(
        (t) => `${t.name}:${t.status}`,
      );
      expect(tables.sort()).toEqual(["Customers:Replicating", "Orders:Replicating"]);
    }
  });

  it("re-adds a table detached through /links/demo/DEMO-LINK after its sql.table.altered event", async () => {
    const detach = await post(
      "links/demo/DEMO-LINK/tables/dbo.Orders/detach",
      {},
      { workspace: "demo", linkConnection: "DEMO-LINK", table: "dbo.Orders" },
    );
    expect(detach.status).toBe(202);
    await consumeAndRun();
    expect((await requestStatus(detach.jsonBody.requestId)).status).toBe("Succeeded");
    expect(sim.link("demo-link")?.tables.map((t) => t.name)).not.toContain("Orders");

    const altered = {
      specversion: "1.0",
      type: "com.contoso.sql.table.altered.v1",
      source: SOURCE,
      id: "identity-altered-orders",
      time: "2026-01-05T08:10:00Z",
      subject: "/schemas/dbo/tables/Orders",
      datacontenttype: "application/json",
      data: {
        server: "sql-demo",
        database: "sales",
        schema: "dbo",
        table: "Orders",
        primaryKey: ["OrderId"],
      },
    };
    const invocation = await invokeFunction(fn("schemaChanged"), altered);
    const message = [...invocation.outputs.values()][0] as
      { action: string; workspace: string; requestId: string } | undefined;
    expect(message).toMatchObject({ action: "reAdd", workspace: "demo" });
    await queue.send(fn("schemaChanged"), invocation);
    await consumeAndRun();

    expect(await requestStatus(message!.requestId)).toMatchObject({
      status: "Succeeded",
      tables: [{ name: "Orders", status: "Replicating" }],
    });
    expect(linkWorkers()).toHaveLength(1);
    expect(addsPerTable(sim)["dbo.Orders"]).toBe(2);
    expect(sim.link("demo-link")?.tables.map((t) => t.name)).toContain("Orders");
  });
});
