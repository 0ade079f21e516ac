/*
 * `npm run demo`: against a running `npm start`, sends sample webhook requests and
 * sql.table.created events, then shows per-table progress until every request is terminal.
 * DEMO_URL overrides http://127.0.0.1:7071; DEMO_TIMEOUT_SECONDS (default 300) bounds the wait.
 */
import { randomUUID } from "node:crypto";
import { eventRequestId } from "../shared/events/handleSchemaChange";

const baseUrl = (process.env.DEMO_URL ?? "http://127.0.0.1:7071").replace(/\/+$/, "");
const timeoutSeconds = Number(process.env.DEMO_TIMEOUT_SECONDS ?? "300");
const TERMINAL = new Set(["Succeeded", "PartiallySucceeded", "Failed", "Rejected"]);
const EVENT_SOURCE = "/sql/servers/demo-sql/databases/demo";

interface Tracked {
  label: string;
  requestId: string;
}

interface StatusBody {
  status: string;
  tables: { schema: string; name: string; status: string; error?: string }[];
}

async function postRequest(label: string, body: unknown): Promise<Tracked> {
  const response = await fetch(`${baseUrl}/api/onboarding`, {
    method: "POST",
    headers: { "content-type": "application/json", "Idempotency-Key": `demo-${randomUUID()}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { requestId?: string; detail?: string };
  if (response.status !== 202 || !json.requestId) {
    throw new Error(`${label}: expected 202, got ${response.status} ${json.detail ?? ""}`);
  }
  console.log(`→ ${label}: 202, request ${json.requestId}`);
  return { label, requestId: json.requestId };
}

/** A CloudEvent as the database's outbox drain would send it (see docs/schema-change-events.md). */
async function postCreatedEvent(schema: string, table: string): Promise<Tracked> {
  const event = {
    specversion: "1.0",
    type: "com.contoso.sql.table.created.v1",
    source: EVENT_SOURCE,
    id: `demo-${randomUUID()}`,
    time: new Date().toISOString(),
    subject: `/schemas/${schema}/tables/${table}`,
    datacontenttype: "application/json",
    data: { server: "demo-sql", database: "demo", schema, table, primaryKey: ["Id"] },
  };
  const response = await fetch(`${baseUrl}/runtime/webhooks/eventgrid?functionName=schemaChanged`, {
    method: "POST",
    headers: {
      "content-type": "application/cloudevents+json; charset=utf-8",
      "aeg-event-type": "Notification",
    },
    body: JSON.stringify(event),
  });
  if (!response.ok)
    throw new Error(`event for ${schema}.${table}: ${response.status} ${await response.text()}`);
  const label = `sql.table.created ${schema}.${table}`;
  const requestId = eventRequestId({ id: event.id, source: event.source });
  console.log(`→ ${label}: ${response.status}, request ${requestId}`);
  return { label, requestId };
}

async function statusOf(requestId: string): Promise<StatusBody | undefined> {
  const response = await fetch(`${baseUrl}/api/onboarding/${requestId}`);
  if (response.status === 404) return undefined; // still in the queue
  return (await response.json()) as StatusBody;
}

function render(tracked: Tracked[], statuses: Map<string, StatusBody | undefined>): string {
  return tracked
    .map((t) => {
      const s = statuses.get(t.requestId);
      const tables = s ? s.tables.map((x) => `${x.schema}.${x.name}=${x.status}`).join(" ") : "(queued)";
      return `  ${(s?.status ?? "Queued").padEnd(18)} ${t.label.padEnd(42)} ${tables}`;
    })
    .join("\n");
}

async function main(): Promise<void> {
  console.log(`Synapse Link Autopilot demo against ${baseUrl}\n`);
  const tracked = [
    await postRequest("dbo.Customers + dbo.Orders", {
      linkConnection: "demo-link",
      tables: [
        { schema: "dbo", name: "Customers" },
        { schema: "dbo", name: "Orders", target: { distribution: "Hash", distributionColumn: "OrderId" } },
      ],
    }),
    await postRequest("dbo.AuditLog (no primary key)", {
      linkConnection: "demo-link",
      tables: [{ schema: "dbo", name: "AuditLog" }],
    }),
    await postRequest("dbo.Legacy (in other-link)", {
      linkConnection: "demo-link",
      tables: [{ schema: "dbo", name: "Legacy" }],
    }),
    await postCreatedEvent("sales", "Invoices"),
    await postCreatedEvent("sales", "InvoiceLines"),
  ];

  const deadline = Date.now() + timeoutSeconds * 1000;
  let previous = "";
  for (;;) {
    const statuses = new Map<string, StatusBody | undefined>();
    for (const t of tracked) statuses.set(t.requestId, await statusOf(t.requestId));
    const view = render(tracked, statuses);
    if (view !== previous) {
      console.log(`\n[${new Date().toISOString().slice(11, 19)}]\n${view}`);
      previous = view;
    }
    if (tracked.every((t) => TERMINAL.has(statuses.get(t.requestId)?.status ?? ""))) {
      console.log("\nEvery request is terminal. Errors:");
      for (const s of statuses.values()) {
        for (const table of s?.tables ?? []) {
          if (table.error) console.log(`  ${table.schema}.${table.name}: ${table.error}`);
        }
      }
      return;
    }
    if (Date.now() > deadline) throw new Error(`not every request finished within ${timeoutSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error("Is `npm start` running?");
  process.exit(1);
});
