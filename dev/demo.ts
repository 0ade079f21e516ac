/*
 * `npm run demo`: against a running `npm start`, sends sample webhook requests and
 * sql.table.created events, then shows per-table progress until every request is terminal.
 * DEMO_URL overrides http://127.0.0.1:7071; DEMO_TIMEOUT_SECONDS (default 300) bounds the wait.
 * It also creates `reporting-link` in the simulator (DEMO_SIM_URL, default http://127.0.0.1:7072),
 * whose dedicated SQL pool `pausedpool` is Paused: its table waits, and the demo shows why.
 */
import { randomUUID } from "node:crypto";
import { eventRequestId } from "../shared/events/handleSchemaChange";

const baseUrl = (process.env.DEMO_URL ?? "http://127.0.0.1:7071").replace(/\/+$/, "");
const timeoutSeconds = Number(process.env.DEMO_TIMEOUT_SECONDS ?? "300");
const TERMINAL = new Set(["Succeeded", "PartiallySucceeded", "Failed", "Rejected"]);
const EVENT_SOURCE = "/sql/servers/demo-sql/databases/demo";
const simUrl = (process.env.DEMO_SIM_URL ?? "http://127.0.0.1:7072").replace(/\/+$/, "");
const simToken = process.env.SYNAPSE_STATIC_TOKEN ?? "local-simulator-token";
/**
 * The link whose target pool is Paused: its target linked service `pausedpool` names that pool (the
 * simulator's demo seed), and SYNAPSE_SQL_POOLS in local.settings.json names it explicitly too.
 */
const PAUSED_POOL_LINK = "reporting-link";

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

/** Creates and starts the paused-pool link through the simulator's link-connection API, as Studio would. */
async function createPausedPoolLink(): Promise<void> {
  const headers = { authorization: `Bearer ${simToken}`, "content-type": "application/json" };
  const url = `${simUrl}/linkconnections/${PAUSED_POOL_LINK}`;
  const query = "?api-version=2023-04-18-preview";
  const linkedService = (referenceName: string) => ({ referenceName, type: "LinkedServiceReference" });
  const created = await fetch(url + query, {
    method: "PUT",
    headers,
    body: JSON.stringify({
      properties: {
        sourceDatabase: { linkedService: linkedService("demo-sql") },
        targetDatabase: { linkedService: linkedService("pausedpool") },
        compute: { coreCount: 4, computeType: "General" },
      },
    }),
  });
  if (!created.ok) throw new Error(`creating ${PAUSED_POOL_LINK}: ${created.status} ${await created.text()}`);
  const started = await fetch(`${url}/start${query}`, { method: "POST", headers });
  if (!started.ok) throw new Error(`starting ${PAUSED_POOL_LINK}: ${started.status} ${await started.text()}`);
  console.log(`→ created ${PAUSED_POOL_LINK} in the simulator; its SQL pool pausedpool is Paused`);
}

/** The worker's reason for waiting on the link (`GET /api/links/…`, worker.waiting), if any. */
async function waitingReason(linkConnection: string): Promise<string | undefined> {
  const response = await fetch(`${baseUrl}/api/links/demo/${linkConnection}`);
  if (!response.ok) return undefined;
  const body = (await response.json()) as { worker?: { waiting?: string }; warnings?: string[] };
  return body.worker?.waiting;
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
  console.log(`Synapse Link Autopilot demo against ${baseUrl}`);
  console.log(`Watch it on the dashboard: ${baseUrl}/api/dashboard\n`);
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
  await createPausedPoolLink();
  const paused = await postRequest(`dbo.Products (${PAUSED_POOL_LINK}, pool Paused)`, {
    linkConnection: PAUSED_POOL_LINK,
    tables: [{ schema: "dbo", name: "Products" }],
  });

  const deadline = Date.now() + timeoutSeconds * 1000;
  let previous = "";
  for (;;) {
    const statuses = new Map<string, StatusBody | undefined>();
    for (const t of tracked) statuses.set(t.requestId, await statusOf(t.requestId));
    statuses.set(paused.requestId, await statusOf(paused.requestId));
    const reason = await waitingReason(PAUSED_POOL_LINK);
    const view = `${render([...tracked, paused], statuses)}${reason ? `\n  ${PAUSED_POOL_LINK}: ${reason}` : ""}`;
    if (view !== previous) {
      console.log(`\n[${new Date().toISOString().slice(11, 19)}]\n${view}`);
      previous = view;
    }
    if (tracked.every((t) => TERMINAL.has(statuses.get(t.requestId)?.status ?? ""))) {
      console.log(
        `\nEvery request on demo-link is terminal; ${PAUSED_POOL_LINK} waits: ${reason ?? "(no reason yet)"}. ` +
          `Resume its pool with: curl -X POST ${simUrl}/_sim/arm/sqlPools/pausedpool -d '{"action":"resume"}'`,
      );
      console.log("\nErrors:");
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
