import { parseCallbackAllowList } from "../../shared/net/addressPolicy";
import { loadConfig } from "../../shared/config";
import { createOutcomePublisher } from "../../shared/outcomes/createOutcomePublisher";
import { decodeSecret, verify } from "../../shared/webhooks/standardWebhooks";
import { claimPendingRequests } from "../../shared/worker/claimPendingRequests";
import { completeRequests } from "../../shared/worker/completeRequests";
import { monitorTables } from "../../shared/worker/monitorTables";
import { sendEdits } from "../../shared/worker/sendEdits";
import { loggerInto } from "../support/loggerInto";
import { RecordingServer } from "../support/recordingServer";
import { link, makeDeps, NOW, request } from "../unit/worker/workerTestKit";

/**
 * The worker's own use cases (monitorTables, completeRequests) calling the publisher the app builds
 * from configuration, against one local server that plays both the Event Grid topic and the receiver
 * of the request's callback.
 */
let server: RecordingServer;
let base: string;

beforeAll(async () => {
  server = await RecordingServer.start();
  base = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
});

const SECRET = `whsec_${Buffer.from("worker-callback-secret").toString("base64")}`;

function outcomes(logs: string[]) {
  const config = loadConfig({
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    SYNAPSE_WORKSPACES: "demo",
    WEBHOOK_SECRET: SECRET,
    EVENTGRID_TOPIC_ENDPOINT: "https://topic.example/api/events",
    EVENTGRID_TOPIC_KEY: "topic-key",
  });
  // Configuration accepts https topics only; the local test topic is plain http (test-only client options below).
  config.outcomes.eventGridTopicEndpoint = `${base}/api/events`;
  return createOutcomePublisher(
    config,
    () => {
      throw new Error("the topic key is configured; no token credential expected");
    },
    loggerInto(logs),
    {
      eventGridClientOptions: { allowInsecureConnection: true },
      // The receiver is on loopback, which callbacks refuse unless allow-listed (CALLBACK_ALLOWED_HOSTS).
      callback: {
        testOnly: { allowInsecureConnection: true },
        allowList: parseCallbackAllowList("127.0.0.1").allowList,
      },
    },
  );
}

const later = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
const events = () =>
  server.received
    .filter((r) => r.path.startsWith("/api/events"))
    .flatMap((r) => JSON.parse(r.body) as Record<string, unknown>[]);

describe("outcomes published by the link worker's use cases", () => {
  it("monitorTables publishes table.replicating once when a table reaches Replicating", async () => {
    const logs: string[] = [];
    const kit = makeDeps();
    kit.deps.outcomes = outcomes(logs);
    const fakeLink = kit.synapse.addLink("demo-link");
    await kit.ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await claimPendingRequests(kit.deps, link, NOW);
    await sendEdits(kit.deps, link, NOW);
    fakeLink.states = [{ id: kit.synapse.edits[0]![0]!.id, status: "Replicating", rawStatus: "Replicating" }];

    await monitorTables(kit.deps, link, later(1));
    await monitorTables(kit.deps, link, later(2));

    expect(events()).toEqual([
      expect.objectContaining({
        type: "com.synapselinkautopilot.synapselink.table.replicating",
        source: "/synapse/workspaces/demo/linkconnections/demo-link",
        subject: "/tables/dbo.A",
        data: { ...link, table: { schema: "dbo", name: "A" }, status: "Replicating", requestIds: ["r1"] },
      }),
    ]);
    expect(logs).toEqual([]);
  });

  it("completeRequests publishes request.completed and calls the callback once, with the final status", async () => {
    const kit = makeDeps();
    await kit.ledger.recordRequest(
      { ...request("r7", ["dbo.A", "dbo.B"]), callbackUrl: `${base}/hooks/done` },
      NOW,
    );
    await claimPendingRequests(kit.deps, link, NOW);
    const a = kit.ledger.record(link, "dbo.A")!;
    const b = kit.ledger.record(link, "dbo.B")!;
    await kit.ledger.saveLinkTables(link, [
      { ...a, status: "Replicating" },
      { ...b, status: "Failed", error: "E1: boom" },
    ]);
    const logs: string[] = [];
    const deps = { ...kit.deps, outcomes: outcomes(logs) };

    const done = later(30);
    expect(await completeRequests(deps, link, done)).toEqual({
      completedRequestIds: ["r7"],
      openRequests: 0,
    });
    await completeRequests(deps, link, later(31));

    const [event] = events();
    expect(events()).toHaveLength(1);
    expect(event).toMatchObject({
      type: "com.synapselinkautopilot.synapselink.request.completed",
      subject: "/requests/r7",
      time: done,
      data: { requestId: "r7", status: "PartiallySucceeded", updatedAt: done },
    });
    const callbacks = server.received.filter((r) => r.path === "/hooks/done");
    expect(callbacks).toHaveLength(1);
    expect(JSON.parse(callbacks[0]!.body)).toEqual(event!.data);
    const check = verify(
      [decodeSecret(SECRET, 0)],
      {
        id: callbacks[0]!.headers["webhook-id"] as string,
        timestamp: callbacks[0]!.headers["webhook-timestamp"] as string,
        signature: callbacks[0]!.headers["webhook-signature"] as string,
      },
      callbacks[0]!.body,
      Math.floor(Date.now() / 1000),
    );
    expect(check).toEqual({ ok: true, id: "r7" });
    expect(logs).toEqual([]);
  });
});
