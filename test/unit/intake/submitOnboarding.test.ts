import { decodeSecret, sign } from "../../../shared/webhooks/standardWebhooks";
import { toOnboardingRequest } from "../../../shared/intake/queueMessage";
import { submitOnboarding, type SubmitDeps, type SubmitInput } from "../../../shared/intake/submitOnboarding";

const secret = decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 0);
const now = new Date("2026-01-05T08:00:00Z");
let counter = 0;

function deps(overrides: Partial<SubmitDeps> = {}): SubmitDeps {
  return {
    webhookSecrets: [],
    acceptanceKey: Buffer.alloc(32, 7),
    routing: { rules: [], allowedLinks: [{ workspace: "demo", linkConnection: "*" }] },
    workspaces: ["demo"],
    newRequestId: () => `id-${++counter}`,
    ...overrides,
  };
}

function input(
  body: unknown,
  headers: Record<string, string> = {},
  contentType = "application/json",
): SubmitInput {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    contentType,
    body: text,
    header: (n) => lower[n.toLowerCase()],
    origin: "https://app.example",
    now,
  };
}

const valid = { linkConnection: "demo-link", tables: [{ schema: "dbo", name: "Orders" }] };

describe("submitOnboarding", () => {
  it("accepts a valid request, filling workspace and target defaults (no structure unless asked)", () => {
    const result = submitOnboarding(deps(), input(valid));
    expect(result.kind).toBe("accepted");
    if (result.kind !== "accepted") return;
    expect(result.statusUrl).toMatch(
      new RegExp(`^https://app\\.example/api/onboarding/${result.requestId}\\?accepted=[\\w-]+\\.[\\w-]+$`),
    );
    expect(result.message).toMatchObject({
      v: 2,
      action: "add",
      workspace: "demo",
      linkConnection: "demo-link",
      defaults: { distribution: "RoundRobin" },
      tables: [{ schema: "dbo", name: "Orders" }],
      origin: { kind: "http" },
    });
    expect(toOnboardingRequest(result.message).tables).toEqual([
      {
        source: { schema: "dbo", name: "Orders" },
        target: { schema: "dbo", name: "Orders", distribution: "RoundRobin" },
      },
    ]);
  });

  it("lists every invalid field as a JSON pointer", () => {
    const result = submitOnboarding(
      deps(),
      input({
        linkConnection: 5,
        tables: [{ schema: "", name: "x".repeat(129), target: { distribution: "Hash" } }],
        extra: 1,
      }),
    );
    expect(result.kind).toBe("refused");
    if (result.kind !== "refused") return;
    expect(result.refusal.kind).toBe("invalidFields");
    if (result.refusal.kind !== "invalidFields") return;
    expect(result.refusal.errors.map((e) => e.pointer).sort()).toEqual([
      "/extra",
      "/linkConnection",
      "/tables/0/name",
      "/tables/0/schema",
      "/tables/0/target/distributionColumn",
    ]);
  });

  it("refuses duplicate tables, even differing only in case", () => {
    const result = submitOnboarding(
      deps(),
      input({
        linkConnection: "demo-link",
        tables: [
          { schema: "dbo", name: "A" },
          { schema: "DBO", name: "a" },
        ],
      }),
    );
    expect(result).toMatchObject({ kind: "refused", refusal: { errors: [{ pointer: "/tables/1" }] } });
  });

  it("refuses a non-JSON content type and an oversized body", () => {
    expect(submitOnboarding(deps(), input(valid, {}, "text/plain"))).toMatchObject({
      refusal: { kind: "unsupportedMediaType", contentType: "text/plain" },
    });
    const big = { ...valid, callbackUrl: `https://x.example/${"a".repeat(300_000)}` };
    expect(submitOnboarding(deps(), input(big))).toMatchObject({
      refusal: { kind: "bodyTooLarge", limit: 256 * 1024 },
    });
  });

  it("refuses a link the configuration does not allow", () => {
    const result = submitOnboarding(deps(), input({ ...valid, workspace: "demo", linkConnection: "x" }));
    expect(result).toMatchObject({ kind: "accepted" });
    const refused = submitOnboarding(
      deps({ routing: { rules: [], allowedLinks: [{ workspace: "demo", linkConnection: "demo-link" }] } }),
      input({ ...valid, linkConnection: "other-link" }),
    );
    expect(refused).toMatchObject({
      refusal: { kind: "linkNotAllowed", link: { workspace: "demo", linkConnection: "other-link" } },
    });
  });

  it("requires the workspace when several are configured", () => {
    const result = submitOnboarding(deps({ workspaces: ["demo", "prod"] }), input(valid));
    expect(result).toMatchObject({ refusal: { kind: "workspaceRequired", configured: ["demo", "prod"] } });
  });

  it("gives the same requestId for the same Idempotency-Key and body, and another one for another body", () => {
    const d = deps();
    const first = submitOnboarding(d, input(valid, { "Idempotency-Key": "k-1" }));
    const again = submitOnboarding(d, input(valid, { "Idempotency-Key": "k-1" }));
    const other = submitOnboarding(
      d,
      input({ ...valid, tables: [{ schema: "dbo", name: "B" }] }, { "Idempotency-Key": "k-1" }),
    );
    if (first.kind !== "accepted" || again.kind !== "accepted" || other.kind !== "accepted") {
      throw new Error("expected all three accepted");
    }
    expect(again.requestId).toBe(first.requestId);
    expect(other.requestId).not.toBe(first.requestId);
    // The queue consumer checks the key: the message carries it with the body's fingerprint.
    expect(first.message).toMatchObject({ v: 2, dedupe: { kind: "idempotency", key: "k-1" } });
    expect(other.message.v === 2 && other.message.dedupe?.fingerprint).not.toBe(
      first.message.v === 2 && first.message.dedupe?.fingerprint,
    );
  });

  it("checks the signature before parsing, and gives a replayed webhook-id the same requestId", () => {
    const d = deps({ webhookSecrets: [secret] });
    const ts = Math.floor(now.getTime() / 1000);
    expect(submitOnboarding(d, input("{not json"))).toMatchObject({
      refusal: { kind: "signatureInvalid", header: "webhook-id" },
    });
    const body = JSON.stringify(valid);
    const signed = {
      "webhook-id": "msg_9",
      "webhook-timestamp": String(ts),
      "webhook-signature": sign(secret, "msg_9", ts, body),
    };
    const first = submitOnboarding(d, input(body, signed));
    const replay = submitOnboarding(d, input(body, signed));
    expect(first).toMatchObject({ kind: "accepted", message: { dedupe: { kind: "webhook", key: "msg_9" } } });
    expect(
      replay.kind === "accepted" && first.kind === "accepted" && replay.requestId === first.requestId,
    ).toBe(true);
  });

  it("refuses tables that would not fit one queue message, with 413's figures, before anything is queued", () => {
    const long = "x".repeat(128);
    const tables = Array.from({ length: 200 }, (_, i) => ({
      schema: long,
      name: `${long.slice(0, 120)}${i}`,
    }));
    const result = submitOnboarding(deps(), input({ linkConnection: "demo-link", tables }));
    expect(result).toMatchObject({
      kind: "refused",
      refusal: { kind: "messageTooLarge", limit: 49_152, tables: 200 },
    });
  });

  it("fits 500 short-named tables in one queue message", () => {
    const tables = Array.from({ length: 500 }, (_, i) => ({ schema: "dbo", name: `Table_${i}` }));
    const result = submitOnboarding(deps(), input({ linkConnection: "demo-link", tables }));
    expect(result.kind).toBe("accepted");
  });
});
