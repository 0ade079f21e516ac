/**
 * The local host (`startLocalHost`) in-process against Azurite, with the fixture functions of
 * test/fixtures/devHost: HTTP routes, queue outputs, the queue trigger poller (dequeueCount, poison), the Event Grid
 * webhook, timer triggers, durable orchestrations over HTTP in scaled time, and durable state that survives a
 * restart of the host.
 */
import { join } from "node:path";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { until } from "../support/until";
import { startLocalHost, type LocalHostOptions, type RunningLocalHost } from "../../dev/host/localHost";

const FIXTURES = join(__dirname, "../fixtures/devHost");
const APP_GLOB = join(FIXTURES, "*.ts");
const HOST_JSON = join(FIXTURES, "host.json");
const TIME_SCALE = 60;

let azurite: RunningAzurite;
let host: RunningLocalHost;
const logs: string[] = [];

function hostOptions(overrides: Partial<LocalHostOptions> = {}): LocalHostOptions {
  return {
    port: 0,
    appGlob: APP_GLOB,
    hostJsonPath: HOST_JSON,
    storageConnectionString: azurite.connectionString,
    timeScale: TIME_SCALE,
    queuePollIntervalMs: 100,
    log: (line) => logs.push(line),
    ...overrides,
  };
}

function queue(name: string): QueueClient {
  return new QueueClient(azurite.connectionString, name);
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");
const decode = (text: string) => Buffer.from(text, "base64").toString("utf8");

/** Receives and deletes messages until `count` arrived (decoded from base64, JSON parsed). */
async function drain(name: string, count: number, timeoutMs = 8000): Promise<unknown[]> {
  const client = queue(name);
  await client.createIfNotExists();
  const received: unknown[] = [];
  await until(
    `${count} message(s) in ${name}`,
    async () => {
      const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32 });
      for (const m of receivedMessageItems) {
        received.push(JSON.parse(decode(m.messageText)));
        await client.deleteMessage(m.messageId, m.popReceipt);
      }
      return received.length >= count ? true : undefined;
    },
    timeoutMs,
  );
  return received;
}

function executedCount(name: string): number {
  return logs.filter((l) => l.startsWith(`Executed '${name}'`)).length;
}

beforeAll(async () => {
  azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  host = await startLocalHost(hostOptions({ taskHubName: "DevHostMain" }));
});

afterAll(async () => {
  await host.close();
  await azurite.stop();
});

describe("dev host: HTTP triggers", () => {
  it("routes to an http function with its route parameters, and a code query parameter does not matter", async () => {
    const response = await fetch(`${host.url}/api/items/books/42?code=not-checked&q=x`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ function: "fxItem", category: "books", id: "42", q: "x" });
  });

  it("prefers the route with a literal segment over one with a parameter in the same place", async () => {
    const response = await fetch(`${host.url}/api/items/special/7`);
    expect(await response.json()).toEqual({ function: "fxSpecialItem", id: "7" });
  });

  it("answers 404 for an unknown route and for a route whose int constraint does not match", async () => {
    expect((await fetch(`${host.url}/api/nothing/here`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/items/books/not-a-number`)).status).toBe(404);
    expect((await fetch(`${host.url}/elsewhere`)).status).toBe(404);
  });

  it("answers 405 with an Allow header for a known route called with a wrong method", async () => {
    const response = await fetch(`${host.url}/api/items/books/42`, { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });

  it("has the queue output in Azurite, base64-encoded, when the 202 arrives", async () => {
    const response = await fetch(`${host.url}/api/submit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ order: 1, note: "ünïcode" }),
    });
    expect(response.status).toBe(202);
    // No waiting: the message must already be there.
    const { peekedMessageItems } = await queue("fx-submitted").peekMessages({ numberOfMessages: 32 });
    expect(peekedMessageItems.map((m) => m.messageText)).toEqual([base64({ order: 1, note: "ünïcode" })]);
    await queue("fx-submitted").clearMessages();
  });

  it("sends an array output as one queue message per element", async () => {
    const response = await fetch(`${host.url}/api/submit`, {
      method: "POST",
      body: JSON.stringify([{ n: 1 }, { n: 2 }, "three"]),
    });
    expect(response.status).toBe(202);
    const { peekedMessageItems } = await queue("fx-submitted").peekMessages({ numberOfMessages: 32 });
    expect(peekedMessageItems.map((m) => decode(m.messageText))).toEqual(['{"n":1}', '{"n":2}', "three"]);
    await queue("fx-submitted").clearMessages();
  });
});

