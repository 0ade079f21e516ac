import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../shared/config";
import { parseCallbackAllowList } from "../../shared/net/addressPolicy";
import type { ResolvedAddress } from "../../shared/net/addressPolicy";
import type { RequestView } from "../../shared/ledger/ledger";
import { CallbackNotifier, type CallbackNotifierOptions } from "../../shared/outcomes/callbackNotifier";
import { createOutcomePublisher } from "../../shared/outcomes/createOutcomePublisher";
import { decodeSecret, verify } from "../../shared/webhooks/standardWebhooks";
import { RecordingServer, type RecordedRequest } from "../support/recordingServer";
import { loggerInto } from "../support/loggerInto";
import { succeededRequest } from "../support/requestViews";

/** A local callback receiver: records every request, answers from a script ("hang" = never answer). */
let server: RecordingServer;
let base: string;

beforeAll(async () => {
  server = await RecordingServer.start({ defaultStatus: 204 });
  base = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
});

const SECRET_1 = `whsec_${Buffer.from("first-secret-for-callbacks").toString("base64")}`;
const SECRET_2 = `whsec_${Buffer.from("second-secret-for-callbacks").toString("base64")}`;
const secrets = [decodeSecret(SECRET_1, 0), decodeSecret(SECRET_2, 1)];

function completed(callbackUrl: string | undefined, requestId = "req-0001"): RequestView {
  return succeededRequest(
    {
      workspace: "contoso-synapse",
      linkConnection: "sales-link",
      requestId,
      tables: [{ schema: "dbo", name: "Orders", status: "Replicating" }],
    },
    callbackUrl,
  );
}

/** The local receiver is on loopback, where callbacks go only when CALLBACK_ALLOWED_HOSTS lists it. */
const LOOPBACK_ALLOWED = parseCallbackAllowList("127.0.0.1").allowList;

/** Short waits so retries take milliseconds; the local server is plain http (test-only option). */
function notifier(options: Partial<CallbackNotifierOptions> = {}) {
  return new CallbackNotifier({
    secrets,
    retryDelayMs: 10,
    maxRetryDelayMs: 50,
    timeoutMs: 2_000,
    allowList: LOOPBACK_ALLOWED,
    testOnly: { allowInsecureConnection: true },
    ...options,
  });
}

function verified(r: RecordedRequest, keys = secrets) {
  return verify(
    keys,
    {
      id: r.headers["webhook-id"] as string | undefined,
      timestamp: r.headers["webhook-timestamp"] as string | undefined,
      signature: r.headers["webhook-signature"] as string | undefined,
    },
    r.body,
    Math.floor(Date.now() / 1000),
  );
}

function testConfig(env: Record<string, string> = {}) {
  const { EVENTGRID_TOPIC_ENDPOINT: topic, ...rest } = env;
  const config = loadConfig({
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    SYNAPSE_WORKSPACES: "contoso-synapse",
    WEBHOOK_SECRET: `${SECRET_1} ${SECRET_2}`,
    ...rest,
  });
  // Configuration accepts https topics only; the local test topic is plain http (test-only client options).
  if (topic) config.outcomes.eventGridTopicEndpoint = topic;
  return config;
}

const noCredential = () => {
  throw new Error("no token credential in this test");
};

