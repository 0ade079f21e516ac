/**
 * openapi.json checked against what the REAL registered HTTP functions return: every response
 * (status, content type, body, required headers) is validated with ajv against the schema the
 * document gives for that path, method and status, and every documented status is produced at
 * least once. Behind the handlers: Azurite (ledger), the Synapse simulator over HTTP, and the dev
 * host's durable client API over a replay driver running the real link worker.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { ReplayDriver } from "../../dev/durable";
import { invokeFunction, startDurableClientApi, type DurableClientApi } from "../../dev/host";
import { demoSeed, startSynapseSim, type SynapseSim } from "../../dev/synapse-sim";
import { getDependencies } from "../../shared/dependencies";
import { MAX_IDENTIFIER_LENGTH } from "../../shared/domain/tableName";
import { REQUEST_STATUSES, TABLE_STATUSES } from "../../shared/domain/tableStatus";
import { DISTRIBUTIONS, STRUCTURES } from "../../shared/domain/tableTarget";
import {
  MAX_TABLES_PER_REQUEST,
  onboardingRequestBodySchema,
} from "../../shared/intake/onboardingRequestBody";
import { ONBOARDING_QUEUE, queueMessageSchema } from "../../shared/intake/queueMessage";
import { MAX_BODY_BYTES } from "../../shared/intake/submitOnboarding";
import {
  describeThrown,
  HTTP_FUNCTION_MODULES,
  invokeHttp,
  loadFunctions,
  OpenApiContract,
  useAppSettings,
  webhookHeaders,
  webhookSecret,
  type HttpCall,
  type HttpResult,
} from "../support/httpFunctions";

// The stand-in first, then the modules: the HTTP API plus the queue trigger and the link worker,
// so a request can travel all the way to Replicating and the GET endpoints show real data.
// The dashboard's read routes too; the page itself (dashboard) serves HTML and is tested in
// test/unit/functions/dashboard.test.ts and test/e2e/dashboard.e2e.test.ts.
const DASHBOARD_PAGE = "dashboard";
const registry = loadFunctions(
  ...HTTP_FUNCTION_MODULES,
  "onboardingList",
  "linksList",
  DASHBOARD_PAGE,
  "onboardingQueue",
  "linkWorker",
);
const contract = OpenApiContract.load();

const SIM_TOKEN = "http-contract-token";
const SECRET = webhookSecret("http-contract-secret-0123456789");
const JSON_HEADERS = { "content-type": "application/json" };

const ONBOARDING = "/api/onboarding";
const REQUEST = "/api/onboarding/{requestId}";
const NOW_ISO = "2026-01-05T08:00:00.000Z";
const LINK = "/api/links/{workspace}/{linkConnection}";
const DETACH = "/api/links/{workspace}/{linkConnection}/tables/{table}/detach";
const ATTACH = "/api/links/{workspace}/{linkConnection}/tables/{table}/attach";

let azurite: RunningAzurite;
let sim: SynapseSim;
let driver: ReplayDriver;
let durable: DurableClientApi;
let restoreSettings: () => void;

beforeAll(async () => {
  azurite = await startAzurite();
  driver = new ReplayDriver({ registry, startTime: new Date("2026-01-05T08:00:00Z") });
  // The simulator runs on the driver's virtual clock: table progress and durable timers agree.
  sim = await startSynapseSim({ seed: demoSeed(), token: SIM_TOKEN, clock: () => driver.now });
  durable = await startDurableClientApi(driver);
  restoreSettings = useAppSettings({
    AzureWebJobsStorage: azurite.connectionString,
    LEDGER_TABLE_NAME: `contract${process.pid}`,
    SYNAPSE_WORKSPACES: `demo=${sim.url}`,
    SYNAPSE_STATIC_TOKEN: SIM_TOKEN,
    ALLOWED_LINKS: "demo/*",
    ROUTING_RULES: undefined,
    WEBHOOK_SECRET: undefined,
  });
}, 60_000);

afterAll(async () => {
  await durable.close();
  await sim.close();
  await azurite.stop();
  restoreSettings();
});

/** (path, method, status) triples the tests produced and found conforming. */
const observed = new Set<string>();