describe("dev host: queue trigger poller", () => {
  it("delivers a parsed JSON message with its trigger metadata, retrying a failure with a higher dequeueCount", async () => {
    await queue("fx-work").sendMessage(base64({ failTimes: 1, tag: "retry-once" }));
    const [done] = (await drain("fx-work-done", 1)) as {
      message: unknown;
      metadata: Record<string, unknown>;
    }[];
    expect(done!.message).toEqual({ failTimes: 1, tag: "retry-once" });
    expect(done!.metadata).toMatchObject({
      dequeueCount: 2,
      queueTrigger: JSON.stringify({ failTimes: 1, tag: "retry-once" }),
    });
    for (const key of ["id", "popReceipt", "insertionTime", "expirationTime", "nextVisibleTime"]) {
      expect(typeof done!.metadata[key]).toBe("string");
    }
    expect(Date.parse(String(done!.metadata.insertionTime))).not.toBeNaN();
  });

  it("passes a message that is not JSON as the decoded string", async () => {
    await queue("fx-work").sendMessage(Buffer.from("just text").toString("base64"));
    const [done] = (await drain("fx-work-done", 1)) as {
      message: unknown;
      metadata: { dequeueCount: number };
    }[];
    expect(done).toMatchObject({ message: "just text", metadata: { dequeueCount: 1 } });
  });

  it("moves a message that fails maxDequeueCount (2) times to fx-work-poison and removes it from fx-work", async () => {
    const before = executedCount("fxWorker");
    const text = base64({ fail: true, marker: "poison-me" });
    await queue("fx-work").sendMessage(text);
    const poison = queue("fx-work-poison");
    const poisoned = await until("the poison message", async () => {
      if (!(await poison.exists())) return undefined;
      const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
      return peekedMessageItems.find((m) => m.messageText === text);
    });
    expect(decode(poisoned.messageText)).toBe('{"fail":true,"marker":"poison-me"}');
    expect(executedCount("fxWorker") - before).toBe(2);
    const { peekedMessageItems } = await queue("fx-work").peekMessages({ numberOfMessages: 32 });
    expect(peekedMessageItems).toEqual([]);
    await poison.clearMessages();
  });

  it("poisons a message that is not valid base64 after maxDequeueCount attempts", async () => {
    await queue("fx-work").sendMessage("not base64 at all!");
    const poison = queue("fx-work-poison");
    await until("the undecodable message in the poison queue", async () => {
      if (!(await poison.exists())) return undefined;
      const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
      return peekedMessageItems.some((m) => m.messageText === "not base64 at all!") ? true : undefined;
    });
    await poison.clearMessages();
  });
});

