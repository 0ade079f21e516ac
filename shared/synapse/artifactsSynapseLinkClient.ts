import type { OperationOptions } from "@azure/core-client";
import { isRestError, type PipelinePolicy } from "@azure/core-rest-pipeline";
import type {
  ArtifactsClient,
  ArtifactsClientOptionalParams,
  LinkTableRequest,
} from "@azure/synapse-artifacts";
import type { LinkRef } from "../domain/linkRef";
import {
  throttleWaitSeconds,
  MAX_CALL_WAIT_MS,
  ThrottleBudgetExceeded,
  withCallBudget,
} from "./throttleBudget";
import {
  addAppPolicies,
  credentialFor,
  SDK_RETRY_OPTIONS,
  throttledError,
  type SynapseAuth,
} from "./sdkPipeline";
import {
  ACTIONS_ON_EXISTING_TARGET_TABLE,
  fromServiceDistribution,
  fromServiceStructure,
  OPERATION_ADD,
  OPERATION_REMOVE,
  parseLinkStatus,
  parseTableStatus,
  toServiceDistribution,
  toServiceStructure,
  type ActionOnExistingTargetTable,
} from "./serviceStrings";
import { formatServiceError, parseServiceErrorBody, type ServiceError } from "./serviceErrors";
import {
  poolOfLinkedService,
  type LinkedServiceReferenceWire,
  type LinkedServiceWire,
} from "./linkedServicePool";
import {
  SynapseRequestError,
  type EditTablesAnswer,
  type LinkConnectionInfo,
  type LinkDetailedStatus,
  type LinkedTable,
  type LinkTableEdit,
  type LinkTargetPool,
  type LinkTableState,
  type SynapseLinkClient,
} from "./synapseLinkClient";

export interface WorkspaceEndpoint {
  name: string;
  /** `https://<workspace>.dev.azuresynapse.net`, or the simulator's loopback URL. */
  endpoint: string;
}

export type { SynapseAuth } from "./sdkPipeline";

export interface ArtifactsSynapseLinkClientOptions {
  workspaces: readonly WorkspaceEndpoint[];
  auth: SynapseAuth;
  /** The api-version sent on every link-connection call (the SDK hard-codes 2022-12-01-preview). */
  apiVersion: string;
  /** Page size for `querytablestatus` (the spec allows up to 1000). */
  tableStatusPageSize?: number;
  /** The most one call may spend waiting in the SDK's throttling retries; 60 s unless a test says otherwise. */
  maxCallWaitMs?: number;
  /**
   * Extra options for the SDK client, e.g. a policy that routes an https endpoint to a loopback
   * server so tests can exercise token (credential) auth. Production passes none.
   */
  clientOptions?: ArtifactsClientOptionalParams;
}

/**
 * The SDK pins `api-version=2022-12-01-preview` as a constant; 2023-04-18-preview is the version that
 * carries `actionOnExistingTargetTable` (its spec in Azure/azure-rest-api-specs). Rewriting the query
 * parameter per call is the pipeline's documented extension point. Only link-connection calls: the
 * linked-service read keeps the SDK's own 2020-12-01, the version its operation is specified in.
 */
function apiVersionPolicy(apiVersion: string): PipelinePolicy {
  return {
    name: "synapseLinkApiVersion",
    sendRequest(request, next) {
      const url = new URL(request.url);
      if (url.searchParams.has("api-version") && /^\/linkconnections(\/|$)/i.test(url.pathname)) {
        url.searchParams.set("api-version", apiVersion);
        request.url = url.toString();
      }
      return next(request);
    },
  };
}

/** What the adapter knows about the call when it explains a failure. */
interface CallContext {
  operation: string;
  /** `workspace/link`, or the workspace alone. */
  target: string;
  workspace: string;
  endpoint: string | undefined;
  auth: SynapseAuth["kind"];
  maxCallWaitMs: number;
}

const AUDIENCE = "https://dev.azuresynapse.net";

function isAudienceProblem(service: ServiceError): boolean {
  return (
    /audience/i.test(`${service.code ?? ""} ${service.message ?? ""}`) ||
    /IDX10214/.test(service.message ?? "")
  );
}

