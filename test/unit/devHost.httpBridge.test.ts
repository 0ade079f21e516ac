import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpResponse, app, type HttpRequest } from "@azure/functions";
import { installFunctionsCoreStandIn } from "../../dev/durable";
import {
  matchHttpRoute,
  readRequestBody,
  serveHttpFunction,
  toHttpRequest,
  writeHttpResponse,
} from "../../dev/host";

const registry = installFunctionsCoreStandIn();

app.http("bridgeEcho", {
  route: "echo/{id:int}",
  methods: ["GET", "POST"],
  authLevel: "anonymous",
  handler: async (request, context) => ({
    status: 201,
    jsonBody: {
      method: request.method,
      url: request.url,
      id: request.params.id,
      q: request.query.get("q"),
      header: request.headers.get("x-test"),
      body: await request.text(),
      triggerMetadata: context.triggerMetadata ?? "none",
    },
  }),
});
app.http("bridgeThrows", {
  handler: () => {
    throw new Error("boom");
  },
});

let server: Server | undefined;
let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = () => Promise.resolve();

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(599).end(String(error));
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) =>
    server!.close(() => {
      resolve();
    }),
  );
});

function url(path: string): string {
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}${path}`;
}

/** Serves `value` through writeHttpResponse and fetches it. */
async function respondWith(value: unknown): Promise<Response> {
  handle = async (req, res) => {
    await readRequestBody(req);
    await writeHttpResponse(res, value);
  };
  return fetch(url("/"));
}

/** Captures what toHttpRequest builds for the next request. */
async function captureRequest(path: string, init: RequestInit, params?: Record<string, string>) {
  let captured: HttpRequest | undefined;
  handle = async (req, res) => {
    captured = toHttpRequest(req, await readRequestBody(req), params === undefined ? {} : { params });
    res.writeHead(200).end();
  };
  await fetch(url(path), init);
  return captured!;
}

describe("dev host HTTP bridge: IncomingMessage → HttpRequest", () => {
  it("carries method, absolute url, query, headers, route params and a JSON body", async () => {
    const request = await captureRequest(
      "/api/items/7?q=hello&q2=x",
      { method: "POST", headers: { "x-test": "yes", "content-type": "application/json" }, body: '{"a":1}' },
      { id: "7" },
    );
    expect(request.method).toBe("POST");
    expect(request.url).toBe(url("/api/items/7?q=hello&q2=x"));
    expect(request.query.get("q")).toBe("hello");
    expect(request.headers.get("x-test")).toBe("yes");
    expect(request.params).toEqual({ id: "7" });
    expect(await request.json()).toEqual({ a: 1 });
  });

  it("keeps a binary body byte for byte", async () => {
    const bytes = Uint8Array.from([0, 255, 128, 10, 0xc3]);
    const request = await captureRequest("/bin", { method: "PUT", body: bytes });
    expect(new Uint8Array(await request.arrayBuffer())).toEqual(bytes);
  });

  it("gives a GET request an empty body", async () => {
    const request = await captureRequest("/get", { method: "GET" });
    expect(request.method).toBe("GET");
    expect(await request.text()).toBe("");
  });
});

describe("dev host HTTP bridge: handler result → ServerResponse", () => {
  it("writes an HttpResponseInit with status, headers, cookies and jsonBody", async () => {
    const response = await respondWith({
      status: 201,
      headers: { "x-custom": "v1" },
      cookies: [{ name: "session", value: "a b", path: "/", httpOnly: true }],
      jsonBody: { ok: true },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-custom")).toBe("v1");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.getSetCookie()).toEqual(["session=a%20b; Path=/; HttpOnly"]);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("writes an HttpResponse instance with a text body", async () => {
    const response = await respondWith(new HttpResponse({ status: 404, body: "not here" }));
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toBe("not here");
  });

  it("answers 204 No Content when the handler returns nothing", async () => {
    const response = await respondWith(undefined);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
  });

  it("answers 200 with an empty body for an empty HttpResponseInit", async () => {
    const response = await respondWith({});
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("rejects a non-object result like the worker does", async () => {
    handle = async (req, res) => {
      await readRequestBody(req);
      await expect(writeHttpResponse(res, "just a string")).rejects.toThrow(/must be an object/);
      res.writeHead(200).end("checked");
    };
    expect(await (await fetch(url("/"))).text()).toBe("checked");
  });
});

describe("dev host HTTP bridge: serveHttpFunction", () => {
  it("runs an app.http registration end to end with route params from matchHttpRoute", async () => {
    const fn = registry.get("bridgeEcho")!;
    const route = String(Object.values(fn.metadata.bindings).find((b) => b.type === "httpTrigger")?.route);
    handle = async (req, res) => {
      const path = new URL(req.url!, "http://x").pathname.replace(/^\/api\//, "");
      const params = matchHttpRoute(route, path);
      if (params === undefined) {
        res.writeHead(404).end();
        return;
      }
      await serveHttpFunction(fn, req, res, { params });
    };

    const response = await fetch(url("/api/echo/42?q=search"), {
      method: "POST",
      headers: { "x-test": "t" },
      body: "plain text",
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      method: "POST",
      url: url("/api/echo/42?q=search"),
      id: "42",
      q: "search",
      header: "t",
      body: "plain text",
      triggerMetadata: "none",
    });
    expect((await fetch(url("/api/echo/not-a-number"))).status).toBe(404);
  });

  it("answers 500 when the handler throws, and reports the error", async () => {
    const errors: unknown[] = [];
    let result: unknown = "not served";
    handle = async (req, res) => {
      result = await serveHttpFunction(registry.get("bridgeThrows")!, req, res, {
        onError: (e) => errors.push(e),
      });
    };
    const response = await fetch(url("/api/bridgeThrows"));
    expect(response.status).toBe(500);
    expect(result).toBeUndefined();
    expect(String(errors[0])).toContain("boom");
  });
});

describe("matchHttpRoute", () => {
  it("matches literals case-insensitively and fills required and optional parameters", () => {
    const template = "start/{orchestrator}/{instanceId?}";
    expect(matchHttpRoute(template, "Start/hello")).toEqual({ orchestrator: "hello" });
    expect(matchHttpRoute(template, "start/hello/abc")).toEqual({ orchestrator: "hello", instanceId: "abc" });
    expect(matchHttpRoute(template, "start")).toBeUndefined();
    expect(matchHttpRoute(template, "start/a/b/c")).toBeUndefined();
    expect(matchHttpRoute(template, "stop/a")).toBeUndefined();
  });

  it("applies int constraints, decodes values and supports catch-all parameters", () => {
    expect(matchHttpRoute("items/{id:int}", "items/12")).toEqual({ id: "12" });
    expect(matchHttpRoute("items/{id:int}", "items/twelve")).toBeUndefined();
    expect(matchHttpRoute("names/{name}", "names/a%20b")).toEqual({ name: "a b" });
    expect(matchHttpRoute("files/{*path}", "files/a/b/c.txt")).toEqual({ path: "a/b/c.txt" });
    expect(matchHttpRoute("files/{*path}", "files")).toEqual({});
    expect(matchHttpRoute("report.{format}", "report.csv")).toEqual({ format: "csv" });
  });
});