describe("dev host: Event Grid webhook", () => {
  const endpoint = () => `${host.url}/runtime/webhooks/eventgrid?functionName=fxEvents`;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(endpoint(), {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "Notification", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("invokes the function for a single Event Grid-schema event and sends its queue output", async () => {
    const response = await post({
      id: "e1",
      eventType: "Demo.Created",
      subject: "s",
      data: {},
      dataVersion: "1",
    });
    expect(response.status).toBe(200);
    expect(await drain("fx-events", 1)).toEqual([{ id: "e1", type: "Demo.Created" }]);
  });

  it("invokes the function once per event of an array (CloudEvents too)", async () => {
    const response = await post([
      { id: "a1", eventType: "Demo.A", subject: "s", data: {} },
      { specversion: "1.0", id: "a2", type: "Demo.B", source: "/demo", data: {} },
    ]);
    expect(response.status).toBe(200);
    const messages = (await drain("fx-events", 2)) as { id: string }[];
    expect(messages.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: "a1", type: "Demo.A" },
      { id: "a2", type: "Demo.B" },
    ]);
  });

  it("answers the Event Grid subscription validation handshake without invoking the function", async () => {
    const before = executedCount("fxEvents");
    const response = await post(
      [
        {
          id: "v1",
          eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
          subject: "",
          data: { validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6", validationUrl: "https://x" },
        },
      ],
      { "aeg-event-type": "SubscriptionValidation" },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });
    expect(executedCount("fxEvents")).toBe(before);
  });

  it("answers the CloudEvents abuse-protection OPTIONS handshake", async () => {
    const response = await fetch(endpoint(), {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    expect(response.headers.get("webhook-allowed-rate")).toBe("*");
  });

  it("answers 500 when a handler throws, after running the other events of the batch", async () => {
    const response = await post([
      { id: "ok1", eventType: "Demo.A", subject: "fine", data: {} },
      { id: "bad", eventType: "Demo.A", subject: "fail", data: {} },
    ]);
    expect(response.status).toBe(500);
    expect(await drain("fx-events", 1)).toEqual([{ id: "ok1", type: "Demo.A" }]);
  });

  it("answers 404 for an unknown function name and 400 for malformed JSON", async () => {
    const unknown = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=nope`, {
      method: "POST",
      body: "[]",
    });
    expect(unknown.status).toBe(404);
    expect((await post("{not json")).status).toBe(400);
  });
});

describe("dev host: timer trigger", () => {
  it("fires a */30 s schedule every 0.5 s of wall time at time scale 60, with the Timer object", async () => {
    await queue("fx-ticks").clearMessages();
    const started = Date.now();
    const ticks = (await drain("fx-ticks", 2, 5000)) as {
      isPastDue: boolean;
      schedule: { adjustForDST: boolean };
      scheduleStatus: { last: string; next: string; lastUpdated: string };
    }[];
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ticks[0]).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    const [first, second] = ticks.map((t) => t.scheduleStatus);
    expect(new Date(second!.next).getTime() - new Date(first!.next).getTime()).toBe(30_000);
    expect(new Date(second!.next).getUTCSeconds() % 30).toBe(0);
  });
});

describe("dev host: durable orchestrations", () => {
  interface Status {
    runtimeStatus: string;
    output: unknown;
    customStatus: unknown;
    createdTime: string;
    lastUpdatedTime: string;
  }

  async function start(target: RunningLocalHost, input: unknown, instanceId?: string) {
    const response = await fetch(
      `${target.url}/api/orchestrators/fxTimed${instanceId === undefined ? "" : `/${instanceId}`}`,
      { method: "POST", body: JSON.stringify(input) },
    );
    expect(response.status).toBe(202);
    return (await response.json()) as { id: string; statusQueryGetUri: string };
  }

  async function status(target: RunningLocalHost, id: string): Promise<Status> {
    const response = await fetch(
      `${target.url}/runtime/webhooks/durabletask/instances/${id}?code=${encodeURIComponent(target.systemKey)}`,
    );
    return (await response.json()) as Status;
  }

  it("completes an orchestration started over HTTP through a 60 s durable timer in about 1 s", async () => {
    const wallStart = Date.now();
    const { id, statusQueryGetUri } = await start(host, { name: "Ada", waitSeconds: 60 });
    expect(statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)).toBe(
      true,
    );
    expect(new URL(statusQueryGetUri).searchParams.get("code")).toBe(host.systemKey);

    const waiting = await until("the timer wait", async () => {
      const s = await status(host, id);
      return (s.customStatus as { phase?: string } | null)?.phase === "waiting" ? s : undefined;
    });
    expect(waiting.runtimeStatus).toBe("Running");

    const done = await until("completion", async () => {
      const s = (await (await fetch(statusQueryGetUri)).json()) as Status;
      return s.runtimeStatus === "Completed" ? s : undefined;
    });
    expect(done.output).toEqual(["Hello Ada", "Hello Ada again"]);
    const virtualMs = Date.parse(done.lastUpdatedTime) - Date.parse(done.createdTime);
    expect(virtualMs).toBeGreaterThanOrEqual(60_000);
    expect(Date.now() - wallStart).toBeLessThan(5000);
  });

  it("resumes an orchestration after the host is closed mid-run and a new host starts on the same storage", async () => {
    const options = hostOptions({ taskHubName: "DevHostPersist" });
    const first = await startLocalHost(options);
    let second: RunningLocalHost | undefined;
    try {
      await start(first, { name: "Bo", waitSeconds: 120 }, "persist-1");
      await until("the timer wait", async () => {
        const s = await status(first, "persist-1");
        return (s.customStatus as { phase?: string } | null)?.phase === "waiting" ? true : undefined;
      });
      await first.close();
      expect(first.stateStore.saves).toBeGreaterThan(0);

      // Same process, same registry: the second host must not register the functions again.
      second = await startLocalHost(options);
      expect(second.functions).toEqual(first.functions);
      // The key is kept with the task hub's state, so URLs handed out before the restart keep working.
      expect(second.systemKey).toBe(first.systemKey);
      expect((await status(second, "persist-1")).runtimeStatus).toBe("Running");
      const done = await until("completion on the second host", async () => {
        const s = await status(second!, "persist-1");
        return s.runtimeStatus === "Completed" ? s : undefined;
      });
      expect(done.output).toEqual(["Hello Bo", "Hello Bo again"]);
      expect(Date.parse(done.lastUpdatedTime) - Date.parse(done.createdTime)).toBeGreaterThanOrEqual(120_000);
    } finally {
      await first.close();
      await second?.close();
    }
  });

  it("a host on another task hub does not see the instances of the first", async () => {
    const other = await startLocalHost(hostOptions({ taskHubName: "DevHostOther" }));
    try {
      expect(other.systemKey).not.toBe(host.systemKey);
      const response = await fetch(`${other.url}/runtime/webhooks/durabletask/instances/persist-1`, {
        headers: { "x-functions-key": other.systemKey },
      });
      expect(response.status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe("dev host: the durable management API requires the system key, as in Azure", () => {
  async function startOne(): Promise<{ id: string; statusQueryGetUri: string; terminatePostUri: string }> {
    const response = await fetch(`${host.url}/api/orchestrators/fxTimed`, {
      method: "POST",
      body: JSON.stringify({ name: "Key", waitSeconds: 3600 }),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { id: string; statusQueryGetUri: string; terminatePostUri: string };
  }

  it("answers 401 without the key or with a wrong one, and changes nothing", async () => {
    const { id } = await startOne();
    const base = `${host.url}/runtime/webhooks/durabletask/instances`;
    expect((await fetch(`${base}/${id}`)).status).toBe(401);
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/${id}?code=wrong`)).status).toBe(401);
    expect((await fetch(`${base}/${id}`, { headers: { "x-functions-key": "wrong" } })).status).toBe(401);
    const terminate = await fetch(`${base}/${id}/terminate?reason=nope`, { method: "POST" });
    expect(terminate.status).toBe(401);
    expect(await terminate.text()).toBe("");
    const started = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/fxTimed`, {
      method: "POST",
      body: "{}",
    });
    expect(started.status).toBe(401);
    expect(host.driver.getStatus(id)?.runtimeStatus).toBe("Running");
  });

  it("serves the URLs the app hands out (code=<key>): status, then terminate", async () => {
    const { id, statusQueryGetUri, terminatePostUri } = await startOne();
    const running = await fetch(statusQueryGetUri);
    expect(running.status).toBe(202);
    expect(((await running.json()) as { runtimeStatus: string }).runtimeStatus).toBe("Running");
    const terminated = await fetch(terminatePostUri.replace("{text}", "by%20test"), { method: "POST" });
    expect(terminated.status).toBe(202);
    await until("terminated", () =>
      Promise.resolve(host.driver.getStatus(id)?.runtimeStatus === "Terminated" ? true : undefined),
    );
  });

  it("lets the app's durable client in without a key on a loopback-only listener that serves nothing else", async () => {
    const rpc = new URL(host.rpcBaseUrl);
    expect(rpc.hostname).toBe("127.0.0.1");
    expect(rpc.origin).not.toBe(host.url);
    expect(host.durableClientData.rpcBaseUrl).toBe(host.rpcBaseUrl);
    expect(host.durableClientData.requiredQueryStringParameters).toBe(
      `code=${encodeURIComponent(host.systemKey)}`,
    );
    const { id } = await startOne();
    const status = await fetch(new URL(`instances/${id}`, host.rpcBaseUrl));
    expect(status.status).toBe(202);
    expect((await fetch(new URL("/api/items/books/1", host.rpcBaseUrl))).status).toBe(404);
  });
});
