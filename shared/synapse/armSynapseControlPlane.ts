import { isRestError } from "@azure/core-rest-pipeline";
import { SynapseManagementClient, type SynapseManagementClientOptionalParams } from "@azure/arm-synapse";
import { formatServiceError, parseServiceErrorBody, type ServiceError } from "./serviceErrors";
import {
  throttleWaitSeconds,
  MAX_CALL_WAIT_MS,
  ThrottleBudgetExceeded,
  withCallBudget,
} from "./throttleBudget";
import { SynapseRequestError } from "./synapseLinkClient";
import {
  addAppPolicies,
  credentialFor,
  SDK_RETRY_OPTIONS,
  throttledError,
  type SynapseAuth,
} from "./sdkPipeline";
import {
  normalizeEndpoint,
  type ControlPlane,
  type ResumeProgress,
  type SqlPoolResource,
  type WorkspaceResource,
  type WorkspaceResourceId,
} from "./controlPlane";

export interface ArmControlPlaneOptions {
  /** The workspaces named by resource id, by workspace name (as in SYNAPSE_WORKSPACES). */
  workspaces: ReadonlyMap<string, WorkspaceResourceId>;
  /** `https://management.azure.com`, or the simulator's loopback URL. */
  endpoint: string;
  auth: SynapseAuth;
  /** Test speed only: the SDK's retry delays (production keeps the defaults below). */
  retryOptions?: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  /** How long a cached workspace resource is trusted. */
  workspaceCacheMs?: number;
  /** The clock of the workspace cache. */
  clock?: () => number;
}

const WORKSPACE_CACHE_MS = 5 * 60_000;
/** A failed workspace read is answered from memory this long, so an ARM outage (or a missing Reader role) costs one call a minute, not one per Synapse call or outcome. */
const FAILED_READ_RETRY_MS = 60_000;

/** {@link ControlPlane} on the official `@azure/arm-synapse` SynapseManagementClient (api-version 2021-06-01). */
export class ArmSynapseControlPlane implements ControlPlane {
  private readonly clients = new Map<string, SynapseManagementClient>();
  private readonly workspaceCache = new Map<
    string,
    { at: number; value: Promise<WorkspaceResource>; failed?: boolean }
  >();
  private readonly clock: () => number;

  constructor(private readonly options: ArmControlPlaneOptions) {
    this.clock = options.clock ?? Date.now;
  }

  manages(workspace: string): boolean {
    return this.resourceId(workspace) !== undefined;
  }

  getWorkspace(workspace: string): Promise<WorkspaceResource> {
    const key = workspace.toLowerCase();
    const cached = this.workspaceCache.get(key);
    const maxAge = cached?.failed
      ? Math.min(FAILED_READ_RETRY_MS, this.options.workspaceCacheMs ?? FAILED_READ_RETRY_MS)
      : (this.options.workspaceCacheMs ?? WORKSPACE_CACHE_MS);
    if (cached && this.clock() - cached.at < maxAge) return cached.value;
    const value = this.call("getWorkspace", workspace, async (client, id) => {
      const ws = await client.workspaces.get(id.resourceGroup, id.workspace);
      const dev = ws.connectivityEndpoints?.dev;
      const git = ws.workspaceRepositoryConfiguration;
      return {
        name: ws.name ?? id.workspace,
        ...(dev ? { devEndpoint: normalizeEndpoint(dev) } : {}),
        ...(git
          ? {
              git: {
                ...(git.type ? { type: git.type } : {}),
                ...(git.repositoryName ? { repositoryName: git.repositoryName } : {}),
                ...(git.collaborationBranch ? { collaborationBranch: git.collaborationBranch } : {}),
              },
            }
          : {}),
      };
    });
    const entry: { at: number; value: Promise<WorkspaceResource>; failed?: boolean } = {
      at: this.clock(),
      value,
    };
    // A failed read is kept for a shorter while (FAILED_READ_RETRY_MS), then asked again.
    value.catch(() => {
      entry.failed = true;
      entry.at = this.clock();
    });
    this.workspaceCache.set(key, entry);
    return value;
  }

  getSqlPool(workspace: string, pool: string): Promise<SqlPoolResource> {
    return this.call(`getSqlPool ${pool}`, workspace, async (client, id) => {
      const found = await client.sqlPools.get(id.resourceGroup, id.workspace, pool);
      return { name: found.name ?? pool, status: found.status ?? "" };
    });
  }

