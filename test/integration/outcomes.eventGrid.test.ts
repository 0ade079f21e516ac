import type { RequestView } from "../../shared/ledger/ledger";
import { EventGridOutcomePublisher } from "../../shared/outcomes/eventGridOutcomePublisher";
import { RecordingServer, type RecordedRequest } from "../support/recordingServer";

/** A local stand-in for an Event Grid topic: records every request, answers from a script. */
let server: RecordingServer;
let endpoint: string;

beforeAll(async () => {
  server = await RecordingServer.start();
  endpoint = `${server.url}/api/events`;
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
});

const KEY = "topic-key-for-tests";
const PREFIX = "com.contoso.autopilot";

function publisher(maxRetries = 2) {
  return new EventGridOutcomePublisher({
    endpoint,
    key: KEY,
    eventTypePrefix: PREFIX,
    clientOptions: { allowInsecureConnection: true, retryOptions: { maxRetries, retryDelayInMs: 10 } },
  });
}

const link = { workspace: "contoso-synapse", linkConnection: "sales-link" };
const orders = { schema: "dbo", name: "Orders" };

const completed: RequestView = {
  ...link,
  requestId: "7d1c6a0e-1b7e-4c4e-9a0e-0f7f3b2c1d00",
  action: "add",
  status: "PartiallySucceeded",
  tables: [
    { ...orders, status: "Replicating" },
    { schema: "dbo", name: "Lines", status: "Failed", error: "E42: no primary key" },
  ],
  createdAt: "2026-01-05T08:00:00.000Z",
  updatedAt: "2026-01-05T08:30:00.000Z",
  callbackUrl: "https://example.org/hooks/onboarding?sig=secret",
};

function events(r: RecordedRequest): Record<string, unknown>[] {
  return JSON.parse(r.body);
}

describe("EventGridOutcomePublisher against a local topic endpoint", () => {
  it("sends table.replicating as a CloudEvents 1.0 batch with the topic key header", async () => {
    await publisher().tableReplicating({ ...link, table: orders, requestIds: ["r1", "r2"] });

    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request!.method).toBe("POST");
    expect(request!.path).toMatch(/^\/api\/events\?api-version=/);
    expect(request!.headers["aeg-sas-key"]).toBe(KEY);
    expect(request!.headers["content-type"]).toBe("application/cloudevents-batch+json; charset=utf-8");
    const batch = events(request!);
    expect(batch).toHaveLength(1);
    expect(batch[0]).toMatchObject({
      specversion: "1.0",
      type: "com.contoso.autopilot.synapselink.table.replicating",
      source: "/synapse/workspaces/contoso-synapse/linkconnections/sales-link",
      subject: "/tables/dbo.Orders",
      datacontenttype: "application/json",
      data: { ...link, table: orders, status: "Replicating", requestIds: ["r1", "r2"] },
    });
    expect(batch[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((batch[0]!.data as Record<string, unknown>).error).toBeUndefined();
  });

  it("sends table.failed with the error, and the same id when a retried activity publishes it again", async () => {
    const outcome = { ...link, table: orders, requestIds: ["r1"], error: "E42: no primary key" };
    await publisher().tableFailed(outcome);
    await publisher().tableFailed(outcome);

    expect(server.received).toHaveLength(2);
    const [first, second] = server.received.map((r) => events(r)[0]!);
    expect(first).toMatchObject({
      type: "com.contoso.autopilot.synapselink.table.failed",
      subject: "/tables/dbo.Orders",
      data: { status: "Failed", error: "E42: no primary key", requestIds: ["r1"] },
    });
    expect(second!.id).toBe(first!.id);
  });

  it("sends request.completed with the request as data, at the completion time, without the callback URL", async () => {
    await publisher().requestCompleted(completed);

    const event = events(server.received[0]!)[0]!;
    expect(event).toMatchObject({
      specversion: "1.0",
      type: "com.contoso.autopilot.synapselink.request.completed",
      source: "/synapse/workspaces/contoso-synapse/linkconnections/sales-link",
      subject: `/requests/${completed.requestId}`,
      time: "2026-01-05T08:30:00.000Z",
    });
    expect(event.data).toEqual({
      requestId: completed.requestId,
      workspace: "contoso-synapse",
      linkConnection: "sales-link",
      action: "add",
      status: "PartiallySucceeded",
      tables: completed.tables,
      createdAt: completed.createdAt,
      updatedAt: completed.updatedAt,
    });
    expect(server.received[0]!.body).not.toContain("sig=secret");
  });

  it("waits out a 429's Retry-After and delivers the same event once more", async () => {
    server.replies = [{ status: 429, headers: { "Retry-After": "1" } }, { status: 200 }];
    await publisher().tableReplicating({ ...link, table: orders, requestIds: ["r1"] });

    expect(server.received).toHaveLength(2);
    expect(server.received[1]!.at - server.received[0]!.at).toBeGreaterThanOrEqual(900);
    expect(events(server.received[1]!)[0]!.id).toBe(events(server.received[0]!)[0]!.id);
    expect(server.received[1]!.body).toBe(server.received[0]!.body);
  });

  it("throws once the SDK's retries are spent", async () => {
    server.replies = [{ status: 500 }, { status: 500 }, { status: 500 }];
    await expect(
      publisher(1).tableReplicating({ ...link, table: orders, requestIds: ["r1"] }),
    ).rejects.toMatchObject({ statusCode: 500 });
    expect(server.received).toHaveLength(2);
  });

  it("refuses a plain-http endpoint unless the test-only client option allows it", async () => {
    const production = new EventGridOutcomePublisher({ endpoint, key: KEY, eventTypePrefix: PREFIX });
    await expect(production.tableReplicating({ ...link, table: orders, requestIds: ["r1"] })).rejects.toThrow(
      /allowInsecureConnection/,
    );
    expect(server.received).toHaveLength(0);
  });
});
