// The demo state `npm run sim` starts with: one empty running link to onboard into, one link that already holds a
// table (to show the one-link-per-table rule), and a source database with one table lacking a primary key. The
// links' target linked services name their dedicated SQL pools the ways real ones do (README.md, "Linked services").
import type { SimLinkedServiceSeed, SimSeed } from "./publicTypes";

/** The SQL endpoint of the demo workspace (`{workspace}.sql.azuresynapse.net`, as Synapse names it). */
const DEMO_SQL_ENDPOINT = "tcp:demo.sql.azuresynapse.net,1433";

/**
 * The linked service every workspace gets, `{workspace}-WorkspaceDefaultSqlServer`: the pool is a parameter
 * (`Initial Catalog=@{linkedService().DBName}`) that a link's reference fills in (REC-23: `parameters: { DBName }`).
 */
export function workspaceDefaultSqlServer(workspace: string): SimLinkedServiceSeed {
  return {
    name: `${workspace}-WorkspaceDefaultSqlServer`,
    properties: {
      type: "AzureSqlDW",
      typeProperties: {
        connectionString: `Data Source=tcp:${workspace}.sql.azuresynapse.net,1433;Initial Catalog=@{linkedService().DBName}`,
      },
      parameters: { DBName: { type: "String" } },
      connectVia: { referenceName: "AutoResolveIntegrationRuntime", type: "IntegrationRuntimeReference" },
      annotations: [],
    },
  };
}

/** A linked service that names its pool outright (`Initial Catalog=<pool>`), as one made in Studio for a pool does. */
export function dedicatedPoolLinkedService(name: string, pool: string): SimLinkedServiceSeed {
  return {
    name,
    properties: {
      type: "AzureSqlDW",
      typeProperties: { connectionString: `Data Source=${DEMO_SQL_ENDPOINT};Initial Catalog=${pool}` },
      annotations: [],
    },
  };
}

export function demoSeed(): SimSeed {
  return {
    links: [
      {
        name: "demo-link",
        status: "Running",
        // As REC-23's real link: the workspace's default linked service, the pool as its DBName argument.
        targetLinkedService: {
          referenceName: "demo-WorkspaceDefaultSqlServer",
          parameters: { DBName: "demopool" },
        },
      },
      {
        name: "other-link",
        status: "Running",
        tables: [{ schema: "dbo", name: "Legacy" }],
        // No DBName argument: the linked service names no pool (the app falls back to SYNAPSE_SQL_POOLS).
        targetLinkedService: { referenceName: "demo-WorkspaceDefaultSqlServer" },
      },
    ],
    // `pausedpool` is the target of reporting-link, which `npm run demo` creates (dev/demo.ts).
    linkedServices: [
      workspaceDefaultSqlServer("demo"),
      dedicatedPoolLinkedService("pausedpool", "pausedpool"),
    ],
    sourceTables: [
      { schema: "dbo", name: "Customers", primaryKey: ["CustomerId"] },
      { schema: "dbo", name: "Orders", primaryKey: ["OrderId"] },
      { schema: "dbo", name: "Products", primaryKey: ["ProductId"] },
      { schema: "sales", name: "Invoices", primaryKey: ["InvoiceId"] },
      { schema: "sales", name: "InvoiceLines", primaryKey: ["InvoiceId", "LineNumber"] },
      { schema: "dbo", name: "Legacy", primaryKey: ["LegacyId"] },
      { schema: "dbo", name: "AuditLog" },
    ],
    targetTables: [],
  };
}