/** For 401/403: the setting or assignment to fix, since the service's own text names none of them. */
function authAdvice(status: number, service: ServiceError, ctx: CallContext): string {
  const endpoint = `the workspace's endpoint in SYNAPSE_WORKSPACES (${ctx.endpoint ?? "not configured"}; expected https://${ctx.workspace}.dev.azuresynapse.net)`;
  if (status === 403) {
    return (
      `the app's identity is authenticated but has no Synapse RBAC role on workspace ${ctx.workspace} that allows ` +
      "link-connection operations: assign it Synapse Contributor (or Synapse Administrator) on the workspace " +
      "(infra/scripts/grant-synapse-role.sh does this for the deployed identity; AZURE_CLIENT_ID names that identity)"
    );
  }
  if (ctx.auth === "staticToken") {
    return `the workspace refused SYNAPSE_STATIC_TOKEN; check it and ${endpoint}`;
  }
  if (isAudienceProblem(service)) {
    return (
      `the token's audience was refused: the app requests tokens for ${AUDIENCE} (no trailing slash), which only a ` +
      `workspace's dev endpoint accepts; check ${endpoint}`
    );
  }
  return (
    `the workspace did not accept the app's token: check ${endpoint}, that the token is issued for ${AUDIENCE}, and the app ` +
    "identity DefaultAzureCredential signs in with (the managed identity named by AZURE_CLIENT_ID, which must be in the workspace's tenant)"
  );
}

const callOf = (ctx: CallContext) => ({
  where: `${ctx.operation} on ${ctx.target}`,
  operation: ctx.operation,
});

