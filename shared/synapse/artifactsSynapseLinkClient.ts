import type { TokenCredential } from "@azure/core-auth";
import type { OperationOptions } from "@azure/core-client";
import {
  bearerTokenAuthenticationPolicyName,
  isRestError,
  type PipelinePolicy,
} from "@azure/core-rest-pipeline";
import { ArtifactsClient, type LinkTableRequest } from "@azure/synapse-artifacts";
import type { LinkRef } from "../domain/linkRef";
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
import {
  SynapseRequestError,
  type LinkConnectionInfo,
  type LinkDetailedStatus,
  type LinkedTable,
  type LinkTableEdit,
  type LinkTableState,
  type SynapseLinkClient,
} from "./synapseLinkClient";

export interface WorkspaceEndpoint {
  name: string;
  /** `https://<workspace>.dev.azuresynapse.net`, or the simulator's loopback URL. */
  endpoint: string;
}

export type SynapseAuth =
  | { kind: "credential"; credential: TokenCredential }
  /** A fixed bearer token; config only allows it for loopback (simulator) endpoints. */
  | { kind: "staticToken"; token: string };

export interface ArtifactsSynapseLinkClientOptions {
  workspaces: readonly WorkspaceEndpoint[];
  auth: SynapseAuth;
  /** The api-version sent on every link-connection call (the SDK hard-codes 2022-12-01-preview). */
  apiVersion: string;
  /** Page size for `querytablestatus` (the spec allows up to 1000). */
  tableStatusPageSize?: number;
}

/**
 * The SDK pins `api-version=2022-12-01-preview` as a constant; 2023-04-18-preview is the version that
 * carries `actionOnExistingTargetTable` (reference §2.2, §2.4). Rewriting the query parameter per call
 * is the pipeline's documented extension point.
 */
function apiVersionPolicy(apiVersion: string): PipelinePolicy {
  return {
    name: "synapseLinkApiVersion",
    sendRequest(request, next) {
      const url = new URL(request.url);
      if (url.searchParams.has("api-version")) {
        url.searchParams.set("api-version", apiVersion);
        request.url = url.toString();
      }
      return next(request);
    },
  };
}

/** Bearer auth for the loopback simulator: the SDK's bearer policy refuses non-https URLs by design. */
function staticTokenPolicy(token: string): PipelinePolicy {
  return {
    name: "synapseStaticToken",
    sendRequest(request, next) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return next(request);
    },
  };
}

function describeError(operation: string, link: string, error: unknown): SynapseRequestError {
  if (error instanceof SynapseRequestError) return error;
  if (isRestError(error)) {
    const body = error.details as { error?: { code?: string; message?: string } } | undefined;
    const serviceMessage = body?.error?.message ?? error.message;
    return new SynapseRequestError(
      `${operation} on ${link} failed${error.statusCode ? ` (HTTP ${error.statusCode})` : ""}: ${serviceMessage}`,
      error.statusCode,
      body?.error?.code ?? error.code,
      operation,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SynapseRequestError(
    `${operation} on ${link} failed: ${message}`,
    undefined,
    undefined,
    operation,
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
      structureOptions: { type: toServiceStructure(target.structure) },
    },
    operationType: OPERATION_ADD,
  };
}

/** {@link SynapseLinkClient} on the official `@azure/synapse-artifacts` client, one per workspace. */
export class ArtifactsSynapseLinkClient implements SynapseLinkClient {
  private readonly clients = new Map<string, ArtifactsClient>();
  private readonly pageSize: number;

  constructor(private readonly options: ArtifactsSynapseLinkClientOptions) {
    this.pageSize = options.tableStatusPageSize ?? 200;
  }

  private client(workspace: string): ArtifactsClient {
    const cached = this.clients.get(workspace);
    if (cached) return cached;
    const configured = this.options.workspaces.find((w) => w.name === workspace);
    if (!configured) {
      throw new SynapseRequestError(
        `Workspace "${workspace}" is not configured (SYNAPSE_WORKSPACES)`,
        undefined,
        "WorkspaceNotConfigured",
        "resolveWorkspace",
      );
    }
    const { auth } = this.options;
    // A static-token client never asks the credential; the SDK requires one, so give it one that refuses.
    const credential: TokenCredential =
      auth.kind === "credential"
        ? auth.credential
        : {
            getToken: () => Promise.reject(new Error("static-token client has no credential")),
          };
    const client = new ArtifactsClient(credential, configured.endpoint, {
      allowInsecureConnection: auth.kind === "staticToken",
    });
    client.pipeline.addPolicy(apiVersionPolicy(this.options.apiVersion), { phase: "Serialize" });
    if (auth.kind === "staticToken") {
      client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
      client.pipeline.addPolicy(staticTokenPolicy(auth.token), { phase: "Sign" });
    }
    this.clients.set(workspace, client);
    return client;
  }

  private async call<T>(operation: string, link: LinkRef | string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const name = typeof link === "string" ? link : `${link.workspace}/${link.linkConnection}`;
      throw describeError(operation, name, error);
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
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw describeError("getLinkConnection", `${link.workspace}/${link.linkConnection}`, error);
    }
  }

  async getDetailedStatus(link: LinkRef): Promise<LinkDetailedStatus> {
    return this.call("getDetailedStatus", link, async () => {
      const status = await this.client(link.workspace).linkConnectionOperations.getDetailedStatus(
        link.linkConnection,
      );
      const result: LinkDetailedStatus = {
        status: parseLinkStatus(status.status),
        rawStatus: status.status ?? "",
        isApplyingChanges: status.isApplyingChanges === true,
        isPartiallyFailed: status.isPartiallyFailed === true,
      };
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
      return (response.value ?? []).flatMap((t): LinkedTable[] => {
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
    });
  }

  async editTables(link: LinkRef, edits: readonly LinkTableEdit[]): Promise<void> {
    await this.call("editTables", link, () =>
      this.client(link.workspace).linkConnectionOperations.editTables(link.linkConnection, {
        linkTables: edits.map(toRequest),
      }),
    );
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
          if (!t.id) continue;
          const state: LinkTableState = {
            id: t.id,
            status: parseTableStatus(t.status),
            rawStatus: t.status ?? "",
          };
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
}