  listSqlPools(workspace: string): Promise<SqlPoolResource[]> {
    return this.call("listSqlPools", workspace, async (client, id) => {
      const pools: SqlPoolResource[] = [];
      for await (const p of client.sqlPools.listByWorkspace(id.resourceGroup, id.workspace)) {
        if (p.name) pools.push({ name: p.name, status: p.status ?? "" });
      }
      return pools;
    });
  }

  beginResume(workspace: string, pool: string): Promise<ResumeProgress> {
    return this.call(`resume ${pool}`, workspace, async (client, id) => {
      const poller = await client.sqlPools.beginResume(id.resourceGroup, id.workspace, pool);
      // core-lro 2's engine sends the initial POST on its first poll, not on creation.
      await poller.poll();
      return progress(poller);
    });
  }

  pollResume(workspace: string, pool: string, state: string): Promise<ResumeProgress> {
    return this.call(`poll resume ${pool}`, workspace, async (client, id) => {
      const poller = await client.sqlPools.beginResume(id.resourceGroup, id.workspace, pool, {
        resumeFrom: state,
      });
      await poller.poll();
      return progress(poller);
    });
  }

  /** Workspace names compare without case, as in Synapse. */
  private resourceId(workspace: string): WorkspaceResourceId | undefined {
    const wanted = workspace.toLowerCase();
    for (const [name, id] of this.options.workspaces) if (name.toLowerCase() === wanted) return id;
    return undefined;
  }

  private client(workspace: string): { client: SynapseManagementClient; id: WorkspaceResourceId } {
    const id = this.resourceId(workspace);
    if (!id) {
      throw new SynapseRequestError(
        `Workspace "${workspace}" has no resource id (SYNAPSE_WORKSPACE_RESOURCE_IDS)`,
        undefined,
        "WorkspaceNotConfigured",
        "resolveWorkspace",
      );
    }
    const cached = this.clients.get(id.subscriptionId);
    if (cached) return { client: cached, id };
    const { auth, endpoint } = this.options;
    const clientOptions: SynapseManagementClientOptionalParams = {
      endpoint,
      $host: endpoint,
      retryOptions: this.options.retryOptions ?? SDK_RETRY_OPTIONS,
      allowInsecureConnection: auth.kind === "staticToken",
    };
    const client = new SynapseManagementClient(credentialFor(auth), id.subscriptionId, clientOptions);
    addAppPolicies(client.pipeline, auth, MAX_CALL_WAIT_MS);
    this.clients.set(id.subscriptionId, client);
    return { client, id };
  }

  private async call<T>(
    operation: string,
    workspace: string,
    run: (client: SynapseManagementClient, id: WorkspaceResourceId) => Promise<T>,
  ): Promise<T> {
    try {
      const { client, id } = this.client(workspace);
      return await withCallBudget(() => run(client, id));
    } catch (error) {
      throw describeArmError(operation, workspace, error);
    }
  }
}

function progress(poller: { isDone(): boolean; toString(): string }): ResumeProgress {
  return poller.isDone() ? { done: true } : { done: false, state: poller.toString() };
}

function describeArmError(operation: string, workspace: string, error: unknown): SynapseRequestError {
  if (error instanceof SynapseRequestError) return error;
  const where = `ARM ${operation} on workspace ${workspace}`;
  if (error instanceof ThrottleBudgetExceeded) {
    return throttledError(
      { where, operation: where },
      error.statusCode,
      error.retryAfterSeconds,
      error.service,
    );
  }
  if (isRestError(error)) {
    const service: ServiceError = parseServiceErrorBody(error.response?.bodyAsText ?? undefined);
    const status = error.statusCode;
    if (status === 429 || status === 503) {
      return throttledError(
        { where, operation: where },
        status,
        throttleWaitSeconds(status, error.response?.headers),
        service,
      );
    }
    const said = formatServiceError(service) ?? error.message;
    const advice =
      status === 403
        ? ": the app's identity needs Reader on the workspace (and the custom SQL pool resume role to resume pools)"
        : status === 401
          ? ": check the app's identity (or SYNAPSE_STATIC_TOKEN against the simulator) and ARM_ENDPOINT"
          : "";
    return new SynapseRequestError(
      `${where} failed (HTTP ${status ?? "no response"})${advice}. Service said: ${said}`,
      status,
      service.code ?? error.code,
      operation,
      service.message,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SynapseRequestError(`${where} failed: ${message}`, undefined, undefined, operation);
}