/** Checks one real response against openapi.json and records that its status was produced. */
function expectConforms(path: string, method: string, result: HttpResult): HttpResult {
  if (result.thrown !== undefined) {
    throw new Error(
      `${method} ${path}: the handler threw (the host answers 500): ${describeThrown(result.thrown)}`,
    );
  }
  expect(contract.violations(path, method, result)).toEqual([]);
  observed.add(`${method.toUpperCase()} ${path} ${result.status}`);
  return result;
}

const postOnboarding = (body: string | object, headers: Record<string, string> = JSON_HEADERS) =>
  invokeHttp(registry, "onboardingHttp", {
    path: ONBOARDING,
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const getRequest = (requestId: string, query = "") =>
  invokeHttp(registry, "onboardingStatus", {
    method: "GET",
    path: `/api/onboarding/${encodeURIComponent(requestId)}${query}`,
    params: { requestId },
  });

const getLink = (workspace: string, linkConnection: string) =>
  invokeHttp(registry, "linkStatus", {
    method: "GET",
    path: `/api/links/${workspace}/${encodeURIComponent(linkConnection)}`,
    params: { workspace, linkConnection },
    durableClient: durable.durableClientData,
  });

/** A detach or attach call, checked against the contract. */
const windowCall = async (
  operation: "detach" | "attach",
  workspace: string,
  linkConnection: string,
  table: string,
) =>
  expectConforms(
    operation === "detach" ? DETACH : ATTACH,
    "post",
    await invokeHttp(registry, `${operation}Table`, {
      path: `/api/links/${workspace}/${linkConnection}/tables/${encodeURIComponent(table)}/${operation}`,
      params: { workspace, linkConnection, table },
    } satisfies HttpCall),
  );

/** Delivers a queued message to the real queue trigger, then lets the link worker run to rest. */
async function deliver(message: unknown): Promise<void> {
  const queueFunction = registry.get("onboardingQueue");
  if (!queueFunction) throw new Error("onboardingQueue is not registered");
  await invokeFunction(queueFunction, message, {
    durableClientData: durable.durableClientData,
    triggerMetadata: { id: `msg-${Date.now()}`, dequeueCount: 1 },
    logHandler: () => undefined,
  });
  await durable.pump.idle();
}

describe("openapi.json describes the registered functions", () => {
  it("is OpenAPI 3.1 with the function key as its security", () => {
    expect(contract.doc.openapi).toBe("3.1.0");
    const schemes = Object.values(contract.doc.components.securitySchemes);
    expect(schemes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "apiKey", in: "query", name: "code" }),
        expect.objectContaining({ type: "apiKey", in: "header", name: "x-functions-key" }),
      ]),
    );
    expect(contract.doc.security?.length).toBeGreaterThanOrEqual(2);
  });

  it("documents every HTTP function with its route, method and operationId, all at authLevel function", () => {
    const documented = Object.entries(contract.doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({ path, method, operation })),
    );
    const httpFunctions = [...registry.values()].filter(
      (f) =>
        f.metadata.name !== DASHBOARD_PAGE &&
        Object.values(f.metadata.bindings).some((b) => b.type === "httpTrigger"),
    );
    expect(documented.map((d) => d.operation.operationId).sort()).toEqual(
      httpFunctions.map((f) => f.metadata.name).sort(),
    );
    for (const { path, method, operation } of documented) {
      const fn = registry.get(operation.operationId);
      const trigger = Object.values(fn?.metadata.bindings ?? {}).find((b) => b.type === "httpTrigger");
      expect({ operation: operation.operationId, route: `/api/${String(trigger?.route)}` }).toEqual({
        operation: operation.operationId,
        route: path,
      });
      expect(trigger?.methods).toEqual([method.toUpperCase()]);
      expect(trigger?.authLevel).toBe("function");
    }
  });

  it("lists exactly the problem types the code can emit, each under a status the code uses it with", () => {
    const emitted = new Map<string, Set<number>>();
    const sourceFiles = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? sourceFiles(join(dir, entry.name))
          : entry.name.endsWith(".ts")
            ? [join(dir, entry.name)]
            : [],
      );
    const root = join(__dirname, "..", "..");
    for (const file of [...sourceFiles(join(root, "functions")), ...sourceFiles(join(root, "shared"))]) {
      for (const match of readFileSync(file, "utf8").matchAll(
        /\bproblem\(\s*(\d{3})\s*,\s*"([a-z0-9-]+)"/g,
      )) {
        const urn = `urn:synapse-link-autopilot:problem:${match[2] ?? ""}`;
        const statuses = emitted.get(urn) ?? new Set<number>();
        statuses.add(Number(match[1]));
        emitted.set(urn, statuses);
      }
    }
    const problemType = contract.doc.components.schemas.ProblemType as { anyOf: { const: string }[] };
    const listed = problemType.anyOf.map((t) => t.const);
    expect([...listed].sort()).toEqual([...emitted.keys()].sort());

    // Each (status, type) pair the code emits is allowed by at least one documented response.
    const allowed = new Set<string>();
    for (const operations of Object.values(contract.doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const schema = response.content?.["application/problem+json"]?.schema as
            { allOf?: { properties?: { type?: { enum?: string[] } } }[] } | undefined;
          for (const urn of schema?.allOf?.[1]?.properties?.type?.enum ?? []) allowed.add(`${status} ${urn}`);
        }
      }
    }
    for (const [urn, statuses] of emitted) {
      for (const status of statuses) expect(allowed).toContain(`${status} ${urn}`);
    }
  });

  it("uses the domain's enums and limits", () => {
    const schemas = contract.doc.components.schemas as Record<string, Record<string, unknown>>;
    expect(schemas.Distribution?.enum).toEqual([...DISTRIBUTIONS]);
    expect(schemas.Structure?.enum).toEqual([...STRUCTURES]);
    expect(schemas.TableStatus?.enum).toEqual([...TABLE_STATUSES]);
    expect(schemas.RequestStatus?.enum).toEqual([...REQUEST_STATUSES]);
    expect(schemas.SqlIdentifier?.maxLength).toBe(MAX_IDENTIFIER_LENGTH);
    const body = schemas.OnboardingRequest as {
      properties: { tables: { minItems: number; maxItems: number } };
    };
    expect(body.properties.tables).toMatchObject({ minItems: 1, maxItems: MAX_TABLES_PER_REQUEST });
    expect(contract.operation(ONBOARDING, "post").requestBody?.content["application/json"]).toBeDefined();
    expect(JSON.stringify(contract.operation(ONBOARDING, "post"))).toContain(String(MAX_BODY_BYTES));
  });

  it("gives the request body schema the same verdict as onboardingRequestBodySchema", () => {
    const validate = contract.schemaValidator("OnboardingRequest");
    const table = { schema: "dbo", name: "Orders" };
    const id129 = "x".repeat(129);
    const corpus: unknown[] = [
      ...Object.values(
        contract.operation(ONBOARDING, "post").requestBody?.content["application/json"]?.examples ?? {},
      ).map((e) => e.value),
      { linkConnection: "demo-link", tables: [table] },
      {
        workspace: "demo",
        linkConnection: "Demo Link_1.x",
        tables: [table],
        callbackUrl: "https://e.org/h?a=1",
      },
      {
        linkConnection: "l",
        tables: [{ ...table, target: { distribution: "Hash", distributionColumn: "Id" } }],
      },
      {
        linkConnection: "l",
        tables: [{ ...table, target: { distribution: "Replicate", structure: "Heap" } }],
      },
      { linkConnection: "l", tables: [{ schema: "x".repeat(128), name: "é€😀" }] },
      {
        linkConnection: "l",
        tables: Array.from({ length: 500 }, (_, i) => ({ schema: "s", name: `t${i}` })),
      },
      // refused by both
      [],
      null,
      "text",
      {},
      { linkConnection: "l", tables: [] },
      {
        linkConnection: "l",
        tables: Array.from({ length: 501 }, (_, i) => ({ schema: "s", name: `t${i}` })),
      },
      { linkConnection: "l", tables: [table], extra: 1 },
      { linkConnection: "l", tables: [{ ...table, extra: 1 }] },
      { linkConnection: "l", tables: [{ ...table, target: { extra: 1 } }] },
      { linkConnection: "l", tables: [{ ...table, target: { distribution: "Hash" } }] },
      { linkConnection: "l", tables: [{ ...table, target: { distributionColumn: "Id" } }] },
      {
        linkConnection: "l",
        tables: [{ ...table, target: { distribution: "RoundRobin", distributionColumn: "Id" } }],
      },
      { linkConnection: "l", tables: [{ ...table, target: { distribution: "hash" } }] },
      { linkConnection: "l", tables: [{ ...table, target: { structure: "CCI" } }] },
      { linkConnection: "l", tables: [{ schema: id129, name: "t" }] },
      { linkConnection: "l", tables: [{ schema: "s", name: "" }] },
      { linkConnection: "l", tables: [{ schema: "s", name: "a\u0007b" }] },
      { linkConnection: "l", tables: [{ schema: "s", name: "a\u0085b" }] },
      { linkConnection: "l", tables: [{ schema: "s", name: 1 }] },
      { linkConnection: "l", tables: [{ schema: "s" }] },
      { linkConnection: "x".repeat(141), tables: [table] },
      { linkConnection: "-l", tables: [table] },
      { linkConnection: "l/x", tables: [table] },
      { workspace: "Demo", linkConnection: "l", tables: [table] },
      { workspace: "-demo", linkConnection: "l", tables: [table] },
      { workspace: "d".repeat(51), linkConnection: "l", tables: [table] },
      { workspace: null, linkConnection: "l", tables: [table] },
      { linkConnection: "l", tables: [table], callbackUrl: "http://e.org/h" },
      { linkConnection: "l", tables: [table], callbackUrl: "not a url" },
      { linkConnection: "l", tables: [table], callbackUrl: 42 },
    ];
    const disagreements = corpus
      .map((body) => ({
        body,
        zod: onboardingRequestBodySchema.safeParse(body).success,
        schema: validate(body),
      }))
      .filter((verdict) => verdict.zod !== verdict.schema)
      .map((v) => `${JSON.stringify(v.body).slice(0, 160)}: zod ${v.zod}, openapi ${v.schema}`);
    expect(disagreements).toEqual([]);

    // The one rule JSON Schema cannot state (documented in the operation's description): duplicates.
    const duplicates = { linkConnection: "l", tables: [table, { schema: "DBO", name: "orders" }] };
    expect(onboardingRequestBodySchema.safeParse(duplicates).success).toBe(false);
    expect(validate(duplicates)).toBe(true);
    expect(contract.operation(ONBOARDING, "post")).toMatchObject({
      description: expect.stringMatching(/[Dd]uplicate tables/),
    });
  });
});

