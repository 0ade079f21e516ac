import { randomUUID } from "node:crypto";
import { eventRequestId } from "../../shared/events/handleSchemaChange";
import { EVENT_SOURCE, LocalStack, waitForTerminal } from "./support/localStack";

// The whole local stack, driven only over HTTP, as a caller and Event Grid would.
let stack: LocalStack;

beforeAll(async () => {
  stack = await LocalStack.start();
}, 120_000);

afterAll(async () => {
  await stack.stop();
});

async function onboard(tables: { schema: string; name: string }[]) {
  const response = await fetch(`${stack.hostUrl}/api/onboarding`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ linkConnection: "demo-link", tables }),
  });
  const body = (await response.json()) as { requestId: string; status: string; statusUrl: string };
  return { response, body };
}

function createdEvent(schema: string, table: string) {
  return {
    specversion: "1.0",
    type: "com.contoso.sql.table.created.v1",
    source: EVENT_SOURCE,
    id: randomUUID(),
    time: new Date().toISOString(),
    subject: `/schemas/${schema}/tables/${table}`,
    datacontenttype: "application/json",
    data: { server: "demo-sql", database: "demo", schema, table, primaryKey: ["Id"] },
  };
}

describe("local stack over HTTP", () => {
  it("onboards the README's example: 202, then Succeeded with dbo.Customers and dbo.Orders Replicating", async () => {
    const { response, body } = await onboard([
      { schema: "dbo", name: "Customers" },
      { schema: "dbo", name: "Orders" },
    ]);
    expect(response.status).toBe(202);
    expect(response.headers.get("location")).toBe(body.statusUrl);
    expect(body.status).toBe("Queued");

    const done = await waitForTerminal(stack.hostUrl, body.requestId);
    expect(done.status).toBe("Succeeded");
    expect(done.tables.map((t) => `${t.schema}.${t.name}:${t.status}`)).toEqual([
      "dbo.Customers:Replicating",
      "dbo.Orders:Replicating",
    ]);
  });

  it("ends dbo.AuditLog Failed with the primary-key reason", async () => {
    const { body } = await onboard([{ schema: "dbo", name: "AuditLog" }]);
    const done = await waitForTerminal(stack.hostUrl, body.requestId);
    expect(done.status).toBe("Failed");
    expect(done.tables[0]?.error).toMatch(/primary key/i);
  });

  it("rejects dbo.Legacy, naming other-link", async () => {
    const { body } = await onboard([{ schema: "dbo", name: "Legacy" }]);
    const done = await waitForTerminal(stack.hostUrl, body.requestId);
    expect(done.status).toBe("Rejected");
    expect(done.tables[0]).toMatchObject({ status: "Rejected", error: expect.stringMatching(/other-link/) });
  });

  it("answers Event Grid's validation handshake and the CloudEvents abuse-protection handshake", async () => {
    const validation = await fetch(`${stack.hostUrl}/runtime/webhooks/eventgrid?functionName=schemaChanged`, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "SubscriptionValidation" },
      body: JSON.stringify([
        {
          id: "v1",
          topic: "/subscriptions/x/resourceGroups/y/providers/Microsoft.EventGrid/topics/z",
          subject: "",
          eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
          eventTime: new Date().toISOString(),
          data: { validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
          dataVersion: "1",
          metadataVersion: "1",
        },
      ]),
    });
    expect(validation.status).toBe(200);
    expect(await validation.json()).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });

    const options = await fetch(`${stack.hostUrl}/runtime/webhooks/eventgrid?functionName=schemaChanged`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
  });

  it("onboards a table announced by a sql.table.created CloudEvent", async () => {
    const event = createdEvent("sales", "Invoices");
    const delivery = await fetch(`${stack.hostUrl}/runtime/webhooks/eventgrid?functionName=schemaChanged`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json; charset=utf-8" },
      body: JSON.stringify(event),
    });
    expect(delivery.status).toBe(200);

    const done = await waitForTerminal(stack.hostUrl, eventRequestId(event));
    expect(done.status).toBe("Succeeded");
    expect(done.tables).toEqual([{ schema: "sales", name: "Invoices", status: "Replicating" }]);
  });

  it("shows the link's status, its worker and every tracked table", async () => {
    const response = await fetch(`${stack.hostUrl}/api/links/demo/demo-link`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      linkStatus: string;
      worker: { instanceId: string };
      tables: { schema: string; name: string; status: string }[];
    };
    expect(body.linkStatus).toBe("Running");
    expect(body.worker.instanceId).toMatch(/^linkWorker-demo-demo-link-/);
    expect(body.tables.find((t) => t.name === "Customers")?.status).toBe("Replicating");
  });

  it("finishes every request after the host is killed mid-run and started again, adding each table once", async () => {
    const { body } = await onboard([
      { schema: "dbo", name: "Products" },
      { schema: "sales", name: "InvoiceLines" },
    ]);
    // Kill the host once the worker has sent its edit and before the tables replicate.
    const deadline = Date.now() + 30_000;
    while (!stack.addsPerTable()["dbo.Products"] && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stack.addsPerTable()["dbo.Products"]).toBe(1);
    await stack.killHost();
    const midRun = stack.sim.link("demo-link")?.tables.find((t) => t.name === "Products")?.status;
    await stack.startHost();

    const done = await waitForTerminal(stack.hostUrl, body.requestId);
    console.log(
      `crash and resume: killed while dbo.Products was ${midRun ?? "not yet applied"}; request ${done.status}`,
    );
    expect(done.status).toBe("Succeeded");
    expect(done.tables.map((t) => t.status)).toEqual(["Replicating", "Replicating"]);
    const adds = stack.addsPerTable();
    expect([adds["dbo.Products"], adds["sales.InvoiceLines"]]).toEqual([1, 1]);
  });
});
