import { decodeSecret, sign } from "../../../shared/webhooks/standardWebhooks";
import { submitOnboarding, type SubmitDeps, type SubmitInput } from "../../../shared/intake/submitOnboarding";
import { InMemoryLedger } from "../../support/inMemoryLedger";

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
      tables: [
        {
          schema: "dbo",
          name: "Orders",
          target: { schema: "dbo", name: "Orders", distribution: "RoundRobin" },
        },
      ],
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
    expect(result.kind).toBe("problem");
    if (result.kind !== "problem") return;
    expect(result.problem.status).toBe(400);
    expect(result.problem.errors?.map((e) => e.pointer).sort()).toEqual([
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
    expect(result).toMatchObject({ kind: "problem", problem: { errors: [{ pointer: "/tables/1" }] } });
  });

  it("answers 415 for a non-JSON content type and 413 for an oversized body", async () => {
    expect(await submitOnboarding(deps(), input(valid, {}, "text/plain"))).toMatchObject({
      problem: { status: 415 },
    });
    const big = { ...valid, callbackUrl: `https://x.example/${"a".repeat(300_000)}` };
    expect(await submitOnboarding(deps(), input(big))).toMatchObject({ problem: { status: 413 } });
  });

  it("answers 403 for a link the configuration does not allow", async () => {
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
      problem: { status: 403, detail: expect.stringMatching(/demo\/other-link/) },
    });
  });

  it("requires the workspace when several are configured", async () => {
    const result = await submitOnboarding(deps({ workspaces: ["demo", "prod"] }), input(valid));
    expect(result).toMatchObject({ problem: { status: 400, errors: [{ pointer: "/workspace" }] } });
  });

  it("gives the same requestId for the same Idempotency-Key and body, and 409 for another body", async () => {
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
      problem: { status: 409, requestId: first.kind === "accepted" ? first.requestId : "" },
    });
  });

  it("checks the signature before parsing and refuses a replayed webhook-id", async () => {
    const d = deps({ webhookSecrets: [secret] });
    const ts = Math.floor(now.getTime() / 1000);
    expect(await submitOnboarding(d, input("{not json"))).toMatchObject({ problem: { status: 401 } });
    const body = JSON.stringify(valid);
    const signed = {
      "webhook-id": "msg_9",
      "webhook-timestamp": String(ts),
      "webhook-signature": sign(secret, "msg_9", ts, body),
    };
    expect((await submitOnboarding(d, input(body, signed))).kind).toBe("accepted");
    expect(await submitOnboarding(d, input(body, signed))).toMatchObject({ problem: { status: 409 } });
  });
});
