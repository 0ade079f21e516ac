import { decodeSecret, sign } from "../../../shared/webhooks/standardWebhooks";
import { submitOnboarding, type SubmitDeps, type SubmitInput } from "../../../shared/intake/submitOnboarding";
import { InMemoryLedger } from "../../support/inMemoryLedger";
import { tableEntry } from "../../support/onboardingTables";

const secret = decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 0);
const now = new Date("2026-01-05T08:00:00Z");
let counter = 0;

function deps(overrides: Partial<SubmitDeps> = {}): SubmitDeps {
  return {
    ledger: new InMemoryLedger(),
    webhookSecrets: [],
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
  it("accepts a valid request, filling workspace and target defaults (no structure unless asked)", async () => {
    const result = await submitOnboarding(deps(), input(valid));
    expect(result.kind).toBe("accepted");
    if (result.kind !== "accepted") return;
    expect(result.statusUrl).toBe(`https://app.example/api/onboarding/${result.requestId}`);
    expect(result.message).toMatchObject({
      v: 1,
      action: "add",
      workspace: "demo",
      linkConnection: "demo-link",
      tables: [tableEntry("dbo", "Orders", { distribution: "RoundRobin" })],
      origin: { kind: "http" },
    });
    expect(result.message.tables[0]?.target).not.toHaveProperty("structure");
  });

  it("lists every invalid field as a JSON pointer", async () => {
    const result = await submitOnboarding(
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

  it("refuses duplicate tables, even differing only in case", async () => {
    const result = await submitOnboarding(
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

  it("refuses a non-JSON content type and an oversized body", async () => {
    expect(await submitOnboarding(deps(), input(valid, {}, "text/plain"))).toMatchObject({
      refusal: { kind: "unsupportedMediaType", contentType: "text/plain" },
    });
    const big = { ...valid, callbackUrl: `https://x.example/${"a".repeat(300_000)}` };
    expect(await submitOnboarding(deps(), input(big))).toMatchObject({
      refusal: { kind: "bodyTooLarge", limit: 256 * 1024 },
    });
  });

  it("refuses a link the configuration does not allow", async () => {
    const result = await submitOnboarding(
      deps(),
      input({ ...valid, workspace: "demo", linkConnection: "x" }),
    );
    expect(result).toMatchObject({ kind: "accepted" });
    const refused = await submitOnboarding(
      deps({ routing: { rules: [], allowedLinks: [{ workspace: "demo", linkConnection: "demo-link" }] } }),
      input({ ...valid, linkConnection: "other-link" }),
    );
    expect(refused).toMatchObject({
      refusal: { kind: "linkNotAllowed", link: { workspace: "demo", linkConnection: "other-link" } },
    });
  });

  it("requires the workspace when several are configured", async () => {
    const result = await submitOnboarding(deps({ workspaces: ["demo", "prod"] }), input(valid));
    expect(result).toMatchObject({ refusal: { kind: "workspaceRequired", configured: ["demo", "prod"] } });
  });

  it("gives the same requestId for the same Idempotency-Key and body, and refuses another body", async () => {
    const d = deps();
    const first = await submitOnboarding(d, input(valid, { "Idempotency-Key": "k-1" }));
    const again = await submitOnboarding(d, input(valid, { "Idempotency-Key": "k-1" }));
    expect(
      first.kind === "accepted" && again.kind === "accepted" && first.requestId === again.requestId,
    ).toBe(true);
    const other = await submitOnboarding(
      d,
      input({ ...valid, tables: [{ schema: "dbo", name: "B" }] }, { "Idempotency-Key": "k-1" }),
    );
    expect(other).toMatchObject({
      refusal: {
        kind: "idempotencyKeyReused",
        key: "k-1",
        requestId: first.kind === "accepted" ? first.requestId : "",
      },
    });
  });

  it("checks the signature before parsing and refuses a replayed webhook-id", async () => {
    const d = deps({ webhookSecrets: [secret] });
    const ts = Math.floor(now.getTime() / 1000);
    expect(await submitOnboarding(d, input("{not json"))).toMatchObject({
      refusal: { kind: "signatureInvalid", header: "webhook-id" },
    });
    const body = JSON.stringify(valid);
    const signed = {
      "webhook-id": "msg_9",
      "webhook-timestamp": String(ts),
      "webhook-signature": sign(secret, "msg_9", ts, body),
    };
    expect((await submitOnboarding(d, input(body, signed))).kind).toBe("accepted");
    expect(await submitOnboarding(d, input(body, signed))).toMatchObject({
      refusal: { kind: "webhookReplayed", webhookId: "msg_9" },
    });
  });
});
