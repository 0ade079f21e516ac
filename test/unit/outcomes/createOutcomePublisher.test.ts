import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { loadConfig } from "../../../shared/config";
import type { RequestView } from "../../../shared/ledger/ledger";
import { createOutcomePublisher } from "../../../shared/outcomes/createOutcomePublisher";
import { fakeHttpClient, type SentRequest } from "./fakeHttpClient";
import { loggerInto } from "../../support/loggerInto";
import { succeededRequest } from "../../support/requestViews";

const TOPIC = "https://topic.westeurope-1.eventgrid.azure.net/api/events";
const HOOK = "https://hooks.example.org/done";

function config(env: Record<string, string> = {}) {
  return loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true", SYNAPSE_WORKSPACES: "ws", ...env });
}

const outcome = {
  workspace: "ws",
  linkConnection: "link",
  table: { schema: "dbo", name: "A" },
  requestIds: ["r1"],
};

function completed(callbackUrl?: string): RequestView {
  const tables = [{ schema: "dbo", name: "A", status: "Replicating" as const }];
  return succeededRequest({ workspace: "ws", linkConnection: "link", requestId: "r1", tables }, callbackUrl);
}

const noCredential = jest.fn((): TokenCredential => {
  throw new Error("unexpected");
});

function build(env: Record<string, string>, answer?: (r: SentRequest) => number | Error) {
  const http = fakeHttpClient(answer);
  const logs: string[] = [];
  const publisher = createOutcomePublisher(config(env), noCredential, loggerInto(logs), {
    eventGridClientOptions: { httpClient: http.client, retryOptions: { maxRetries: 0 } },
    callback: { testOnly: { httpClient: http.client } },
  });
  return { publisher, sent: http.sent, logs };
}

describe("createOutcomePublisher", () => {
  it("publishes nothing for table outcomes without an Event Grid topic", async () => {
    const { publisher, sent } = build({});
    await publisher.tableReplicating(outcome);
    await publisher.tableFailed({ ...outcome, error: "boom" });
    expect(sent).toHaveLength(0);
  });

  it("still calls back on completion without an Event Grid topic", async () => {
    const { publisher, sent } = build({});
    await publisher.requestCompleted(completed(HOOK));
    expect(sent.map((s) => s.url)).toEqual([HOOK]);
  });

  it("sends table outcomes to the configured topic with its key", async () => {
    const { publisher, sent } = build({ EVENTGRID_TOPIC_ENDPOINT: TOPIC, EVENTGRID_TOPIC_KEY: "k" });
    await publisher.tableFailed({ ...outcome, error: "boom" });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toMatch(/^https:\/\/topic\.westeurope-1\.eventgrid\.azure\.net\/api\/events\?/);
    expect(sent[0]!.headers["aeg-sas-key"]).toBe("k");
    expect(JSON.parse(sent[0]!.body)[0].type).toBe("com.synapselinkautopilot.synapselink.table.failed");
  });

  it("uses the configured event type prefix", async () => {
    const { publisher, sent } = build({
      EVENTGRID_TOPIC_ENDPOINT: TOPIC,
      EVENTGRID_TOPIC_KEY: "k",
      OUTCOME_EVENT_TYPE_PREFIX: "com.contoso.data",
    });
    await publisher.tableReplicating(outcome);
    expect(JSON.parse(sent[0]!.body)[0].type).toBe("com.contoso.data.synapselink.table.replicating");
  });

  it("authenticates with the app's credential when no topic key is configured", async () => {
    const http = fakeHttpClient();
    const credential: TokenCredential = {
      getToken: (): Promise<AccessToken> =>
        Promise.resolve({ token: "mi-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const publisher = createOutcomePublisher(
      config({ EVENTGRID_TOPIC_ENDPOINT: TOPIC }),
      () => credential,
      undefined,
      {
        eventGridClientOptions: { httpClient: http.client },
      },
    );
    await publisher.tableReplicating(outcome);
    expect(http.sent[0]!.headers.authorization).toBe("Bearer mi-token");
  });

  it("logs a failed Event Grid publish instead of throwing, and still calls back", async () => {
    const { publisher, sent, logs } = build(
      { EVENTGRID_TOPIC_ENDPOINT: TOPIC, EVENTGRID_TOPIC_KEY: "k" },
      (r) => (r.url.startsWith(TOPIC) ? 403 : 200),
    );
    await expect(publisher.requestCompleted(completed(HOOK))).resolves.toBeUndefined();
    await expect(publisher.tableReplicating(outcome)).resolves.toBeUndefined();

    expect(sent.filter((s) => s.url === HOOK)).toHaveLength(1);
    expect(logs).toEqual([
      expect.stringMatching(/request\.completed for request r1 was not published to Event Grid: HTTP 403/),
      expect.stringMatching(
        /table\.replicating for ws\/link dbo\.A was not published to Event Grid: HTTP 403/,
      ),
    ]);
  });

  it("sends a poll's completed requests to Event Grid in one request, and calls each request back", async () => {
    const { publisher, sent } = build({ EVENTGRID_TOPIC_ENDPOINT: TOPIC, EVENTGRID_TOPIC_KEY: "k" });
    const requests = ["r1", "r2", "r3"].map((requestId) => ({
      ...completed(`${HOOK}/${requestId}`),
      requestId,
    }));
    await publisher.requestsCompleted?.(requests);

    const toTopic = sent.filter((s) => s.url.startsWith(TOPIC));
    expect(toTopic).toHaveLength(1);
    const events = JSON.parse(toTopic[0]!.body) as { type: string; data: { requestId: string } }[];
    expect(events.map((e) => e.data.requestId)).toEqual(["r1", "r2", "r3"]);
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(["com.synapselinkautopilot.synapselink.request.completed"]),
    );
    expect(
      sent
        .filter((s) => s.url.startsWith(HOOK))
        .map((s) => s.url)
        .sort(),
    ).toEqual([`${HOOK}/r1`, `${HOOK}/r2`, `${HOOK}/r3`]);
  });

  it("sends only the event, no callback, for a request without callbackUrl", async () => {
    const { publisher, sent, logs } = build({ EVENTGRID_TOPIC_ENDPOINT: TOPIC, EVENTGRID_TOPIC_KEY: "k" });
    await publisher.requestCompleted(completed());
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url.startsWith(TOPIC)).toBe(true);
    expect(logs).toEqual([]);
  });
});