function describeError(ctx: CallContext, error: unknown): SynapseRequestError {
  if (error instanceof SynapseRequestError) return error;
  if (error instanceof ThrottleBudgetExceeded) {
    return throttledError(
      callOf(ctx),
      error.statusCode,
      error.retryAfterSeconds,
      error.service,
      `waiting as asked would take the call past the ${ctx.maxCallWaitMs / 1000} s one call may spend`,
    );
  }
  if (isRestError(error)) {
    // The raw body, not the SDK's reading of it: the SDK's error model expects the wrapped shape.
    const fromBody = parseServiceErrorBody(error.response?.bodyAsText ?? undefined);
    const service: ServiceError = {
      ...((fromBody.code ?? error.code) ? { code: fromBody.code ?? error.code } : {}),
      ...((fromBody.message ?? error.message) ? { message: fromBody.message ?? error.message } : {}),
    };
    const status = error.statusCode;
    if (status === 429 || status === 503) {
      return throttledError(
        callOf(ctx),
        status,
        throttleWaitSeconds(status, error.response?.headers),
        service,
        "it kept throttling through the SDK's retries",
      );
    }
    const said = formatServiceError(service) ?? "no details";
    const advice =
      status === 401 || status === 403
        ? ` — ${authAdvice(status, service, ctx)}. Service said: ${said}`
        : `: ${said}`;
    return new SynapseRequestError(
      `${ctx.operation} on ${ctx.target} failed${status ? ` (HTTP ${status})` : ""}${advice}`,
      status,
      service.code,
      ctx.operation,
      service.message,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SynapseRequestError(
    `${ctx.operation} on ${ctx.target} failed: ${message}`,
    undefined,
    undefined,
    ctx.operation,
  );
}

function readActionOnExistingTargetTable(body: unknown): ActionOnExistingTargetTable {
  const value = (
    body as {
      properties?: { targetDatabase?: { typeProperties?: { actionOnExistingTargetTable?: unknown } } };
    }
  ).properties?.targetDatabase?.typeProperties?.actionOnExistingTargetTable;
  const known = ACTIONS_ON_EXISTING_TARGET_TABLE.find(
    (a) => typeof value === "string" && a.toLowerCase() === value.toLowerCase(),
  );
  return known ?? "FailOnNonEmptyTable";
}

/** `properties.targetDatabase.linkedService` of a link connection's raw body, when it names one. */
function readTargetReference(body: unknown): LinkedServiceReferenceWire | undefined {
  const reference = (
    body as {
      properties?: { targetDatabase?: { linkedService?: { referenceName?: unknown; parameters?: unknown } } };
    }
  ).properties?.targetDatabase?.linkedService;
  if (typeof reference?.referenceName !== "string" || reference.referenceName === "") return undefined;
  const { parameters } = reference;
  return {
    referenceName: reference.referenceName,
    ...(parameters !== null && typeof parameters === "object"
      ? { parameters: parameters as Record<string, unknown> }
      : {}),
  };
}

function parseWireBody(text: string | null | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** A 404 or 403: the thing is not there for this identity, which the caller treats as "names no pool". */
function isAbsentOrForbidden(error: unknown): error is { statusCode: 403 | 404 } {
  return isRestError(error) && (error.statusCode === 404 || error.statusCode === 403);
}

type LinkTableWire = NonNullable<
  Awaited<ReturnType<ArtifactsClient["linkConnectionOperations"]["listLinkTables"]>>["value"]
>[number];

/** Link tables as the service spells them (`linktables`, or a link resource's definition) → the port's. */
function toLinkedTables(wire: readonly LinkTableWire[] | undefined): LinkedTable[] {
  return (wire ?? []).flatMap((t): LinkedTable[] => {
    if (!t.id || !t.source?.schemaName || !t.source.tableName) return [];
    const table: LinkedTable = {
      id: t.id,
      source: { schema: t.source.schemaName, name: t.source.tableName },
    };
    if (t.target) {
      const distribution = fromServiceDistribution(t.target.distributionOptions?.type);
      const structure = fromServiceStructure(t.target.structureOptions?.type);
      table.target = {
        ...(t.target.schemaName ? { schema: t.target.schemaName } : {}),
        ...(t.target.tableName ? { name: t.target.tableName } : {}),
        ...(distribution ? { distribution } : {}),
        ...(structure ? { structure } : {}),
      };
    }
    return [table];
  });
}

/** `properties.linkTables` of a link resource, when the body is one and has the list. */
function linkTablesOfResource(body: unknown): LinkTableWire[] | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const properties = (body as { properties?: unknown }).properties;
  if (typeof properties !== "object" || properties === null) return undefined;
  const tables = (properties as { linkTables?: unknown }).linkTables;
  return Array.isArray(tables) ? (tables as LinkTableWire[]) : undefined;
}

function toRequest(edit: LinkTableEdit): LinkTableRequest {
  const source = { schemaName: edit.source.schema, tableName: edit.source.name };
  if (edit.operation === "remove") {
    return { id: edit.id, source, operationType: OPERATION_REMOVE };
  }
  const { target } = edit;
  return {
    id: edit.id,
    source,
    target: {
      schemaName: target.schema,
      tableName: target.name,
      distributionOptions: {
        type: toServiceDistribution(target.distribution),
        ...(target.distribution === "Hash" && target.distributionColumn
          ? { distributionColumn: target.distributionColumn }
          : {}),
      },
      // Only when asked for: the structure strings are unverified, and without them the service
      // applies its own default (docs/synapse-service-strings.md).
      ...(target.structure !== undefined
        ? { structureOptions: { type: toServiceStructure(target.structure) } }
        : {}),
    },
    operationType: OPERATION_ADD,
  };
}

/**
 * The SDK (about 80 ms of a cold start) is loaded on the first call, not when the module is: the
 * HTTP intake imports the composition root but never calls Synapse (docs/performance.md).
 */
function loadArtifactsSdk(): typeof import("@azure/synapse-artifacts") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load; import() would make every call async
  return require("@azure/synapse-artifacts") as typeof import("@azure/synapse-artifacts");
}

/** {@link SynapseLinkClient} on the official `@azure/synapse-artifacts` client, one per workspace. */
export class ArtifactsSynapseLinkClient implements SynapseLinkClient {
  private readonly clients = new Map<string, ArtifactsClient>();
  private readonly pageSize: number;
  private readonly maxCallWaitMs: number;

  constructor(private readonly options: ArtifactsSynapseLinkClientOptions) {
    // The largest page the spec allows: one call per thousand tables.
    this.pageSize = options.tableStatusPageSize ?? 1000;
    this.maxCallWaitMs = options.maxCallWaitMs ?? MAX_CALL_WAIT_MS;
  }

  private context(operation: string, link: LinkRef | string): CallContext {
    const workspace = typeof link === "string" ? link : link.workspace;
    return {
      operation,
      target: typeof link === "string" ? link : `${link.workspace}/${link.linkConnection}`,
      workspace,
      endpoint: this.configured(workspace)?.endpoint,
      auth: this.options.auth.kind,
      maxCallWaitMs: this.maxCallWaitMs,
    };
  }

  /** Workspace names are case-insensitive in Synapse, and so here. */
  private configured(workspace: string): WorkspaceEndpoint | undefined {
    const wanted = workspace.toLowerCase();
    return this.options.workspaces.find((w) => w.name.toLowerCase() === wanted);
  }

  private client(workspace: string): ArtifactsClient {
    const cached = this.clients.get(workspace);
    if (cached) return cached;
    const configured = this.configured(workspace);
    if (!configured) {
      throw new SynapseRequestError(
        `Workspace "${workspace}" is not configured (SYNAPSE_WORKSPACES)`,
        undefined,
        "WorkspaceNotConfigured",
        "resolveWorkspace",
      );
    }
    const { auth } = this.options;
    const extra = this.options.clientOptions ?? {};
    const client = new (loadArtifactsSdk().ArtifactsClient)(credentialFor(auth), configured.endpoint, {
      ...extra,
      retryOptions: extra.retryOptions ?? SDK_RETRY_OPTIONS,
      allowInsecureConnection: auth.kind === "staticToken" || extra.allowInsecureConnection === true,
    });
    client.pipeline.addPolicy(apiVersionPolicy(this.options.apiVersion), { phase: "Serialize" });
    addAppPolicies(client.pipeline, auth, this.maxCallWaitMs);
    this.clients.set(workspace, client);
    return client;
  }

  /** One adapter call: its own wait budget, and every failure explained as a SynapseRequestError. */
  private async call<T>(operation: string, link: LinkRef | string, run: () => Promise<T>): Promise<T> {
    try {
      return await withCallBudget(run);
    } catch (error) {
      throw describeError(this.context(operation, link), error);
    }
  }

  async listLinkConnections(workspace: string): Promise<string[]> {
    return this.call("listLinkConnections", workspace, async () => {
      const names: string[] = [];
      for await (const resource of this.client(workspace).linkConnectionOperations.listByWorkspace()) {
        if (resource.name) names.push(resource.name);
      }
      return names;
    });
  }

  async getLinkConnection(link: LinkRef): Promise<LinkConnectionInfo | undefined> {
    try {
      return await withCallBudget(() => this.readLinkConnection(link));
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw describeError(this.context("getLinkConnection", link), error);
    }
  }

  private async readLinkConnection(link: LinkRef): Promise<LinkConnectionInfo> {
    let rawBody: unknown;
    // The SDK's model lacks actionOnExistingTargetTable, so read it from the raw response body.
    const options: OperationOptions = {
      onResponse: (raw) => {
        rawBody = raw.parsedBody;
      },
    };
    const resource = await this.client(link.workspace).linkConnectionOperations.get(
      link.linkConnection,
      options,
    );
    return {
      name: resource.name ?? link.linkConnection,
      actionOnExistingTargetTable: readActionOnExistingTargetTable(rawBody ?? resource),
    };
  }

  async getDetailedStatus(link: LinkRef): Promise<LinkDetailedStatus> {
    return this.call("getDetailedStatus", link, async () => {
      const status = await this.client(link.workspace).linkConnectionOperations.getDetailedStatus(
        link.linkConnection,
      );
      const result: LinkDetailedStatus = {
        status: parseLinkStatus(status.status),
        rawStatus: status.status ?? "",
        isPartiallyFailed: status.isPartiallyFailed === true,
      };
      // Left undefined when absent (every recorded real response omits it), so the worker can tell
      // "not applying" from "the service does not say".
      if (typeof status.isApplyingChanges === "boolean") result.isApplyingChanges = status.isApplyingChanges;
      if (status.error !== undefined && status.error !== null) {
        result.error = typeof status.error === "string" ? status.error : JSON.stringify(status.error);
      }
      return result;
    });
  }

  async listLinkTables(link: LinkRef): Promise<LinkedTable[]> {
    return this.call("listLinkTables", link, async () => {
      const response = await this.client(link.workspace).linkConnectionOperations.listLinkTables(
        link.linkConnection,
      );
      return toLinkedTables(response.value);
    });
  }

  async editTables(link: LinkRef, edits: readonly LinkTableEdit[]): Promise<EditTablesAnswer> {
    return this.call("editTables", link, async () => {
      let rawBody: unknown;
      // The SDK declares no answer; the service sends the whole link resource (REC-23).
      const options: OperationOptions = {
        onResponse: (raw) => {
          rawBody = raw.parsedBody ?? parseWireBody(raw.bodyAsText);
        },
      };
      await this.client(link.workspace).linkConnectionOperations.editTables(
        link.linkConnection,
        { linkTables: edits.map(toRequest) },
        options,
      );
      const tables = linkTablesOfResource(rawBody);
      return tables ? { linkTables: toLinkedTables(tables) } : {};
    });
  }

  async queryTableStatus(link: LinkRef): Promise<LinkTableState[]> {
    return this.call("queryTableStatus", link, async () => {
      const states: LinkTableState[] = [];
      let continuationToken: unknown = undefined;
      do {
        const page = await this.client(link.workspace).linkConnectionOperations.queryTableStatus(
          link.linkConnection,
          { maxSegmentCount: this.pageSize, ...(continuationToken ? { continuationToken } : {}) },
        );
        for (const t of page.value ?? []) {
          const id = t.id ?? t.linkTableId;
          if (!id) continue;
          const state: LinkTableState = { id, status: parseTableStatus(t.status), rawStatus: t.status ?? "" };
          // No real response shows which field carries the client's id: keep both (docs/real-service.md).
          if (t.linkTableId) state.linkTableId = t.linkTableId;
          if (t.errorCode) state.errorCode = t.errorCode;
          if (t.errorMessage) state.errorMessage = t.errorMessage;
          states.push(state);
        }
        continuationToken = page.continuationToken as unknown;
      } while (continuationToken);
      return states;
    });
  }

  async start(link: LinkRef): Promise<void> {
    await this.call("start", link, () =>
      this.client(link.workspace).linkConnectionOperations.start(link.linkConnection),
    );
  }

  async resume(link: LinkRef): Promise<void> {
    await this.call("resume", link, () =>
      this.client(link.workspace).linkConnectionOperations.resume(link.linkConnection),
    );
  }

  async getTargetPool(link: LinkRef): Promise<LinkTargetPool> {
    const client = () => this.client(link.workspace);
    // The wire bodies, not the SDK's models: the linked service's model flattens typeProperties (its
    // parsedBody is already mapped), and the spec's wire shape is what linkedServicePool reads.
    let linkBody: unknown;
    try {
      await withCallBudget(() =>
        client().linkConnectionOperations.get(link.linkConnection, {
          onResponse: (raw) => {
            linkBody = parseWireBody(raw.bodyAsText);
          },
        }),
      );
    } catch (error) {
      if (isAbsentOrForbidden(error)) {
        return { none: `link ${link.linkConnection} could not be read (HTTP ${error.statusCode})` };
      }
      throw describeError(this.context("getTargetPool", link), error);
    }
    const reference = readTargetReference(linkBody);
    if (!reference) return { none: `link ${link.linkConnection} names no target linked service` };
    let serviceBody: unknown;
    try {
      await withCallBudget(() =>
        client().linkedServiceOperations.getLinkedService(reference.referenceName, {
          onResponse: (raw) => {
            serviceBody = parseWireBody(raw.bodyAsText);
          },
        }),
      );
    } catch (error) {
      if (isAbsentOrForbidden(error)) {
        return {
          linkedService: reference.referenceName,
          none:
            error.statusCode === 404
              ? `linked service ${reference.referenceName} does not exist`
              : `the app's identity may not read linked service ${reference.referenceName} (HTTP 403)`,
        };
      }
      throw describeError(this.context("getLinkedService", link), error);
    }
    const properties = (serviceBody as { properties?: LinkedServiceWire } | undefined)?.properties ?? {};
    const found = poolOfLinkedService(reference, properties);
    return { linkedService: reference.referenceName, ...found };
  }
}