describe("POST /api/onboarding, GET /api/onboarding/{requestId}, GET /api/links/{workspace}/{linkConnection}", () => {
  let accepted: { requestId: string; statusUrl: string };
  let acceptedMessage: unknown;

  it("202: queues a request, with Location = statusUrl and a valid queue message", async () => {
    const body = {
      workspace: "demo",
      linkConnection: "demo-link",
      tables: [
        {
          schema: "dbo",
          name: "Orders",
          target: {
            distribution: "Hash",
            distributionColumn: "OrderId",
            structure: "ClusteredColumnstoreIndex",
          },
        },
        { schema: "dbo", name: "Customers" },
        // Seeded without a primary key: the service fails it, so a table reports an error.
        { schema: "dbo", name: "AuditLog", target: { structure: "Heap" } },
      ],
    };
    // Delivered to the worker below, so no callbackUrl (the worker would call it).
    const result = expectConforms(ONBOARDING, "post", await postOnboarding(body));
    expect(result.status).toBe(202);
    accepted = result.json as typeof accepted;
    expect(result.headers.get("location")).toBe(accepted.statusUrl);
    expect(accepted.statusUrl).toMatch(new RegExp(`/api/onboarding/${accepted.requestId}\\?accepted=`));
    acceptedMessage = result.queueOutputs[ONBOARDING_QUEUE];
    const message = queueMessageSchema.parse(acceptedMessage);
    expect(message).toMatchObject({
      requestId: accepted.requestId,
      action: "add",
      linkConnection: "demo-link",
    });
    expect(Object.keys(result.outputs)).toHaveLength(1);

    const withCallback = { ...body, callbackUrl: "https://example.org/hooks/onboarding" };
    const queued = expectConforms(ONBOARDING, "post", await postOnboarding(withCallback));
    expect(queueMessageSchema.parse(queued.queueOutputs[ONBOARDING_QUEUE])).toMatchObject({
      callbackUrl: withCallback.callbackUrl,
    });
  });

  it("200: GET the request once the queue trigger and the link worker handled it (404 before)", async () => {
    // Not yet delivered to the queue trigger: the ledger does not know it. The statusUrl's
    // acceptance token tells "accepted a moment ago" (Queued) from unknown (404).
    expect(expectConforms(REQUEST, "get", await getRequest(accepted.requestId)).status).toBe(404);
    const query = new URL(accepted.statusUrl).search;
    const early = expectConforms(REQUEST, "get", await getRequest(accepted.requestId, query));
    expect(early.json).toMatchObject({
      requestId: accepted.requestId,
      workspace: "demo",
      linkConnection: "demo-link",
      status: "Queued",
      tables: [],
    });
    // One character of the token changed (always to a different one).
    const forged = `${query.slice(0, -2)}${query.at(-2) === "A" ? "B" : "A"}${query.slice(-1)}`;
    expect(forged).not.toBe(query);
    expect(expectConforms(REQUEST, "get", await getRequest(accepted.requestId, forged)).status).toBe(404);
    expect(expectConforms(REQUEST, "get", await getRequest("someone-elses-id", query)).status).toBe(404);

    await deliver(acceptedMessage);
    const result = expectConforms(REQUEST, "get", await getRequest(accepted.requestId));
    expect(result.status).toBe(200);
    const view = result.json as {
      status: string;
      tables: { name: string; status: string; error?: string }[];
    };
    expect(view.tables.map((t) => t.name)).toEqual(["Orders", "Customers", "AuditLog"]);
    expect(view.tables.find((t) => t.name === "Orders")?.status).toBe("Replicating");
    expect(view.tables.find((t) => t.name === "AuditLog")).toMatchObject({
      status: "Failed",
      error: expect.any(String),
    });
    expect(view.status).toBe("PartiallySucceeded");
  });

  it("404: GET an unknown request", async () => {
    const result = expectConforms(REQUEST, "get", await getRequest("00000000-0000-4000-8000-000000000000"));
    expect(result.status).toBe(404);
  });

  it("200: GET a link: its service status, its worker and every tracked table", async () => {
    const result = expectConforms(LINK, "get", await getLink("demo", "demo-link"));
    expect(result.status).toBe(200);
    const body = result.json as {
      linkStatus: string;
      worker: { running: boolean };
      tables: { schema: string; name: string; status: string; requestId?: string }[];
    };
    expect(body.linkStatus).toBe("Running");
    expect(body.worker.running).toBe(false);
    expect(body.tables.find((t) => t.name === "Orders")).toMatchObject({ status: "Replicating" });

    // A link the app never touched: no tables.
    const other = expectConforms(LINK, "get", await getLink("demo", "other-link"));
    expect(other.status).toBe(200);
  });

  it("200: GET a link while Synapse is down: the worker's fault, the open breaker, and the tables the ledger knows", async () => {
    const { ledger } = getDependencies();
    const inAMinute = new Date(Date.now() + 60_000).toISOString();
    await ledger.saveBreaker("demo", { failures: 5, openUntil: inAMinute, lastError: "HTTP 503" });
    await ledger.saveWorkerHealth(
      { workspace: "demo", linkConnection: "demo-link" },
      {
        fault: "Synapse answered 503",
        faultAt: NOW_ISO,
        retryAt: inAMinute,
        consecutiveFaults: 3,
        updatedAt: NOW_ISO,
      },
    );
    sim.addFault({ kind: "status", status: 503 });
    try {
      const result = expectConforms(LINK, "get", await getLink("demo", "demo-link"));
      expect(result.status).toBe(200);
      expect(result.json).toMatchObject({
        linkStatus: "Unavailable",
        serviceError: expect.stringMatching(/503/),
        worker: { fault: "Synapse answered 503", retryAt: inAMinute, consecutiveFaults: 3 },
        breaker: { state: "open", failures: 5, openUntil: inAMinute },
      });
      expect((result.json as { tables: unknown[] }).tables.length).toBeGreaterThan(0);
    } finally {
      sim.clearFaults();
      await ledger.saveBreaker("demo", { failures: 0 });
      await ledger.saveWorkerHealth(
        { workspace: "demo", linkConnection: "demo-link" },
        { consecutiveFaults: 0, updatedAt: NOW_ISO },
      );
    }
  });

  it("403 and 404: GET a link of an unconfigured workspace / a link that does not exist", async () => {
    expect(expectConforms(LINK, "get", await getLink("elsewhere", "demo-link")).status).toBe(403);
    expect(expectConforms(LINK, "get", await getLink("demo", "no-such-link")).status).toBe(404);
  });

  it("400: GET a link whose route parameters are not valid names", async () => {
    const invalid = expectConforms(LINK, "get", await getLink("Not_A_Workspace", "demo-link"));
    expect(invalid.status).toBe(400);
    expect((invalid.json as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toEqual([
      "workspace",
    ]);
  });

  it("400: malformed JSON and an invalid body, every invalid field listed", async () => {
    const malformed = expectConforms(
      ONBOARDING,
      "post",
      await postOnboarding('{"linkConnection": "demo-link",'),
    );
    expect(malformed.status).toBe(400);
    const invalid = expectConforms(
      ONBOARDING,
      "post",
      await postOnboarding({
        linkConnection: "demo-link",
        tables: [{ schema: "dbo", name: "", target: { distribution: "Hash" } }],
        callbackUrl: "http://example.org",
        color: "blue",
      }),
    );
    expect(invalid.status).toBe(400);
    expect((invalid.json as { errors: { pointer: string }[] }).errors.map((e) => e.pointer).sort()).toEqual(
      ["/callbackUrl", "/color", "/tables/0/name", "/tables/0/target/distributionColumn"].sort(),
    );
  });

  it("403: a link the configuration does not allow", async () => {
    const result = expectConforms(
      ONBOARDING,
      "post",
      await postOnboarding({
        workspace: "elsewhere",
        linkConnection: "demo-link",
        tables: [{ schema: "a", name: "b" }],
      }),
    );
    expect(result.status).toBe(403);
  });

  it("202: an Idempotency-Key repeated with the same body gets the same requestId; with another body, a request recorded as Rejected", async () => {
    const headers = { ...JSON_HEADERS, "idempotency-key": `contract-${Date.now()}` };
    const body = { linkConnection: "demo-link", tables: [{ schema: "a", name: "b" }] };
    const first = expectConforms(ONBOARDING, "post", await postOnboarding(body, headers));
    const same = expectConforms(ONBOARDING, "post", await postOnboarding(body, headers));
    const firstId = (first.json as { requestId: string }).requestId;
    expect((same.json as { requestId: string }).requestId).toBe(firstId);
    const other = expectConforms(
      ONBOARDING,
      "post",
      await postOnboarding({ ...body, tables: [{ schema: "a", name: "c" }] }, headers),
    );
    expect(other.status).toBe(202);
    const otherId = (other.json as { requestId: string }).requestId;
    expect(otherId).not.toBe(firstId);

    await deliver(first.queueOutputs[ONBOARDING_QUEUE]);
    await deliver(other.queueOutputs[ONBOARDING_QUEUE]);
    const rejected = expectConforms(REQUEST, "get", await getRequest(otherId));
    expect(rejected.json).toMatchObject({
      status: "Rejected",
      error: expect.stringContaining(`first used for a different request (${firstId})`),
    });
  });

  it("413: more tables than one queue message can carry", async () => {
    const tables = Array.from({ length: 400 }, (_, i) => ({
      schema: "dbo",
      name: `T${i}_${"n".repeat(120)}`,
    }));
    const result = expectConforms(
      ONBOARDING,
      "post",
      await postOnboarding({ linkConnection: "demo-link", tables }),
    );
    expect(result.status).toBe(413);
    expect(result.json).toMatchObject({ type: "urn:synapse-link-autopilot:problem:request-too-large" });
    expect(result.queueOutputs).toEqual({});
  });

  it("413: a body over 256 KiB, declared or not", async () => {
    const big = JSON.stringify({
      linkConnection: "demo-link",
      tables: [{ schema: "a", name: "b" }],
      pad: "x".repeat(MAX_BODY_BYTES),
    });
    expect(expectConforms(ONBOARDING, "post", await postOnboarding(big)).status).toBe(413);
    const declared = await postOnboarding(big, {
      ...JSON_HEADERS,
      "content-length": String(Buffer.byteLength(big)),
    });
    expect(expectConforms(ONBOARDING, "post", declared).status).toBe(413);
  });

  it("415: a body that is not JSON", async () => {
    const result = expectConforms(
      ONBOARDING,
      "post",
      await postOnboarding("linkConnection=demo-link", {
        "content-type": "application/x-www-form-urlencoded",
      }),
    );
    expect(result.status).toBe(415);
  });

  describe("with WEBHOOK_SECRET", () => {
    let restore: () => void;
    beforeAll(() => {
      restore = useAppSettings({ WEBHOOK_SECRET: SECRET });
    });
    afterAll(() => {
      restore();
    });

    it("401: no signature; 202 twice with one requestId: a signed delivery and its replay", async () => {
      const body = JSON.stringify({
        linkConnection: "demo-link",
        tables: [{ schema: "dbo", name: "Products" }],
      });
      const unsigned = expectConforms(ONBOARDING, "post", await postOnboarding(body));
      expect(unsigned.status).toBe(401);

      const headers = { ...JSON_HEADERS, ...webhookHeaders(SECRET, body) };
      const first = expectConforms(ONBOARDING, "post", await postOnboarding(body, headers));
      expect(first.status).toBe(202);
      const replay = expectConforms(ONBOARDING, "post", await postOnboarding(body, headers));
      expect(replay.status).toBe(202);
      expect(replay.json).toMatchObject({ requestId: (first.json as { requestId: string }).requestId });
    });

    it("401: detach and attach without a signature", async () => {
      expect((await windowCall("detach", "demo", "other-link", "dbo.Legacy")).status).toBe(401);
      expect((await windowCall("attach", "demo", "other-link", "dbo.Legacy")).status).toBe(401);
    });
  });
});

describe("POST /api/links/{workspace}/{linkConnection}/tables/{table}/detach|attach", () => {
  it("202: detach a linked table, then 202: attach it again", async () => {
    const detach = await windowCall("detach", "demo", "other-link", "dbo.Legacy");
    expect(detach.status).toBe(202);
    expect(detach.headers.get("location")).toBe((detach.json as { statusUrl: string }).statusUrl);
    expect(queueMessageSchema.parse(detach.queueOutputs[ONBOARDING_QUEUE])).toMatchObject({
      action: "remove",
    });

    const attach = await windowCall("attach", "demo", "other-link", "dbo.Legacy");
    expect(attach.status).toBe(202);
    expect(queueMessageSchema.parse(attach.queueOutputs[ONBOARDING_QUEUE])).toMatchObject({
      action: "reAdd",
    });
  });

  it("400: a table that is not {schema}.{table}", async () => {
    for (const table of ["Legacy", ".Legacy", "dbo.", `dbo.${"x".repeat(129)}`, "dbo.a\u0000b"]) {
      expect((await windowCall("detach", "demo", "other-link", table)).status).toBe(400);
      expect((await windowCall("attach", "demo", "other-link", table)).status).toBe(400);
    }
  });

  it("403: a link the configuration does not allow", async () => {
    expect((await windowCall("detach", "elsewhere", "x", "dbo.Legacy")).status).toBe(403);
    expect((await windowCall("attach", "elsewhere", "x", "dbo.Legacy")).status).toBe(403);
  });

  it("409: detach a table that is not linked; attach a table that is not detached", async () => {
    expect((await windowCall("detach", "demo", "other-link", "dbo.Nope")).status).toBe(409);
    expect((await windowCall("attach", "demo", "other-link", "dbo.Nope")).status).toBe(409);
  });

  it("404: detach from a link that does not exist", async () => {
    expect((await windowCall("detach", "demo", "no-such-link", "dbo.Legacy")).status).toBe(404);
  });

  it("404: attach to a link that does not exist", async () => {
    expect((await windowCall("attach", "demo", "no-such-link", "dbo.Legacy")).status).toBe(404);
  });
});

describe("GET /api/onboarding (list), GET /api/links", () => {
  const list = (query: string) =>
    invokeHttp(registry, "onboardingList", { method: "GET", path: `${ONBOARDING}${query}` });
  const links = (query: string) =>
    invokeHttp(registry, "linksList", {
      method: "GET",
      path: `/api/links${query}`,
      durableClient: durable.durableClientData,
    });

  it("200: lists the requests recorded above, newest first, with a token between pages", async () => {
    const first = expectConforms(ONBOARDING, "get", await list("?limit=1&link=demo/demo-link"));
    expect(first.status).toBe(200);
    const body = first.json as {
      requests: { requestId: string; createdAt: string }[];
      continuationToken?: string;
    };
    expect(body.requests).toHaveLength(1);
    expect(body.continuationToken).toBeDefined();
    const next = expectConforms(
      ONBOARDING,
      "get",
      await list(
        `?limit=1&link=demo/demo-link&continuationToken=${encodeURIComponent(body.continuationToken!)}`,
      ),
    );
    const older = (next.json as typeof body).requests[0];
    expect(older && older.createdAt <= body.requests[0]!.createdAt).toBe(true);
    expect(older?.requestId).not.toBe(body.requests[0]?.requestId);
    const filtered = expectConforms(ONBOARDING, "get", await list("?status=Succeeded,PartiallySucceeded"));
    expect((filtered.json as typeof body).requests.length).toBeGreaterThan(0);
  });

  it("400: a query parameter that is not valid", async () => {
    const result = expectConforms(ONBOARDING, "get", await list("?status=Done&since=yesterday"));
    expect(result.status).toBe(400);
    expect((result.json as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toEqual([
      "status",
      "since",
    ]);
  });

  it("200: lists demo-link with its service status and tables by status; 400: a token it did not give", async () => {
    const result = expectConforms("/api/links", "get", await links(""));
    expect(result.status).toBe(200);
    const demo = (
      result.json as { links: { linkConnection: string; linkStatus: string; tables: object }[] }
    ).links.find((l) => l.linkConnection === "demo-link");
    expect(demo).toMatchObject({ linkStatus: "Running", tables: { Replicating: expect.any(Number) } });
    expect(expectConforms("/api/links", "get", await links("?continuationToken=nope")).status).toBe(400);
  });
});

describe("coverage", () => {
  it("produced every documented status of every operation", () => {
    const documented = Object.entries(contract.doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.keys(operation.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
      ),
    );
    expect(documented.filter((key) => !observed.has(key))).toEqual([]);
    console.log(`contract: ${observed.size} documented (operation, status) pairs produced and validated`);
  });
});
