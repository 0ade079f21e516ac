/**
 * The real Synapse service's recorded responses, replayed through the real `@azure/synapse-artifacts`
 * client and the app's adapter, to check what the app makes of each.
 *
 * Sources (public; see docs/synapse-service-strings.md):
 * - REC-23: Azure/azure-cli, src/azure-cli/azure/cli/command_modules/synapse/tests/latest/recordings/
 *   test_link_connection.yaml — a real session against a workspace, api-version 2023-04-18-preview,
 *   recorded 2023-08-01. Bodies below are verbatim (whitespace compacted).
 * - Azure/azure-rest-api-specs issue #10500: the wrong-audience body.
 * - Azure/terraform-provider-azapi issue #1105: the 401 AuthenticationFailed body.
 * - microsoft/SynapseVSCode issue #51: the "Retry in 2131 seconds" throttling text (its headers were
 *   not shown, so the Retry-After header here carries the same 2131 s).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TokenCredential } from "@azure/core-auth";
import type { ArtifactsClientOptionalParams } from "@azure/synapse-artifacts";
import { resolveTarget } from "../../shared/domain/tableTarget";
import {
  ArtifactsSynapseLinkClient,
  type SynapseAuth,
} from "../../shared/synapse/artifactsSynapseLinkClient";
import { SynapseRequestError, SynapseThrottledError } from "../../shared/synapse/synapseLinkClient";

const LINK_ID_PATH =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/xiaoyuxing/providers/Microsoft.DataFactory/factories/xiaoyuxingtestne/linkconnections/linkconnectionfortest";

/** REC-23: GET of the link right after it was created (status 200). */
const GET_LINK = {
  id: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/xiaoyuxing/providers/Microsoft.Synapse/workspaces/xiaoyuxingtestne/linkconnections/linkconnectionfortest",
  name: "linkconnectionfortest",
  type: "Microsoft.Synapse/workspaces/linkconnections",
  properties: {
    sourceDatabase: {
      linkedService: { type: "LinkedServiceReference", referenceName: "AzureSqlDatabase1" },
      typeProperties: {
        resourceId:
          "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/CDC_DEVINT_BRS/providers/Microsoft.Sql/servers/adfcdctestbrs-1",
        principalId: "fdf7f09c-68ef-4e13-98df-f0e92f8d976e",
      },
    },
    targetDatabase: {
      linkedService: {
        type: "LinkedServiceReference",
        referenceName: "xiaoyuxingtestne-WorkspaceDefaultSqlServer",
        parameters: { DBName: "v2" },
      },
      typeProperties: {},
    },
    compute: { coreCount: 16, computeType: "General" },
    id: "0b100a8a-eb2f-4565-8ea8-17630bd35ee8",
  },
  etag: "13002cf0-0000-0c00-0000-64c8c86f0000",
};

const LINKED_TABLE = {
  id: "887e9d4df0fa4afaaad0d7a2c7f42d88",
  source: { tableName: "weather_history_300000_rows", schemaName: "dbo" },
  target: {
    tableName: "weather_history_300000_rows",
    schemaName: "dbo",
    distributionOptions: { type: "Round_RoBin" },
  },
};

/** REC-23: the edittables request the Azure CLI sent (undashed id, lower-case add, no structureOptions). */
const EDIT_TABLES_REQUEST = { linkTables: [{ ...LINKED_TABLE, operationType: "add" }] };

/** REC-23: edittables answered 200 with the whole link resource (Data Factory's type), new etag. */
const EDIT_TABLES_RESPONSE = {
  id: LINK_ID_PATH,
  name: "linkconnectionfortest",
  type: "Microsoft.DataFactory/factories/linkconnections",
  properties: { ...GET_LINK.properties, linkTables: [LINKED_TABLE] },
  etag: "14001f5a-0000-0c00-0000-64c8cad00000",
};

/** REC-23: detailedstatus right after start — no isApplyingChanges. */
const DETAILED_STATUS_STARTING = {
  name: "linkconnectionfortest",
  id: "0b100a8a-eb2f-4565-8ea8-17630bd35ee8",
  startTime: "2023-08-01T09:15:22.1651899Z",
  status: "Starting",
  continuousRunId: "accb5a0a-5c06-4a99-8fb4-fbf6a3479e9d",
  isPartiallyFailed: false,
  etag: "1400019b-0000-0c00-0000-64c8cd2c0000",
};

/** REC-23: detailedstatus after stop. */
const DETAILED_STATUS_STOPPING = {
  name: "linkconnectionfortest",
  id: "0b100a8a-eb2f-4565-8ea8-17630bd35ee8",
  startTime: "2023-08-01T09:15:22.1651899Z",
  stopTime: "2023-08-01T09:17:27.8578577Z",
  status: "Stopping",
  continuousRunId: "accb5a0a-5c06-4a99-8fb4-fbf6a3479e9d",
  isPartiallyFailed: false,
  etag: "14000fa7-0000-0c00-0000-64c8cda70000",
};

