import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { EventGridOutcomePublisher } from "../../../shared/outcomes/eventGridOutcomePublisher";
import { fakeHttpClient } from "./fakeHttpClient";

const ENDPOINT = "https://topic.westeurope-1.eventgrid.azure.net/api/events";
const outcome = {
  workspace: "contoso-synapse",
  linkConnection: "sales-link",
  table: { schema: "dbo", name: "Orders" },
  requestIds: ["r1"],
};

function tokenCredential() {
  const scopes: (string | string[])[] = [];
  const credential: TokenCredential = {
    getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      scopes.push(scope);
      return Promise.resolve({ token: "entra-token", expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
  return { credential, scopes };
}

describe("EventGridOutcomePublisher", () => {
  it("authenticates with the token credential for Event Grid's scope when no key is configured", async () => {
    const http = fakeHttpClient();
    const { credential, scopes } = tokenCredential();
    const publisher = new EventGridOutcomePublisher({
      endpoint: ENDPOINT,
      credential: () => credential,
      eventTypePrefix: "com.contoso",
      clientOptions: { httpClient: http.client },
    });
    await publisher.tableReplicating(outcome);

    expect(http.sent).toHaveLength(1);
    expect(http.sent[0]!.headers.authorization).toBe("Bearer entra-token");
    expect(http.sent[0]!.headers["aeg-sas-key"]).toBeUndefined();
    expect(scopes.flat()).toEqual(["https://eventgrid.azure.net/.default"]);
  });

  it("uses the topic key, not the credential, when both are available", async () => {
    const http = fakeHttpClient();
    const credential = jest.fn(() => tokenCredential().credential);
    const publisher = new EventGridOutcomePublisher({
      endpoint: ENDPOINT,
      key: "topic-key",
      credential,
      eventTypePrefix: "com.contoso",
      clientOptions: { httpClient: http.client },
    });
    await publisher.tableFailed({ ...outcome, error: "boom" });

    expect(http.sent[0]!.headers["aeg-sas-key"]).toBe("topic-key");
    expect(http.sent[0]!.headers.authorization).toBeUndefined();
    expect(credential).not.toHaveBeenCalled();
  });

  it("rejects when the topic refuses the event", async () => {
    const http = fakeHttpClient(() => 400);
    const publisher = new EventGridOutcomePublisher({
      endpoint: ENDPOINT,
      key: "topic-key",
      eventTypePrefix: "com.contoso",
      clientOptions: { httpClient: http.client },
    });
    await expect(publisher.tableReplicating(outcome)).rejects.toMatchObject({ statusCode: 400 });
  });

  it("cannot be built without a key or a credential", () => {
    expect(() => new EventGridOutcomePublisher({ endpoint: ENDPOINT, eventTypePrefix: "p" })).toThrow(
      /key or a token credential/,
    );
  });
});
