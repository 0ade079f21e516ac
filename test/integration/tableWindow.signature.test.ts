/**
 * Issue 9 item 8: `detach` and `attach` (the most destructive routes: a detach takes a table out of
 * replication) require the same Standard Webhooks signature as `POST /api/onboarding` when
 * WEBHOOK_SECRET is set. The REAL registered HTTP functions, with Azurite behind the ledger and the
 * Synapse simulator over HTTP.
 */
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { demoSeed, startSynapseSim, type SynapseSim } from "../../dev/synapse-sim";
import { getDependencies } from "../../shared/dependencies";
import { ONBOARDING_QUEUE } from "../../shared/intake/queueMessage";
import {
  invokeHttp,
  loadHttpFunctions,
  useAppSettings,
  webhookHeaders,
  webhookSecret,
  type HttpResult,
} from "../support/httpFunctions";

const registry = loadHttpFunctions();
const SIM_TOKEN = "table-window-signature-token";
const SECRET = webhookSecret("table-window-secret-0123456789");
const OTHER_SECRET = webhookSecret("some-other-secret-0123456789");
const link = { workspace: "demo", linkConnection: "other-link" };
const legacy = { schema: "dbo", name: "Legacy" };

let azurite: RunningAzurite;
let sim: SynapseSim;
let restore: () => void;

beforeAll(async () => {
  azurite = await startAzurite();
  sim = await startSynapseSim({ seed: demoSeed(), token: SIM_TOKEN });
  restore = useAppSettings({
    AzureWebJobsStorage: azurite.connectionString,
    LEDGER_TABLE_NAME: `window${process.pid}`,
    SYNAPSE_WORKSPACES: `demo=${sim.url}`,
    SYNAPSE_STATIC_TOKEN: SIM_TOKEN,
    ALLOWED_LINKS: "demo/*",
    WEBHOOK_SECRET: SECRET,
  });
}, 60_000);

afterAll(async () => {
  restore();
  await sim.close();
  await azurite.stop();
});

function call(operation: "detach" | "attach", headers: Record<string, string>, table = "dbo.Legacy") {
  return invokeHttp(registry, `${operation}Table`, {
    path: `/api/links/demo/other-link/tables/${table}/${operation}`,
    params: { ...link, table },
    headers,
  });
}

function expectUnauthorized(result: HttpResult, pointer: string) {
  expect(result.status).toBe(401);
  expect(result.mediaType).toBe("application/problem+json");
  expect(result.json).toMatchObject({
    type: "urn:synapse-link-autopilot:problem:invalid-signature",
    status: 401,
    errors: [{ pointer }],
  });
  expect(result.queueOutputs).toEqual({});
}

describe("detach and attach with WEBHOOK_SECRET set", () => {
  it.each(["detach", "attach"] as const)(
    "401: an unsigned %s is refused and nothing is queued",
    async (operation) => {
      expectUnauthorized(await call(operation, {}), "webhook-id");
      expect(await getDependencies().ledger.isDetached(link, legacy)).toBe(false);
    },
  );

  it("401: a detach signed with another secret, or with a stale timestamp", async () => {
    expectUnauthorized(await call("detach", webhookHeaders(OTHER_SECRET, "")), "webhook-signature");
    const stale = Math.floor(Date.now() / 1000) - 3600;
    expectUnauthorized(
      await call("detach", webhookHeaders(SECRET, "", { timestamp: stale })),
      "webhook-timestamp",
    );
    expect(await getDependencies().ledger.isDetached(link, legacy)).toBe(false);
  });

  it("202: a signed detach, its sender's retry gets the same request; 409: its webhook-id reused on another route", async () => {
    const detachHeaders = webhookHeaders(SECRET, "");
    const detach = await call("detach", detachHeaders);
    expect(detach.status).toBe(202);
    expect(detach.queueOutputs[ONBOARDING_QUEUE]).toMatchObject({ action: "remove" });
    expect(await getDependencies().ledger.isDetached(link, legacy)).toBe(true);
    const { requestId } = detach.json as { requestId: string };

    const retry = await call("detach", detachHeaders);
    expect(retry.status).toBe(202);
    expect(retry.json).toMatchObject({ requestId });

    // The signature covers the (empty) body, not the route: only the remembered webhook-id stops a
    // captured signed request from being replayed against another operation or table.
    const replay = await call("attach", detachHeaders);
    expect(replay.status).toBe(409);
    expect(replay.json).toMatchObject({
      type: "urn:synapse-link-autopilot:problem:webhook-id-reused",
      requestId,
    });
    expect(replay.queueOutputs).toEqual({});

    const attach = await call("attach", webhookHeaders(SECRET, ""));
    expect(attach.status).toBe(202);
    expect(attach.queueOutputs[ONBOARDING_QUEUE]).toMatchObject({ action: "reAdd" });
  });
});
