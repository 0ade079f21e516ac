import {
  attachTable,
  detachTable,
  parseQualifiedTable,
  type TableWindowInput,
} from "../../../shared/intake/schemaChangeWindow";
import { FakeSynapseLinkClient } from "../../support/fakeSynapseLinkClient";
import { InMemoryLedger } from "../../support/inMemoryLedger";

const link = { workspace: "demo", linkConnection: "demo-link" };

/** The detach or attach use case, as the route names it. */
function tableWindow(
  deps: Parameters<typeof detachTable>[0],
  { operation, ...input }: TableWindowInput & { operation: "detach" | "attach" },
) {
  return (operation === "detach" ? detachTable : attachTable)(deps, input);
}
const routing = { rules: [], allowedLinks: [{ workspace: "demo", linkConnection: "*" }] };

function kit() {
  const ledger = new InMemoryLedger();
  const synapse = new FakeSynapseLinkClient();
  synapse.addLink("demo-link", "Running", [{ schema: "dbo", name: "Orders" }]);
  const deps = { ledger, synapse, routing, workspaces: ["demo"] };
  const call = (table: string, operation: "detach" | "attach") =>
    tableWindow(deps, {
      link,
      table,
      operation,
      origin: "https://app",
      now: new Date("2026-01-05T08:00:00Z"),
    });
  return { ledger, call };
}

describe("schema-change window", () => {
  it("splits schema and table at the first dot", () => {
    expect(parseQualifiedTable("dbo.Orders.2024")).toEqual({ schema: "dbo", name: "Orders.2024" });
    expect(parseQualifiedTable("Orders")).toBeUndefined();
    expect(parseQualifiedTable(".Orders")).toBeUndefined();
  });

  it("detaches a linked table: a remove message, and the table marked detached", async () => {
    const { ledger, call } = kit();
    const result = await call("dbo.Orders", "detach");
    expect(result).toMatchObject({
      kind: "accepted",
      message: { action: "remove", tables: [{ schema: "dbo", name: "Orders" }] },
    });
    expect(await ledger.isDetached(link, { schema: "dbo", name: "Orders" })).toBe(true);
  });

  it("refuses to detach a table that is not in the link", async () => {
    expect(await kit().call("dbo.Customers", "detach")).toMatchObject({
      refusal: { kind: "tableNotLinked", table: { schema: "dbo", name: "Customers" } },
    });
  });

  it("attaches a detached table with a readd message", async () => {
    const { call } = kit();
    await call("dbo.Orders", "detach");
    expect(await call("dbo.Orders", "attach")).toMatchObject({
      kind: "accepted",
      message: { action: "reAdd" },
    });
  });

  it("refuses to attach a table that was never detached", async () => {
    expect(await kit().call("dbo.Orders", "attach")).toMatchObject({ refusal: { kind: "tableNotDetached" } });
  });

  it("refuses to attach to a link that does not exist", async () => {
    const result = await tableWindow(
      { ledger: new InMemoryLedger(), synapse: new FakeSynapseLinkClient(), routing, workspaces: ["demo"] },
      { link, table: "dbo.Orders", operation: "attach", origin: "https://app", now: new Date() },
    );
    expect(result).toMatchObject({ refusal: { kind: "linkNotFound", link } });
  });

  it("refuses to detach from a link that does not exist", async () => {
    const ledger = new InMemoryLedger();
    const synapse = new FakeSynapseLinkClient();
    const result = await tableWindow(
      { ledger, synapse, routing, workspaces: ["demo"] },
      { link, table: "dbo.Orders", operation: "detach", origin: "https://app", now: new Date() },
    );
    expect(result).toMatchObject({ refusal: { kind: "linkNotFound", link } });
  });

  it("refuses invalid route parameters before a link the configuration does not allow", async () => {
    const call = (workspace: string, workspaces: string[]) =>
      tableWindow(
        { ledger: new InMemoryLedger(), synapse: new FakeSynapseLinkClient(), routing, workspaces },
        {
          link: { workspace, linkConnection: "demo-link" },
          table: "dbo.Orders",
          operation: "detach",
          origin: "https://app",
          now: new Date(),
        },
      );
    expect(await call("Not A Workspace", ["prod"])).toMatchObject({
      refusal: { kind: "invalidParameters", errors: [{ pointer: "workspace" }] },
    });
    expect(await call("demo", ["prod"])).toMatchObject({
      refusal: { kind: "linkNotAllowed", link: { workspace: "demo" }, namedIn: "route" },
    });
  });

  it("names the table parameter when it is not schema.table", async () => {
    expect(await kit().call("Orders", "detach")).toMatchObject({ refusal: { kind: "tableNotQualified" } });
  });
});
