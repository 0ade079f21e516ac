import type { RequestView } from "../../../shared/ledger/ledger";
import {
  completedRequestData,
  eventSource,
  requestCompletedEvent,
  tableOutcomeEvent,
} from "../../../shared/outcomes/outcomeEvents";

const link = { workspace: "contoso-synapse", linkConnection: "sales-link" };
const outcome = { ...link, table: { schema: "dbo", name: "Orders" }, requestIds: ["r2", "r1"] };

const request: RequestView = {
  ...link,
  requestId: "r1",
  action: "reAdd",
  status: "Succeeded",
  tables: [{ schema: "dbo", name: "Orders", status: "Replicating" }],
  createdAt: "2026-01-05T08:00:00.000Z",
  updatedAt: "2026-01-05T08:30:00.000Z",
  callbackUrl: "https://example.org/hook?sig=token",
};

describe("outcome events", () => {
  it("prefixes the three event types with the configured reverse-DNS name", () => {
    expect(tableOutcomeEvent("com.contoso", "tableReplicating", outcome).type).toBe(
      "com.contoso.synapselink.table.replicating",
    );
    expect(tableOutcomeEvent("com.contoso", "tableFailed", outcome).type).toBe(
      "com.contoso.synapselink.table.failed",
    );
    expect(requestCompletedEvent("com.contoso", request).type).toBe(
      "com.contoso.synapselink.request.completed",
    );
  });

  it("names the link as source and the table or request as subject", () => {
    const table = tableOutcomeEvent("p", "tableReplicating", outcome);
    expect(table.source).toBe("/synapse/workspaces/contoso-synapse/linkconnections/sales-link");
    expect(table.subject).toBe("/tables/dbo.Orders");
    expect(requestCompletedEvent("p", request).subject).toBe("/requests/r1");
  });

  it("URI-encodes the source's segments", () => {
    expect(eventSource({ workspace: "ws", linkConnection: "link one/two" })).toBe(
      "/synapse/workspaces/ws/linkconnections/link%20one%2Ftwo",
    );
  });

  it("derives the same id from the same outcome, ignoring table-name case and request order", () => {
    const a = tableOutcomeEvent("p", "tableReplicating", outcome);
    const b = tableOutcomeEvent("p", "tableReplicating", {
      ...outcome,
      table: { schema: "DBO", name: "orders" },
      requestIds: ["r1", "r2"],
    });
    expect(b.id).toBe(a.id);
    expect(requestCompletedEvent("p", request).id).toBe(requestCompletedEvent("p", { ...request }).id);
  });

  it("gives a different id to a different type, status, table, link or set of requests", () => {
    const ids = new Set([
      tableOutcomeEvent("p", "tableReplicating", outcome).id,
      tableOutcomeEvent("p", "tableFailed", outcome).id,
      tableOutcomeEvent("q", "tableReplicating", outcome).id,
      tableOutcomeEvent("p", "tableReplicating", { ...outcome, table: { schema: "dbo", name: "Lines" } }).id,
      tableOutcomeEvent("p", "tableReplicating", { ...outcome, linkConnection: "other-link" }).id,
      tableOutcomeEvent("p", "tableReplicating", { ...outcome, requestIds: ["r3"] }).id,
      requestCompletedEvent("p", request).id,
      requestCompletedEvent("p", { ...request, status: "Failed" }).id,
      requestCompletedEvent("p", { ...request, requestId: "r9" }).id,
    ]);
    expect(ids.size).toBe(9);
  });

  it("carries the table, status and requests; the error only on failed", () => {
    expect(tableOutcomeEvent("p", "tableReplicating", { ...outcome, error: "stale" }).data).toEqual({
      ...link,
      table: { schema: "dbo", name: "Orders" },
      status: "Replicating",
      requestIds: ["r2", "r1"],
    });
    expect(tableOutcomeEvent("p", "tableFailed", { ...outcome, error: "E1: boom" }).data).toMatchObject({
      status: "Failed",
      error: "E1: boom",
    });
  });

  it("carries the request as GET shows it plus its action, never the callback URL", () => {
    const data = completedRequestData(request);
    expect(data).toEqual({
      requestId: "r1",
      ...link,
      action: "reAdd",
      status: "Succeeded",
      tables: [{ schema: "dbo", name: "Orders", status: "Replicating" }],
      createdAt: "2026-01-05T08:00:00.000Z",
      updatedAt: "2026-01-05T08:30:00.000Z",
    });
    expect(JSON.stringify(requestCompletedEvent("p", request))).not.toContain("sig=token");
  });

  it("stamps the completion event with the request's completion time", () => {
    expect(requestCompletedEvent("p", request).time?.toISOString()).toBe("2026-01-05T08:30:00.000Z");
    expect(requestCompletedEvent("p", { ...request, updatedAt: "not a date" }).time).toBeUndefined();
  });
});
