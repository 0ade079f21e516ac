import {
  isLinkAllowed,
  routeTable,
  targetDefaultsFor,
  type Routing,
} from "../../../shared/routing/routingRules";
import { tablePatternMatches } from "../../../shared/routing/tablePattern";

const routing: Routing = {
  rules: [
    {
      source: "/sql/servers/sql1/databases/sales",
      workspace: "ws",
      linkConnection: "sales-link",
      include: ["dbo.*", "sales.Invoice*"],
      exclude: ["*.tmp_*"],
      target: { structure: "Heap" },
    },
  ],
  allowedLinks: [{ workspace: "demo", linkConnection: "*" }],
};

describe("routing rules", () => {
  it("matches schema.table patterns case-insensitively with * wildcards", () => {
    expect(tablePatternMatches("dbo.*", { schema: "DBO", name: "Orders" })).toBe(true);
    expect(tablePatternMatches("*.tmp_*", { schema: "x", name: "tmp_load" })).toBe(true);
    expect(tablePatternMatches("dbo.Order", { schema: "dbo", name: "Orders" })).toBe(false);
    expect(tablePatternMatches("a.b", { schema: "aXb", name: "" })).toBe(false);
  });

  it("routes an event's table by source and include/exclude patterns", () => {
    const src = "/sql/servers/sql1/databases/sales";
    expect(routeTable(routing, src, { schema: "dbo", name: "Orders" })?.linkConnection).toBe("sales-link");
    expect(routeTable(routing, src, { schema: "sales", name: "InvoiceLines" })).toBeDefined();
    expect(routeTable(routing, src, { schema: "dbo", name: "tmp_x" })).toBeUndefined();
    expect(routeTable(routing, src, { schema: "hr", name: "People" })).toBeUndefined();
    expect(
      routeTable(routing, "/sql/servers/other/databases/sales", { schema: "dbo", name: "Orders" }),
    ).toBeUndefined();
  });

  it("allows links named by the allow-list or targeted by a rule, and nothing else", () => {
    expect(isLinkAllowed(routing, { workspace: "demo", linkConnection: "anything" })).toBe(true);
    expect(isLinkAllowed(routing, { workspace: "ws", linkConnection: "Sales-Link" })).toBe(true);
    expect(isLinkAllowed(routing, { workspace: "ws", linkConnection: "hr-link" })).toBe(false);
  });

  it("takes target defaults from the link's rule, falling back to the app's", () => {
    const fallback = { distribution: "RoundRobin", structure: "ClusteredColumnstoreIndex" } as const;
    expect(targetDefaultsFor(routing, { workspace: "ws", linkConnection: "sales-link" }, fallback)).toEqual({
      distribution: "RoundRobin",
      structure: "Heap",
    });
    expect(targetDefaultsFor(routing, { workspace: "demo", linkConnection: "x" }, fallback)).toEqual(
      fallback,
    );
  });

  it("has no structure default when neither the rule nor the fallback names one", () => {
    expect(
      targetDefaultsFor(routing, { workspace: "demo", linkConnection: "x" }, { distribution: "RoundRobin" }),
    ).toEqual({ distribution: "RoundRobin" });
  });
});
