import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RegisteredFunction } from "../../dev/durable";
import { createEventGridHandler } from "../../dev/host/eventGridEndpoint";

const registered = {
  metadata: { name: "OnEvent", bindings: { t: { type: "eventGridTrigger", direction: "in" } } },
  callback: () => undefined,
} as RegisteredFunction;

let server: Server;
let url: string;
let invoked: Record<string, unknown>[];
let behaviour: (event: Record<string, unknown>) => Promise<unknown>;

beforeAll(async () => {
  const handler = createEventGridHandler({
    findFunction: (name) => (name.toLowerCase() === "onevent" ? registered : undefined),
    invoke: (_registered, event) => {
      invoked.push(event);
      return behaviour(event);
    },
    onError: () => {},
  });
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(418);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=onevent`;
});

beforeEach(() => {
  invoked = [];
  behaviour = () => Promise.resolve();
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

describe("Event Grid webhook endpoint", () => {
  it("leaves other paths to the next handler", async () => {
    expect((await fetch(url.replace("eventgrid", "other"))).status).toBe(418);
  });

  it("answers 404 for an unknown or missing functionName", async () => {
    expect((await fetch(url.replace("onevent", "nobody"), { method: "POST", body: "[]" })).status).toBe(404);
    expect(
      (await fetch(url.replace("?functionName=onevent", ""), { method: "POST", body: "[]" })).status,
    ).toBe(404);
  });

  it("dispatches a single object as one event, with the function name matched case-insensitively", async () => {
    const response = await post(JSON.stringify({ id: "1", eventType: "T", data: {} }));
    expect(response.status).toBe(200);
    expect(invoked).toEqual([{ id: "1", eventType: "T", data: {} }]);
  });

  it("invokes the events of an array in parallel", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    behaviour = async () => {
      if (++started === 2) release();
      await gate; // only resolves when both invocations are running
    };
    const response = await post(JSON.stringify([{ id: "1" }, { id: "2" }]));
    expect(response.status).toBe(200);
    expect(invoked.map((e) => e.id)).toEqual(["1", "2"]);
  });

  it("answers 500 when any invocation fails", async () => {
    behaviour = (event) => (event.id === "2" ? Promise.reject(new Error("nope")) : Promise.resolve());
    const response = await post(JSON.stringify([{ id: "1" }, { id: "2" }]));
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("1 of 2 invocation(s) of 'OnEvent' failed: nope");
  });

  it("answers the validation handshake announced by the aeg-event-type header", async () => {
    const response = await post(JSON.stringify([{ id: "v", data: { validationCode: "code-1" } }]), {
      "aeg-event-type": "SubscriptionValidation",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: "code-1" });
    expect(invoked).toEqual([]);
  });

  it("answers the handshake for a validation event without the header, also with data as a JSON string", async () => {
    const response = await post(
      JSON.stringify({
        id: "v",
        eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
        data: JSON.stringify({ validationCode: "code-2" }),
      }),
    );
    expect(await response.json()).toEqual({ validationResponse: "code-2" });
    expect(invoked).toEqual([]);
  });

  it("answers 400 for a validation request without a code", async () => {
    const response = await post("[{}]", { "aeg-event-type": "SubscriptionValidation" });
    expect(response.status).toBe(400);
  });

  it("answers the CloudEvents OPTIONS handshake, and 400 without WebHook-Request-Origin", async () => {
    const ok = await fetch(url, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    expect(ok.headers.get("webhook-allowed-rate")).toBe("*");
    expect((await fetch(url, { method: "OPTIONS" })).status).toBe(400);
  });

  it("answers 400 for malformed JSON or events that are not objects, 405 for GET, 202 for Unsubscribe", async () => {
    expect((await post("{")).status).toBe(400);
    expect((await post("[1, 2]")).status).toBe(400);
    expect((await fetch(url)).status).toBe(405);
    expect((await post("[]", { "aeg-event-type": "Unsubscribe" })).status).toBe(202);
    expect(invoked).toEqual([]);
  });
});
