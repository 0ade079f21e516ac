import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import { consoleLogger } from "../../shared/logger";
import { errorCodeOf, remediationAttemptsIn } from "../../shared/telemetry/errorCode";
import {
  addLogFields,
  currentLogFields,
  logFieldsFromInput,
  withLogFields,
} from "../../shared/telemetry/logFields";

const link = { workspace: "contoso-ws", linkConnection: "sales-link" };
const instanceId = linkWorkerInstanceId(link);

describe("logFieldsFromInput", () => {
  it.each([
    [
      "a link-worker activity input",
      { link, now: "2026-01-01T00:00:00Z" },
      undefined,
      { ...link, instanceId },
    ],
    [
      "the orchestration trigger",
      { instanceId: "custom-id", input: { link, settings: {} } },
      undefined,
      { ...link, instanceId: "custom-id" },
    ],
    [
      "a one-table queue message",
      { requestId: "r1", ...link, tables: [{ schema: "dbo", name: "Orders" }] },
      undefined,
      { requestId: "r1", ...link, instanceId, table: "dbo.Orders" },
    ],
    [
      "a two-table queue message (no single table)",
      {
        requestId: "r2",
        ...link,
        tables: [
          { schema: "dbo", name: "A" },
          { schema: "dbo", name: "B" },
        ],
      },
      undefined,
      { requestId: "r2", ...link, instanceId },
    ],
    [
      "a schema-change event",
      { id: "e1", data: { server: "s", database: "d", schema: "sales", table: "Invoices" } },
      undefined,
      { table: "sales.Invoices" },
    ],
    ["a status route", undefined, { requestId: "r3" }, { requestId: "r3" }],
    [
      "a table route",
      undefined,
      { ...link, table: "dbo.Orders" },
      { ...link, instanceId, table: "dbo.Orders" },
    ],
    ["something unknown", "plain text", undefined, {}],
    ["a workspace without a link", { workspace: "contoso-ws" }, undefined, {}],
  ])("reads %s", (_name, input, params, expected) => {
    expect(logFieldsFromInput(input, params)).toEqual(expected);
  });
});

describe("log field scope", () => {
  it("keeps concurrent invocations apart and lets a later line learn the request id", async () => {
    const seen: Record<string, unknown>[] = [];
    await Promise.all([
      withLogFields({ workspace: "a", linkConnection: "l" }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        addLogFields({ requestId: "r-a" });
        seen.push({ ...currentLogFields() });
      }),
      withLogFields({ workspace: "b" }, () => {
        seen.push({ ...currentLogFields() });
        return Promise.resolve();
      }),
    ]);
    expect(seen).toEqual([{ workspace: "b" }, { workspace: "a", linkConnection: "l", requestId: "r-a" }]);
    expect(currentLogFields()).toEqual({});
  });

  it("prints the fields in scope after the text on the console outside an invocation", () => {
    const info = jest.spyOn(console, "info").mockImplementation(() => undefined);
    try {
      withLogFields({ requestId: "r9" }, () => {
        consoleLogger.info("hello", { table: "dbo.T" });
      });
      expect(info).toHaveBeenCalledWith("hello", JSON.stringify({ requestId: "r9", table: "dbo.T" }));
    } finally {
      info.mockRestore();
    }
  });
});

describe("errorCodeOf", () => {
  it.each([
    [
      "dbo.T did not reach Replicating within 1440 minutes (last status Snapshotting; TABLE_DEADLINE_MINUTES)",
      "Deadline",
    ],
    [
      "dbo.T is already in link connection ws/other; a table can belong to one link connection only",
      "InAnotherLink",
    ],
    ["Link connection ws/l already holds 5000 tables; the limit is 5000 (MAX_TABLES_PER_LINK)", "TableLimit"],
    ["Table dbo.AuditLog has no primary key; add one", "NoPrimaryKey"],
    ["The target table is not empty and the link uses FailOnNonEmptyTable", "NonEmptyTarget"],
    ["Msg 22739: change feed cannot be enabled (after 2 remove-and-re-add attempts)", "Sql22739"],
    ["SourceTableInAnotherLinkConnection: conflict", "SourceTableInAnotherLinkConnection"],
    [
      "The link did not apply the removal of dbo.CustomerOrderLines within 60 minutes (TABLE_DEADLINE_MINUTES)",
      "Deadline",
    ],
    [
      "dbo.CustomerOrderLines could not be sent to link connection ws/l within 60 minutes (TABLE_DEADLINE_MINUTES): link is Paused",
      "Deadline",
    ],
    [
      "SQL pool pausedpool stayed unavailable (Paused) for 10 minutes (SQL_POOL_DEADLINE_MINUTES); resume it",
      "SqlPoolUnavailable",
    ],
    [
      "dbo.CustomerOrderLines is still in link connection ws/l (entries second) after its removal, and the service refused to remove it: LinkTableNotFound",
      "RemovalRefused",
    ],
    [
      "Link connection ws/l does not exist: it was deleted while its tables were being onboarded",
      "LinkNotFound",
    ],
    [
      "Link connection ws/SalesToWarehouse is Stopped: tables can only be added to a running link. Start it, or set AUTO_START_LINKS=true to let the app do it.",
      "LinkNotRunning",
    ],
    [
      "workspace old-ws is no longer configured (SYNAPSE_WORKSPACES: demo), so link connection old-ws/SalesToWarehouse cannot be reached",
      "WorkspaceNotConfigured",
    ],
    [
      "Enabling Change Feed on a table without primary key is not allowed. (the source table has no primary key (SQL error 22720): add a primary key to it, then onboard it again)",
      "NoPrimaryKey",
    ],
    [
      "Msg 22721 (the source table's primary key uses a column type change feed cannot capture (user-defined types, geometry, geography, hierarchyid, sql_variant or timestamp; SQL error 22721): key the table on columns of other types)",
      "UnsupportedColumnType",
    ],
    [
      "Msg 22719 (the source table's primary key is on a computed column (SQL error 22719): key the table on stored columns)",
      "Sql22719",
    ],
    [
      "The number of tables enabled for a Change Feed table group can not exceed 5000. (the link connection holds as many tables as a table group may (5,000; SQL error 22753))",
      "TableLimit",
    ],
    ["something went wrong", "Other"],
  ])("classifies %j as %s", (error, code) => {
    expect(errorCodeOf(error)).toBe(code);
  });

  it("reads the remediation attempts a failure reports", () => {
    expect(remediationAttemptsIn("boom (after 2 remove-and-re-add attempts)")).toBe(2);
    expect(remediationAttemptsIn("boom")).toBeUndefined();
  });
});
