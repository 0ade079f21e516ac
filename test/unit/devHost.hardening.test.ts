/**
 * Issue 9, dev host: hostile request shapes a real Functions host survives. Absolute-form request
 * targets, a `Host` header naming another site, a body with a byte order mark, and a subscription
 * validation event hidden in a batch. Real sockets against `serveHttpFunction` and the Event Grid
 * endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { app } from "@azure/functions";
import { installFunctionsCoreStandIn, type RegisteredFunction } from "../../dev/durable";
import { serveHttpFunction } from "../../dev/host";
import { createEventGridHandler, SUBSCRIPTION_VALIDATION_EVENT } from "../../dev/host/eventGridEndpoint";

const registry = installFunctionsCoreStandIn();

app.http("hardeningEcho", {
  route: "echo",
  methods: ["POST", "GET"],
  authLevel: "anonymous",
  handler: async (request) => ({
    status: 201,
    headers: { location: `${new URL(request.url).origin}/api/status` },
    jsonBody: { url: request.url, bytes: Buffer.from(await request.arrayBuffer()).toString("hex") },
  }),
});

const eventGridFunction = {
  metadata: { name: "OnEvent", bindings: { t: { type: "eventGridTrigger", direction: "in" } } },
  callback: () => undefined,
} as RegisteredFunction;
let invoked: Record<string, unknown>[] = [];
const eventGrid = createEventGridHandler({
  findFunction: () => eventGridFunction,
  invoke: (_registered, event) => {
    invoked.push(event);
    return Promise.resolve();
  },
  onError: () => undefined,
});

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (await eventGrid(req, res)) return;
      await serveHttpFunction(registry.get("hardeningEcho")!, req, res, { onError: () => undefined });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  invoked = [];
});

/** Sends raw HTTP/1.1 bytes (fetch cannot send an absolute-form target) and returns status, headers, body. */
function raw(request: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const [head = "", body = ""] = text.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), head, body });
    });
  });
}

describe("dev host HTTP bridge", () => {
  it("serves an absolute-form request target by its path, not 500", async () => {
    const response = await raw(
      "GET http://evil.example/api/echo?q=1 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    );
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ url: `http://127.0.0.1:${port}/api/echo?q=1` });
  });

  it("builds request.url, and so Location, from the address it listens on, never from Host or X-Forwarded-*", async () => {
    const response = await raw(
      "GET /api/echo HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n",
    );
    expect(response.status).toBe(201);
    expect(response.head).toMatch(
      new RegExp(`\\r\\nlocation: http://127\\.0\\.0\\.1:${port}/api/status\\r\\n`, "i"),
    );
  });

  it("passes the body byte for byte, a UTF-8 byte order mark included", async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}')]);
    const response = await fetch(`http://127.0.0.1:${port}/api/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(((await response.json()) as { bytes: string }).bytes).toBe(body.toString("hex"));
  });
});

describe("dev host Event Grid endpoint: the validation handshake only when the event is alone", () => {
  const validation = {
    id: "v",
    eventType: SUBSCRIPTION_VALIDATION_EVENT,
    subject: "",
    data: { validationCode: "code-1" },
    dataVersion: "1",
    eventTime: "2026-01-05T08:00:00Z",
  };
  const other = {
    id: "e1",
    eventType: "com.contoso.sql.table.created",
    subject: "dbo.T",
    data: {},
    dataVersion: "1",
  };
  const post = (events: unknown[], headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}/runtime/webhooks/eventgrid?functionName=OnEvent`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(events),
    });

  it("answers a lone validation event", async () => {
    const response = await post([validation]);
    expect(await response.json()).toEqual({ validationResponse: "code-1" });
    expect(invoked).toEqual([]);
  });

  it("dispatches a batch that hides a validation event, every event included, instead of answering it", async () => {
    const response = await post([validation, other]);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    expect(invoked.map((e) => e.id).sort()).toEqual(["e1", "v"]);
  });

  it("refuses a SubscriptionValidation delivery of several events with 400, dispatching none", async () => {
    const response = await post([validation, other], { "aeg-event-type": "SubscriptionValidation" });
    expect(response.status).toBe(400);
    expect(invoked).toEqual([]);
  });
});