describe("CallbackNotifier against a local receiver", () => {
  it("POSTs the completed request signed with the first secret, webhook-id = requestId", async () => {
    const result = await notifier().notify(completed(`${base}/hooks/onboarding?sig=abc`));

    expect(result).toEqual({ outcome: "delivered", status: 204, attempts: 1 });
    expect(server.received).toHaveLength(1);
    const [r] = server.received;
    expect(r!.method).toBe("POST");
    expect(r!.path).toBe("/hooks/onboarding?sig=abc");
    expect(r!.headers["content-type"]).toBe("application/json");
    expect(r!.headers["webhook-id"]).toBe("req-0001");
    expect(verified(r!)).toEqual({ ok: true, id: "req-0001" });
    // Signed with the first secret, not only "some" secret.
    expect(verified(r!, [secrets[0]!])).toMatchObject({ ok: true });
    expect(verified(r!, [secrets[1]!])).toMatchObject({ ok: false, pointer: "webhook-signature" });
    expect(JSON.parse(r!.body)).toEqual({
      requestId: "req-0001",
      workspace: "contoso-synapse",
      linkConnection: "sales-link",
      action: "add",
      status: "Succeeded",
      tables: [{ schema: "dbo", name: "Orders", status: "Replicating" }],
      createdAt: "2026-01-05T08:00:00.000Z",
      updatedAt: "2026-01-05T08:30:00.000Z",
    });
  });

  it("sends webhook-id but no signature when no secret is configured", async () => {
    const result = await notifier({ secrets: [] }).notify(completed(`${base}/hook`));

    expect(result.outcome).toBe("delivered");
    expect(server.received[0]!.headers["webhook-id"]).toBe("req-0001");
    expect(server.received[0]!.headers["webhook-signature"]).toBeUndefined();
  });

  it("retries after a 503 and then delivers, every attempt validly signed", async () => {
    server.replies = [{ status: 503 }, { status: 200 }];
    const result = await notifier().notify(completed(`${base}/hook`));

    expect(result).toEqual({ outcome: "delivered", status: 200, attempts: 2 });
    expect(server.received).toHaveLength(2);
    for (const r of server.received) expect(verified(r)).toMatchObject({ ok: true, id: "req-0001" });
    expect(server.received[1]!.body).toBe(server.received[0]!.body);
  });

  it("waits out a 429's Retry-After before the next attempt", async () => {
    server.replies = [{ status: 429, headers: { "Retry-After": "1" } }, { status: 204 }];
    const result = await notifier().notify(completed(`${base}/hook`));

    expect(result).toEqual({ outcome: "delivered", status: 204, attempts: 2 });
    expect(server.received[1]!.at - server.received[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it("retries a 429 that has no Retry-After", async () => {
    server.replies = [{ status: 429 }, { status: 204 }];
    const result = await notifier().notify(completed(`${base}/hook`));

    expect(result).toEqual({ outcome: "delivered", status: 204, attempts: 2 });
  });

  it("retries an attempt that gets no response within the timeout", async () => {
    server.replies = ["hang", { status: 204 }];
    const result = await notifier({ timeoutMs: 300 }).notify(completed(`${base}/hook`));

    expect(result).toEqual({ outcome: "delivered", status: 204, attempts: 2 });
    expect(server.received).toHaveLength(2);
  });

  it("retries a refused connection, then reports the failure without throwing", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    // A short per-attempt timeout: the SDK's http client leaves that timer running after a connection error.
    const result = await notifier({ maxRetries: 2, timeoutMs: 300 }).notify(
      completed(`http://127.0.0.1:${port}/hook`),
    );

    expect(result).toMatchObject({
      outcome: "failed",
      attempts: 3,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it("gives up after the configured attempts without throwing", async () => {
    server.replies = [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }];
    const result = await notifier({ maxRetries: 2 }).notify(completed(`${base}/hook?sig=abc`));

    expect(result).toMatchObject({ outcome: "failed", attempts: 3, status: 503 });
    expect(server.received).toHaveLength(3);
    // The error names where it went but not the query string, which may hold a token.
    expect(result.outcome === "failed" && result.error).toMatch(/HTTP 503 after 3 attempt/);
    expect(result.outcome === "failed" && result.error).not.toContain("sig=abc");
  });

  it("stops at the overall time limit even when Retry-After asks for longer", async () => {
    server.replies = [{ status: 503, headers: { "Retry-After": "30" } }];
    const started = Date.now();
    const result = await notifier({ totalTimeoutMs: 500 }).notify(completed(`${base}/hook`));

    expect(result).toMatchObject({
      outcome: "failed",
      attempts: 1,
      error: expect.stringMatching(/gave up after 500 ms/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("does not follow a redirect", async () => {
    server.replies = [{ status: 307, headers: { Location: `${base}/elsewhere` } }];
    const result = await notifier().notify(completed(`${base}/hook`));

    expect(result).toMatchObject({ outcome: "failed", status: 307 });
    expect(server.received.map((r) => r.path)).toEqual(["/hook"]);
  });

  it("refuses an http:// callback without the test-only option", async () => {
    const production = new CallbackNotifier({ secrets });
    const result = await production.notify(completed(`${base}/hook`));

    expect(result).toEqual({
      outcome: "refused",
      error: expect.stringMatching(/only https callbacks are sent/),
    });
    expect(server.received).toHaveLength(0);
  });
});

/**
 * Where a callback may go (docs/events.md#where-callbacks-may-go). Every receiver here is on
 * loopback and every "public" name is answered by an injected resolver, so nothing leaves the
 * machine: a name in `.example` never resolves for real, so a delivery that arrives proves the
 * connection went to the address the resolver gave and the policy checked.
 */
describe("CallbackNotifier: no SSRF", () => {
  /** A resolver that answers from a script, one answer per call, and counts its calls. */
  function scripted(...answers: (readonly ResolvedAddress[])[]) {
    const calls: string[] = [];
    const resolve = (hostname: string) => {
      calls.push(hostname);
      return Promise.resolve(answers[Math.min(calls.length, answers.length) - 1] ?? []);
    };
    return { resolve, calls };
  }
  const loopback = [{ address: "127.0.0.1", family: 4 }];
  const port = () => new URL(base).port;

  it.each([
    ["the loopback receiver itself", () => `${base}/hook`, /127\.0\.0\.1 is a loopback address/],
    ["its decimal spelling", () => `http://2130706433:${port()}/hook`, /127\.0\.0\.1 is a loopback/],
    ["its hex spelling", () => `http://0x7f.1:${port()}/hook`, /127\.0\.0\.1 is a loopback/],
    ["an IPv4-mapped IPv6 form", () => `http://[::ffff:127.0.0.1]:${port()}/hook`, /loopback/],
    ["localhost", () => `http://localhost:${port()}/hook`, /localhost is a local name/],
  ])("refuses %s without an allow-list, and nothing arrives", async (_what, url, reason) => {
    const result = await notifier({ allowList: undefined }).notify(completed(url()));

    expect(result).toEqual({ outcome: "refused", error: expect.stringMatching(reason) as string });
    expect(server.received).toHaveLength(0);
  });

  it("refuses the metadata endpoint", async () => {
    const result = await notifier({ allowList: undefined }).notify(
      completed("https://169.254.169.254/metadata/identity/oauth2/token"),
    );
    expect(result).toEqual({ outcome: "refused", error: expect.stringMatching(/cloud metadata/) as string });
  });

  it("refuses a public-looking name that resolves to loopback at delivery (DNS rebinding), connecting nowhere", async () => {
    const dns = scripted(loopback);
    const result = await notifier({ allowList: undefined, resolve: dns.resolve }).notify(
      completed("http://hooks.rebind.example/hook"),
    );

    expect(result).toEqual({
      outcome: "refused",
      error: expect.stringMatching(
        /hooks\.rebind\.example resolves to 127\.0\.0\.1, a loopback address/,
      ) as string,
    });
    expect(dns.calls).toEqual(["hooks.rebind.example"]);
    expect(server.received).toHaveLength(0);
  });

  it("refuses when one of several answers is the metadata address in its IPv4-mapped form", async () => {
    const dns = scripted([
      { address: "93.184.215.14", family: 4 },
      { address: "::ffff:169.254.169.254", family: 6 },
    ]);
    const result = await notifier({ allowList: undefined, resolve: dns.resolve }).notify(
      completed("http://hooks.mixed.example/hook"),
    );
    expect(result).toEqual({ outcome: "refused", error: expect.stringMatching(/cloud metadata/) as string });
  });

  it("delivers to an allow-listed name at exactly the address that was resolved and checked", async () => {
    const dns = scripted(loopback);
    const result = await notifier({
      allowList: parseCallbackAllowList("receiver.example").allowList,
      resolve: dns.resolve,
    }).notify(completed(`http://receiver.example:${port()}/hook`));

    expect(result).toEqual({ outcome: "delivered", status: 204, attempts: 1 });
    expect(server.received.map((r) => [r.path, r.headers.host])).toEqual([
      ["/hook", `receiver.example:${port()}`],
    ]);
  });

  it("resolves and checks again on every attempt: a retry whose answer turned to a blocked address is refused", async () => {
    // First answer allowed (127.0.0.1 is listed); nothing listens on its port 80, so the attempt
    // fails with ECONNREFUSED and is retried; the retry's answer, 127.0.0.2, is not listed.
    const dns = scripted(loopback, [{ address: "127.0.0.2", family: 4 }]);
    const result = await notifier({ resolve: dns.resolve }).notify(completed("http://flip.example/hook"));

    expect(result).toEqual({
      outcome: "refused",
      error: expect.stringMatching(/flip\.example resolves to 127\.0\.0\.2, a loopback address/) as string,
    });
    expect(dns.calls).toEqual(["flip.example", "flip.example"]);
  });

  it("delivers to an allow-listed IPv6 literal, [::1] (it used to fail with ENOTFOUND)", async () => {
    const v6 = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => v6.listen(0, "::1", resolve));
    try {
      const v6Port = (v6.address() as AddressInfo).port;
      const result = await notifier({ allowList: parseCallbackAllowList("::1").allowList }).notify(
        completed(`http://[::1]:${v6Port}/hook`),
      );
      expect(result).toEqual({ outcome: "delivered", status: 204, attempts: 1 });
    } finally {
      await new Promise((resolve) => v6.close(resolve));
    }
  });
});

describe("createOutcomePublisher callbacks", () => {
  it("delivers the completed request to its callbackUrl, signed with the configured first secret", async () => {
    const logs: string[] = [];
    const outcomes = createOutcomePublisher(testConfig(), noCredential, loggerInto(logs), {
      callback: {
        testOnly: { allowInsecureConnection: true },
        retryDelayMs: 10,
        allowList: LOOPBACK_ALLOWED,
      },
    });
    await outcomes.requestCompleted(completed(`${base}/hook`));

    expect(server.received).toHaveLength(1);
    expect(verified(server.received[0]!, [secrets[0]!])).toEqual({ ok: true, id: "req-0001" });
    expect(logs).toEqual([]);
  });

  it("logs a callback that keeps failing and still completes", async () => {
    server.replies = [{ status: 500 }, { status: 500 }, { status: 500 }];
    const logs: string[] = [];
    const outcomes = createOutcomePublisher(testConfig(), noCredential, loggerInto(logs), {
      callback: {
        testOnly: { allowInsecureConnection: true },
        retryDelayMs: 10,
        maxRetries: 1,
        allowList: LOOPBACK_ALLOWED,
      },
    });

    await expect(outcomes.requestCompleted(completed(`${base}/hook`))).resolves.toBeUndefined();
    expect(server.received).toHaveLength(2);
    expect(logs).toEqual([
      expect.stringMatching(/callback for request req-0001 .* failed: HTTP 500 after 2 attempt/),
    ]);
  });

  it("refuses an http:// callback as configured for production, logging why", async () => {
    const logs: string[] = [];
    const outcomes = createOutcomePublisher(testConfig(), noCredential, loggerInto(logs));
    await outcomes.requestCompleted(completed(`${base}/hook`));

    expect(server.received).toHaveLength(0);
    expect(logs).toEqual([expect.stringMatching(/req-0001: refusing callbackUrl with scheme "http"/)]);
  });

  it("sends no callback when the request has no callbackUrl, only the completion event", async () => {
    const logs: string[] = [];
    const outcomes = createOutcomePublisher(
      testConfig({ EVENTGRID_TOPIC_ENDPOINT: `${base}/api/events`, EVENTGRID_TOPIC_KEY: "k" }),
      noCredential,
      loggerInto(logs),
      {
        eventGridClientOptions: { allowInsecureConnection: true },
        callback: { testOnly: { allowInsecureConnection: true } },
      },
    );
    server.replies = [{ status: 200 }];
    await outcomes.requestCompleted(completed(undefined));

    expect(server.received.map((r) => r.path)).toEqual([expect.stringMatching(/^\/api\/events\?/)]);
    expect(server.received[0]!.headers["webhook-id"]).toBeUndefined();
    expect(logs).toEqual([]);
  });
});
