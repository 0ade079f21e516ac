// The demo state `npm run sim` starts with: one empty running link to onboard into, one link that already holds a
// table (to show the one-link-per-table rule), and a source database with one table lacking a primary key.
import type { SimSeed } from "./publicTypes";

export function demoSeed(): SimSeed {
  return {
    links: [
      { name: "demo-link", status: "Running" },
      { name: "other-link", status: "Running", tables: [{ schema: "dbo", name: "Legacy" }] },
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
