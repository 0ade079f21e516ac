/** The dev tools' shared HTTP helper (`dev/http`): listen, bodies with a limit, JSON / text / empty replies, close. */
import { Agent, request } from "node:http";
import {
  BodyTooLargeError,
  InvalidJsonError,
  originFor,
  parseJsonBody,
  readBody,
  readJsonBody,
  sendEmpty,
  sendJson,
  sendText,
  serve,
  type DevHttpServer,
} from "../../dev/http";

const servers: DevHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(handler: Parameters<typeof serve>[0]): Promise<DevHttpServer> {
  const server = await serve(handler);
  servers.push(server);
  return server;
}

describe("dev/http", () => {
  it("listens on a free loopback port and writes JSON, text and empty answers", async () => {
    const server = await start((req, res) => {
      if (req.url === "/json") sendJson(res, 201, { a: "ü" }, { "x-extra": "1" });
      else if (req.url === "/text") sendText(res, 404, "nope", { Allow: "GET" });
      else sendEmpty(res, 204);
    });
    expect(server.port).toBeGreaterThan(0);
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);

    const json = await fetch(`${server.origin}/json`);
    expect(json.status).toBe(201);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(json.headers.get("content-length")).toBe(String(Buffer.byteLength('{"a":"ü"}')));
    expect(json.headers.get("x-extra")).toBe("1");
    expect(await json.json()).toEqual({ a: "ü" });

    const text = await fetch(`${server.origin}/text`);
    expect([text.status, text.headers.get("content-type"), text.headers.get("allow")]).toEqual([
      404,
      "text/plain; charset=utf-8",
      "GET",
    ]);
    expect(await text.text()).toBe("nope");

    const empty = await fetch(`${server.origin}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.headers.get("content-type")).toBeNull();
  });

  it("writes nothing once the headers went out", async () => {
    const server = await start((_req, res) => {
      sendJson(res, 200, { first: true });
      sendText(res, 500, "second");
    });
    const res = await fetch(server.origin);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ first: true });
  });

  it("reads JSON bodies: blank is undefined, malformed throws InvalidJsonError", async () => {
    const seen: unknown[] = [];
    const server = await start((req, res) => {
      readJsonBody(req).then(
        (body) => {
          seen.push(body);
          sendEmpty(res, 200);
        },
        (error: unknown) => {
          seen.push(error);
          sendEmpty(res, 400);
        },
      );
    });
    for (const body of ['{"n":1}', "  ", "{oops"]) await fetch(server.origin, { method: "POST", body });
    expect(seen[0]).toEqual({ n: 1 });
    expect(seen[1]).toBeUndefined();
    expect(seen[2]).toBeInstanceOf(InvalidJsonError);
    expect(parseJsonBody(Buffer.from(" [1] "))).toEqual([1]);
  });

  it("rejects a body over the limit with BodyTooLargeError and can still answer 413", async () => {
    const server = await start((req, res) => {
      readBody(req, 10).then(
        (body) => {
          sendText(res, 200, `${body.length}`);
        },
        (error: unknown) => {
          if (error instanceof BodyTooLargeError) sendText(res, error.status, error.message);
          else sendEmpty(res, 500);
        },
      );
    });
    const small = await fetch(server.origin, { method: "POST", body: "0123456789" });
    expect(await small.text()).toBe("10");
    const large = await fetch(server.origin, { method: "POST", body: "x".repeat(100_000) });
    expect(large.status).toBe(413);
    expect(await large.text()).toBe("The request body is larger than 10 bytes.");
  });

  it("closes with a keep-alive connection open, and names the hint when the port is taken", async () => {
    const server = await serve((_req, res) => {
      sendEmpty(res, 200);
    });
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve) => {
      request(server.origin, { agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      }).end();
    });
    await expect(
      serve(() => undefined, { port: server.port, portInUseHint: "pick another" }),
    ).rejects.toThrow(`port ${server.port} on 127.0.0.1 is already in use (pick another)`);
    await expect(serve(() => undefined, { port: server.port })).rejects.toMatchObject({ code: "EADDRINUSE" });
    await server.close(); // would wait for the agent's idle socket without closeAllConnections
    agent.destroy();
  });

  it("builds the origin a local client uses", () => {
    expect(originFor("0.0.0.0", 80)).toBe("http://127.0.0.1:80");
    expect(originFor("::", 81)).toBe("http://127.0.0.1:81");
    expect(originFor("::1", 82)).toBe("http://[::1]:82");
    expect(originFor("localhost", 83)).toBe("http://localhost:83");
  });
});
