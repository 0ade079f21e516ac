import type { RequestView } from "../../../shared/ledger/ledger";
import { CallbackNotifier } from "../../../shared/outcomes/callbackNotifier";
import { sign } from "../../../shared/webhooks/standardWebhooks";
import { fakeHttpClient } from "./fakeHttpClient";
import { succeededRequest } from "../../support/requestViews";

const secret = Buffer.from("a-secret-of-enough-bytes");
const other = Buffer.from("another-secret-entirely");

function completed(callbackUrl?: string): RequestView {
  return succeededRequest(
    { workspace: "ws", linkConnection: "link", requestId: "req-1", tables: [] },
    callbackUrl,
  );
}

describe("CallbackNotifier", () => {
  it.each([
    ["http://example.org/hook", /scheme "http": only https callbacks are sent/],
    ["ftp://example.org/hook", /scheme "ftp"/],
    ["not a url", /not a valid URL/],
  ])("refuses %s without sending anything", async (url, message) => {
    const http = fakeHttpClient();
    const result = await new CallbackNotifier({
      secrets: [secret],
      testOnly: { httpClient: http.client },
    }).notify(completed(url));
    expect(result).toEqual({ outcome: "refused", error: expect.stringMatching(message) });
    expect(http.sent).toHaveLength(0);
  });

  it("skips a request without a callbackUrl", async () => {
    const http = fakeHttpClient();
    const result = await new CallbackNotifier({
      secrets: [secret],
      testOnly: { httpClient: http.client },
    }).notify(completed());
    expect(result).toEqual({ outcome: "skipped" });
    expect(http.sent).toHaveLength(0);
  });

  it("signs with the first secret at the clock's time", async () => {
    const http = fakeHttpClient();
    const notifier = new CallbackNotifier({
      secrets: [secret, other],
      clock: () => 1_767_600_000_500,
      testOnly: { httpClient: http.client },
    });
    await notifier.notify(completed("https://example.org/hook"));

    const [sent] = http.sent;
    expect(sent!.headers["webhook-id"]).toBe("req-1");
    expect(sent!.headers["webhook-timestamp"]).toBe("1767600000");
    expect(sent!.headers["webhook-signature"]).toBe(sign(secret, "req-1", 1_767_600_000, sent!.body));
  });

  it("re-signs every attempt with that attempt's timestamp", async () => {
    let now = 1_767_600_000_000;
    const http = fakeHttpClient(() => {
      now += 7_000;
      return http.sent.length === 1 ? 503 : 200;
    });
    const notifier = new CallbackNotifier({
      secrets: [secret],
      clock: () => now,
      retryDelayMs: 1,
      testOnly: { httpClient: http.client },
    });
    const result = await notifier.notify(completed("https://example.org/hook"));

    expect(result).toEqual({ outcome: "delivered", status: 200, attempts: 2 });
    const [first, second] = http.sent;
    expect(first!.headers["webhook-timestamp"]).toBe("1767600000");
    expect(second!.headers["webhook-timestamp"]).toBe("1767600007");
    expect(second!.headers["webhook-signature"]).toBe(sign(secret, "req-1", 1_767_600_007, second!.body));
  });

  it("does not retry a 4xx other than 408 and 429", async () => {
    const http = fakeHttpClient(() => 404);
    const result = await new CallbackNotifier({ secrets: [], testOnly: { httpClient: http.client } }).notify(
      completed("https://example.org/hook"),
    );
    expect(result).toMatchObject({ outcome: "failed", status: 404, attempts: 1 });
  });

  it("retries a 408", async () => {
    const http = fakeHttpClient(() => (http.sent.length === 1 ? 408 : 202));
    const result = await new CallbackNotifier({
      secrets: [],
      retryDelayMs: 1,
      testOnly: { httpClient: http.client },
    }).notify(completed("https://example.org/hook"));
    expect(result).toEqual({ outcome: "delivered", status: 202, attempts: 2 });
  });
});