/** REC-23: linktables — items without `name` (and, in this recording, without an etag). */
const LINK_TABLES = { value: [LINKED_TABLE] };

/** REC-22/REC-23: GET after DELETE — 404, top-level body, not wrapped in `error`. */
const NOT_FOUND =
  '{"code":"NotFound","message":"The document could not be retrieved because it does not exist.",' +
  `"target":"${LINK_ID_PATH}","details":null,"error":null}`;

/** Azure/azure-rest-api-specs#10500: a token for the wrong audience. */
const WRONG_AUDIENCE = {
  code: "InvalidTokenAuthenticationAudience",
  message:
    "Token Authentication failed with SecurityTokenInvalidAudienceException - IDX10214: Audience validation failed. " +
    "Audiences: '[PII is hidden]'. Did not match: validationParameters.ValidAudience: '[PII is hidden]' or " +
    "validationParameters.ValidAudiences: '[PII is hidden]'.",
};

/** Azure/terraform-provider-azapi#1105: 401 from the dev endpoint. */
const AUTHENTICATION_FAILED = {
  code: "AuthenticationFailed",
  message:
    "Token Authentication failed - MISE12034: AuthenticationTicketProvider Name:AuthenticationTicketProvider, GetVersion:1.33.0.0. ",
};

/** microsoft/SynapseVSCode#51: Synapse's throttling text. */
const THROTTLED_TEXT =
  "Request Error: 429. You have exceeded the amount of requests allowed in the current time frame and further " +
  "requests will fail. Retry in 2131 seconds.";

