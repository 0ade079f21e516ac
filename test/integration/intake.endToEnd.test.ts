import { HttpRequest } from "@azure/functions";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { installFunctionsCoreStandIn, ReplayDriver } from "../../dev/durable";
import { invokeFunction, startDurableClientApi, type DurableClientApi } from "../../dev/host";
import { demoSeed, startSynapseSim, type SynapseSim } from "../../dev/synapse-sim";
import { getDependencies } from "../../shared/dependencies";
import { useAppSettings } from "../support/httpFunctions";
import { QueueRelay } from "../support/queueRelay";

// Capture every registration before the function modules load.
const registry = installFunctionsCoreStandIn();

const TOKEN = "e2e-token";
let azurite: RunningAzurite;
let sim: SynapseSim;
let driver: ReplayDriver;
let durable: DurableClientApi;
let restoreSettings: () => void = () => undefined;

beforeAll(async () => {
  azurite = await startAzurite();
  driver = new ReplayDriver({ registry, startTime: new Date("2026-01-05T08:00:00Z") });
  sim = await startSynapseSim({ seed: demoSeed(), token: TOKEN, clock: () => driver.now });
  restoreSettings = useAppSettings({
    AzureWebJobsStorage: azurite.connectionString,
    LEDGER_TABLE_NAME: "ledgerEndToEnd",
    SYNAPSE_WORKSPACES: `demo=${sim.url}`,
    SYNAPSE_STATIC_TOKEN: TOKEN,
    ALLOWED_LINKS: "demo/*",
    ROUTING_RULES: JSON.stringify([
      {
        source: "/sql/servers/sql-demo/databases/sales",
        workspace: "demo",
        linkConnection: "demo-link",
        include: ["sales.*"],
      },
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
  durable = await startDurableClientApi(driver);
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

let relay: QueueRelay;
const drain = () => relay.drain(fn("onboardingQueue"), durable.durableClientData);

async function statusOf(requestId: string) {
  const { result } = await invokeFunction(
    fn("onboardingStatus"),
    new HttpRequest({
      method: "GET",
      url: `http://localhost:7071/api/onboarding/${requestId}`,
      params: { requestId },
    }),
  );
  return result as {
    status: number;
    jsonBody: { status: string; tables: { schema: string; name: string; status: string }[] };
  };
}

describe("intake end to end (in process)", () => {
  beforeAll(() => {
    relay = new QueueRelay(azurite.connectionString);
  });

  it("takes a webhook request through the queue and the link worker to Succeeded", async () => {
    const { result, outputs } = await invokeFunction(
      fn("onboardingHttp"),
      new HttpRequest({
        method: "POST",
        url: "http://localhost:7071/api/onboarding",
        headers: { "content-type": "application/json" },
        body: {
          string: JSON.stringify({
            linkConnection: "demo-link",
            tables: [
              { schema: "dbo", name: "Customers" },
              {
                schema: "dbo",
                name: "Orders",
                target: { distribution: "Hash", distributionColumn: "OrderId" },
              },
            ],
          }),
        },
      }),
    );
    const accepted = result as { status: number; jsonBody: { requestId: string; statusUrl: string } };
    expect(accepted.status).toBe(202);
    expect(await relay.send(fn("onboardingHttp"), { outputs, result })).toBe(1);

    expect(await drain()).toBe(1);
    expect((await statusOf(accepted.jsonBody.requestId)).jsonBody.status).toMatch(/Queued|InProgress/);
    await durable.pump.idle();

    const status = await statusOf(accepted.jsonBody.requestId);
    expect(status.status).toBe(200);
    expect(status.jsonBody.status).toBe("Succeeded");
    expect(status.jsonBody.tables.map((t) => `${t.schema}.${t.name}:${t.status}`)).toEqual([
      "dbo.Customers:Replicating",
      "dbo.Orders:Replicating",
    ]);
    const sent = sim.callsTo("LinkConnection_EditTables").at(-1)?.body as {
      linkTables: { target: { distributionOptions: { type: string; distributionColumn?: string } } }[];
    };
    expect(sent.linkTables[1]?.target.distributionOptions).toEqual({
      type: "Hash",
      distributionColumn: "OrderId",
    });
  });

  it("takes a sql.table.created event through the queue and the link worker to Succeeded", async () => {
    const event = {
      specversion: "1.0",
      type: "com.contoso.sql.table.created.v1",
      source: "/sql/servers/sql-demo/databases/sales",
      id: "ddl-event-1",
      time: "2026-01-05T08:00:00Z",
      subject: "/schemas/sales/tables/Invoices",
      datacontenttype: "application/json",
      data: {
        server: "sql-demo",
        database: "sales",
        schema: "sales",
        table: "Invoices",
        primaryKey: ["InvoiceId"],
      },
    };
    const invocation = await invokeFunction(fn("schemaChanged"), event);
    const queued = [...invocation.outputs.values()][0] as { requestId: string } | undefined;
    expect(queued?.requestId).toBeDefined();
    expect(await relay.send(fn("schemaChanged"), invocation)).toBe(1);

    expect(await drain()).toBe(1);
    await durable.pump.idle();

    const status = await statusOf(queued!.requestId);
    expect(status.jsonBody.status).toBe("Succeeded");
    expect(status.jsonBody.tables).toEqual([{ schema: "sales", name: "Invoices", status: "Replicating" }]);
    expect((await getDependencies().ledger.getRequest(queued!.requestId))?.status).toBe("Succeeded");
  });
});
