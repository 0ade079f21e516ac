import { EventGridOutcomePublisher } from "../../../shared/outcomes/eventGridOutcomePublisher";
import type { SettledTable } from "../../../shared/outcomes/outcomePublisher";
import { fakeHttpClient } from "./fakeHttpClient";

const settled = (name: string, status: SettledTable["status"], error?: string): SettledTable => ({
  workspace: "contoso-synapse",
  linkConnection: "sales-link",
  table: { schema: "dbo", name },
  requestIds: ["r1"],
  status,
  ...(error === undefined ? {} : { error }),
});

function publisher(answer?: Parameters<typeof fakeHttpClient>[0]) {
  const http = fakeHttpClient(answer);
  const eventGrid = new EventGridOutcomePublisher({
    endpoint: "https://topic.westeurope-1.eventgrid.azure.net/api/events",
    key: "topic-key",
    eventTypePrefix: "com.contoso",
    clientOptions: { httpClient: http.client },
  });
  return { http, eventGrid };
}

describe("EventGridOutcomePublisher.tablesSettled", () => {
  it("sends one poll's table outcomes as one request carrying every event", async () => {
    const { http, eventGrid } = publisher();
    await eventGrid.tablesSettled([settled("A", "Replicating"), settled("B", "Failed", "22720: no key")]);
    expect(http.sent).toHaveLength(1);
    const events = JSON.parse(http.sent[0]!.body) as { type: string; data: { status: string } }[];
    expect(events.map((e) => [e.type, e.data.status])).toEqual([
      ["com.contoso.synapselink.table.replicating", "Replicating"],
      ["com.contoso.synapselink.table.failed", "Failed"],
    ]);
  });

  it("splits a poll whose events exceed the topic's 1 MB per request", async () => {
    const { http, eventGrid } = publisher();
    const long = "x".repeat(30_000);
    await eventGrid.tablesSettled(Array.from({ length: 60 }, (_, i) => settled(`T${i}`, "Failed", long)));
    expect(http.sent.length).toBeGreaterThan(1);
    let events = 0;
    for (const request of http.sent) {
      const body = request.body;
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1_000_000);
      events += (JSON.parse(body) as unknown[]).length;
    }
    expect(events).toBe(60);
  });

  it("sends the other batches of a poll when one is refused, then reports the failure", async () => {
    let calls = 0;
    const { http, eventGrid } = publisher(() => (++calls === 1 ? 400 : 200));
    const long = "x".repeat(30_000);
    const outcomes = Array.from({ length: 60 }, (_, i) => settled(`T${i}`, "Failed", long));
    await expect(eventGrid.tablesSettled(outcomes)).rejects.toThrow();
    expect(http.sent.length).toBeGreaterThan(1);
    const delivered = http.sent.slice(1).reduce((n, r) => n + (JSON.parse(r.body) as unknown[]).length, 0);
    expect(delivered + (JSON.parse(http.sent[0]!.body) as unknown[]).length).toBe(60);
  });
});