interface Canned {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Received {
  method: string;
  path: string;
  body: string;
  authorization: string | undefined;
}

/** Answers each `METHOD /path` (query ignored) with a canned reply; records what it got. */
class ReplayServer {
  routes = new Map<string, Canned>();
  received: Received[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    server.on("request", (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = new URL(req.url ?? "/", "http://localhost").pathname;
        this.received.push({
          method: req.method ?? "",
          path,
          body: Buffer.concat(chunks).toString("utf8"),
          authorization: req.headers.authorization,
        });
        const canned = this.routes.get(`${req.method ?? ""} ${path}`) ?? {
          status: 500,
          body: { code: "NoReplay", message: `no canned reply for ${req.method ?? ""} ${path}` },
        };
        const text =
          canned.body === undefined
            ? ""
            : typeof canned.body === "string"
              ? canned.body
              : JSON.stringify(canned.body);
        const type =
          typeof canned.body === "string" && !canned.body.startsWith("{")
            ? "text/plain"
            : "application/json; charset=utf-8";
        res.writeHead(canned.status, { "content-type": type, ...canned.headers }).end(text);
      });
    });
  }

  static async start(): Promise<ReplayServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return new ReplayServer(server, `http://127.0.0.1:${port}`);
  }

  reply(method: string, path: string, canned: Canned): void {
    this.routes.set(`${method} ${path}`, canned);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

const LINK = { workspace: "xiaoyuxingtestne", linkConnection: "linkconnectionfortest" };
const BASE = "/linkconnections/linkconnectionfortest";

let server: ReplayServer;
beforeAll(async () => {
  server = await ReplayServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.routes.clear();
  server.received = [];
});

function staticTokenClient(): ArtifactsSynapseLinkClient {
  return new ArtifactsSynapseLinkClient({
    workspaces: [{ name: LINK.workspace, endpoint: server.url }],
    auth: { kind: "staticToken", token: "replay-token" },
    apiVersion: "2023-04-18-preview",
  });
}

/** The recorded add (REC-23): the one table the recording sent. */
function addRecordedTable() {
  const source = { schema: "dbo", name: "weather_history_300000_rows" };
  return staticTokenClient().editTables(LINK, [
    {
      operation: "add",
      id: "887e9d4df0fa4afaaad0d7a2c7f42d88",
      source,
      target: resolveTarget(source, undefined),
    },
  ]);
}

/**
 * A client with token (credential) auth, as in production. The SDK's bearer policy refuses plain
 * http, so the client is given an https endpoint and a per-retry policy, which runs after the bearer
 * policy, sends the request to the loopback server instead.
 */
function credentialClient(): ArtifactsSynapseLinkClient {
  const https = `https://${new URL(server.url).host}`;
  const credential: TokenCredential = {
    getToken: () => Promise.resolve({ token: "entra-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const auth: SynapseAuth = { kind: "credential", credential };
  const clientOptions: ArtifactsClientOptionalParams = {
    allowInsecureConnection: true,
    additionalPolicies: [
      {
        position: "perRetry",
        policy: {
          name: "replayPlainHttp",
          sendRequest: (request, next) => {
            request.url = request.url.replace(https, server.url);
            return next(request);
          },
        },
      },
    ],
  };
  return new ArtifactsSynapseLinkClient({
    workspaces: [{ name: LINK.workspace, endpoint: https }],
    auth,
    apiVersion: "2023-04-18-preview",
    clientOptions,
  });
}

async function failure(promise: Promise<unknown>): Promise<SynapseRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SynapseRequestError);
  return error as SynapseRequestError;
}

describe("recorded real responses through the SDK and the adapter", () => {
  it("reads the recorded link GET as a link with the default FailOnNonEmptyTable", async () => {
    server.reply("GET", BASE, { status: 200, body: GET_LINK });
    expect(await staticTokenClient().getLinkConnection(LINK)).toEqual({
      name: "linkconnectionfortest",
      actionOnExistingTargetTable: "FailOnNonEmptyTable",
    });
  });

  it("reads the recorded top-level 404 NotFound as a link that does not exist", async () => {
    server.reply("GET", BASE, { status: 404, body: NOT_FOUND });
    expect(await staticTokenClient().getLinkConnection(LINK)).toBeUndefined();
  });

  it("reports the recorded 404 on another call with the service's code and text", async () => {
    server.reply("GET", `${BASE}/detailedstatus`, { status: 404, body: NOT_FOUND });
    const error = await failure(staticTokenClient().getDetailedStatus(LINK));
    expect(error).toMatchObject({
      statusCode: 404,
      code: "NotFound",
      serviceMessage: "The document could not be retrieved because it does not exist.",
    });
    expect(error.message).toContain("The document could not be retrieved because it does not exist.");
  });

  it("reads detailedstatus without isApplyingChanges as Starting with isApplyingChanges undefined", async () => {
    server.reply("GET", `${BASE}/detailedstatus`, { status: 200, body: DETAILED_STATUS_STARTING });
    const status = await staticTokenClient().getDetailedStatus(LINK);
    expect(status).toEqual({ status: "Starting", rawStatus: "Starting", isPartiallyFailed: false });
    expect(status.isApplyingChanges).toBeUndefined();
  });

  it("reads the recorded detailedstatus after stop as Stopping", async () => {
    server.reply("GET", `${BASE}/detailedstatus`, { status: 200, body: DETAILED_STATUS_STOPPING });
    expect(await staticTokenClient().getDetailedStatus(LINK)).toMatchObject({ status: "Stopping" });
  });

  it("reads the recorded linktables: the undashed id as sent, the source, round robin and no structure", async () => {
    server.reply("GET", `${BASE}/linktables`, { status: 200, body: LINK_TABLES });
    expect(await staticTokenClient().listLinkTables(LINK)).toEqual([
      {
        id: "887e9d4df0fa4afaaad0d7a2c7f42d88",
        source: { schema: "dbo", name: "weather_history_300000_rows" },
        target: { schema: "dbo", name: "weather_history_300000_rows", distribution: "RoundRobin" },
      },
    ]);
  });

  it("sends an add in the recorded request's shape and reads the link's tables from the recorded 200 link resource", async () => {
    server.reply("POST", `${BASE}/edittables`, { status: 200, body: EDIT_TABLES_RESPONSE });
    const source = { schema: "dbo", name: "weather_history_300000_rows" };
    await expect(addRecordedTable()).resolves.toEqual({
      linkTables: [
        {
          id: "887e9d4df0fa4afaaad0d7a2c7f42d88",
          source,
          target: { schema: "dbo", name: "weather_history_300000_rows", distribution: "RoundRobin" },
        },
      ],
    });
    expect(JSON.parse(server.received[0]!.body)).toEqual(EDIT_TABLES_REQUEST);
  });

  it("sends structureOptions only when the target asks for a structure", async () => {
    server.reply("POST", `${BASE}/edittables`, { status: 200, body: EDIT_TABLES_RESPONSE });
    const source = { schema: "dbo", name: "weather_history_300000_rows" };
    await staticTokenClient().editTables(LINK, [
      {
        operation: "add",
        id: "887e9d4df0fa4afaaad0d7a2c7f42d88",
        source,
        target: resolveTarget(source, { structure: "Heap" }),
      },
    ]);
    expect(JSON.parse(server.received[0]!.body)).toMatchObject({
      linkTables: [{ target: { structureOptions: { type: "Heap" } } }],
    });
  });
});

describe("recorded real 401 bodies", () => {
  it("turns InvalidTokenAuthenticationAudience into an error naming the audience and SYNAPSE_WORKSPACES", async () => {
    server.reply("GET", `${BASE}/detailedstatus`, { status: 401, body: WRONG_AUDIENCE });
    const error = await failure(credentialClient().getDetailedStatus(LINK));
    expect(server.received[0]?.authorization).toBe("Bearer entra-token");
    expect(error).toMatchObject({ statusCode: 401, code: "InvalidTokenAuthenticationAudience" });
    expect(error.message).toContain("https://dev.azuresynapse.net");
    expect(error.message).toContain("SYNAPSE_WORKSPACES");
    expect(error.message).toContain("IDX10214: Audience validation failed");
  });

  it("turns AuthenticationFailed into an error naming the endpoint, the audience and the app identity", async () => {
    server.reply("GET", `${BASE}/detailedstatus`, { status: 401, body: AUTHENTICATION_FAILED });
    const error = await failure(credentialClient().getDetailedStatus(LINK));
    expect(error).toMatchObject({ statusCode: 401, code: "AuthenticationFailed" });
    expect(error.message).toMatch(/SYNAPSE_WORKSPACES.*https:\/\/dev\.azuresynapse\.net.*AZURE_CLIENT_ID/s);
    expect(error.message).toContain("MISE12034");
  });

  it("names SYNAPSE_STATIC_TOKEN when a static token is refused", async () => {
    server.reply("GET", `${BASE}/detailedstatus`, { status: 401, body: AUTHENTICATION_FAILED });
    const error = await failure(staticTokenClient().getDetailedStatus(LINK));
    expect(error.message).toContain("SYNAPSE_STATIC_TOKEN");
  });
});

describe("throttling (the 2131 s wait a real Synapse 429 asked for)", () => {
  it("returns a SynapseThrottledError at once instead of waiting 2131 s", async () => {
    server.reply("GET", `${BASE}/detailedstatus`, {
      status: 429,
      body: THROTTLED_TEXT,
      headers: { "retry-after": "2131" },
    });
    const started = Date.now();
    const error = await failure(staticTokenClient().getDetailedStatus(LINK));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(SynapseThrottledError);
    expect(error).toMatchObject({ statusCode: 429, retryAfterSeconds: 2131 });
    expect(error.message).toContain("Retry in 2131 seconds");
    expect(server.received).toHaveLength(1);
  });

  it("treats a 503 with a long Retry-After the same way", async () => {
    server.reply("POST", `${BASE}/edittables`, { status: 503, headers: { "retry-after": "600" } });
    const source = { schema: "dbo", name: "T" };
    const error = await failure(
      staticTokenClient().editTables(LINK, [
        { operation: "add", id: "0".repeat(32), source, target: resolveTarget(source, undefined) },
      ]),
    );
    expect(error).toMatchObject({ statusCode: 503, retryAfterSeconds: 600 });
    expect(error).toBeInstanceOf(SynapseThrottledError);
  });

  it("turns throttling that outlasts the SDK's retries into a SynapseThrottledError with the service's wait", async () => {
    server.reply("GET", `${BASE}/linktables`, { status: 429, headers: { "retry-after": "1" } });
    const error = await failure(staticTokenClient().listLinkTables(LINK));
    expect(error).toBeInstanceOf(SynapseThrottledError);
    expect(error).toMatchObject({ statusCode: 429, retryAfterSeconds: 1 });
    expect(server.received).toHaveLength(4); // the first attempt and the SDK's three retries
  });

  it("bounds the waits of the whole call, not of each request", async () => {
    server.reply("GET", `${BASE}/linktables`, { status: 429, headers: { "retry-after": "1" } });
    const client = new ArtifactsSynapseLinkClient({
      workspaces: [{ name: LINK.workspace, endpoint: server.url }],
      auth: { kind: "staticToken", token: "replay-token" },
      apiVersion: "2023-04-18-preview",
      maxCallWaitMs: 1_500,
    });
    const error = await failure(client.listLinkTables(LINK));
    expect(error).toBeInstanceOf(SynapseThrottledError);
    // The first 1 s wait fits the 1.5 s budget; the second would not.
    expect(server.received).toHaveLength(2);
  });
});

describe("no real sample: 403", () => {
  it("names the Synapse RBAC role assignment", async () => {
    server.reply("POST", `${BASE}/start`, {
      status: 403,
      body: {
        code: "Forbidden",
        message: "The principal does not have the required Synapse RBAC permission.",
      },
    });
    const error = await failure(credentialClient().start(LINK));
    expect(error).toMatchObject({ statusCode: 403, code: "Forbidden" });
    expect(error.message).toMatch(/Synapse RBAC role.*Synapse Contributor/);
    expect(error.message).toContain("required Synapse RBAC permission");
  });

  it("answers an edit with no table list when the 200 has no body (as the spec declares)", async () => {
    server.reply("POST", `${BASE}/edittables`, { status: 200 });
    await expect(addRecordedTable()).resolves.toEqual({});
  });
});
