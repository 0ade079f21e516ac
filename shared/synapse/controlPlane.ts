import {
  publishRequestOutcomes,
  publishTableOutcomes,
  type OutcomePublisher,
  type TableOutcome,
} from "../outcomes/outcomePublisher";
import type { WorkspaceEndpoint } from "./artifactsSynapseLinkClient";
import type { SynapseLinkClient } from "./synapseLinkClient";

/**
 * The Synapse management plane (ARM) as the worker needs it: the workspace resource (its dev
 * endpoint, whether it is connected to git) and its dedicated SQL pools (status, resume).
 * Errors are thrown as `SynapseRequestError` (shared/synapse/synapseLinkClient.ts), so the
 * worker's circuit breaker and throttling deferrals treat ARM faults like Synapse ones.
 */
export interface ControlPlane {
  /** Whether the workspace is named by an ARM resource id (SYNAPSE_WORKSPACE_RESOURCE_IDS). */
  manages(workspace: string): boolean;
  /** The workspace resource, cached for a few minutes per process. */
  getWorkspace(workspace: string): Promise<WorkspaceResource>;
  getSqlPool(workspace: string, pool: string): Promise<SqlPoolResource>;
  listSqlPools(workspace: string): Promise<SqlPoolResource[]>;
  /**
   * Starts resuming the pool (a long-running operation) and returns without waiting for it; `state`
   * is the poller's serialized state for {@link pollResume}.
   */
  beginResume(workspace: string, pool: string): Promise<ResumeProgress>;
  /** One poll of a resume started by {@link beginResume}: never waits for the operation to end. */
  pollResume(workspace: string, pool: string, state: string): Promise<ResumeProgress>;
}

export interface WorkspaceResource {
  name: string;
  /** `properties.connectivityEndpoints.dev`, always with a scheme (the spec's examples omit it). */
  devEndpoint?: string;
  /** `properties.workspaceRepositoryConfiguration`, when the workspace is connected to git. */
  git?: { type?: string; repositoryName?: string; collaborationBranch?: string };
}

export interface SqlPoolResource {
  name: string;
  /** The service's raw `properties.status` (the spec types it as a plain string, with no enum). */
  status: string;
}

export interface ResumeProgress {
  done: boolean;
  /** Serialized poller state; absent once done. */
  state?: string;
}

/** An ARM workspace resource id, split. */
export interface WorkspaceResourceId {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Synapse\/workspaces\/([^/]+)\/?$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The spec's ResourceGroupNameParameter (common-types v2): 1-90 characters of this set. */
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/;

/** Parses `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Synapse/workspaces/{name}`; a string says what is wrong. */
export function parseWorkspaceResourceId(id: string): WorkspaceResourceId | string {
  const match = RESOURCE_ID.exec(id.trim());
  if (!match?.[1] || !match[2] || !match[3]) {
    return `"${id}" is not a workspace resource id (/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Synapse/workspaces/{name})`;
  }
  const [, subscriptionId, resourceGroup, workspace] = match;
  if (!GUID.test(subscriptionId)) return `"${id}": the subscription id "${subscriptionId}" is not a GUID`;
  if (!RESOURCE_GROUP.test(resourceGroup)) {
    return `"${id}": the resource group name "${resourceGroup}" is not valid (1-90 letters, digits, -, _, ., ( or ))`;
  }
  return { subscriptionId, resourceGroup, workspace };
}

/** The connectivity endpoint with a scheme and without a trailing slash. */
export function normalizeEndpoint(endpoint: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  return withScheme.replace(/\/+$/, "");
}

/**
 * The warning for a workspace connected to git: edits made through the API change the live
 * workspace only (docs/control-plane.md#git-mode), so a later publish from git may undo them.
 */
export function gitModeWarning(workspace: string, git: NonNullable<WorkspaceResource["git"]>): string {
  const repo = git.repositoryName ? ` (repository ${git.repositoryName}` : "";
  const branch = git.collaborationBranch
    ? `${repo ? ", " : " ("}branch ${git.collaborationBranch})`
    : repo
      ? ")"
      : "";
  return (
    `Workspace ${workspace} is connected to git${repo}${branch}: link-connection edits made through the API are ` +
    "not written to git, so publish from git only after re-syncing the link connection in Synapse Studio " +
    "(set GIT_MODE_ACKNOWLEDGED=true to silence this warning)."
  );
}

/**
 * A control plane whose adapter (and with it `@azure/arm-synapse`) is loaded on first use, so an
 * app that never checks a pool does not pay for the SDK at cold start. `manages` needs no adapter.
 */
export function lazyControlPlane(
  workspaces: ReadonlyMap<string, unknown>,
  load: () => Promise<ControlPlane>,
): ControlPlane {
  let loaded: Promise<ControlPlane> | undefined;
  const adapter = (): Promise<ControlPlane> => {
    loaded ??= load();
    return loaded;
  };
  return {
    manages: (workspace) => [...workspaces.keys()].some((w) => w.toLowerCase() === workspace.toLowerCase()),
    getWorkspace: async (workspace) => (await adapter()).getWorkspace(workspace),
    getSqlPool: async (workspace, pool) => (await adapter()).getSqlPool(workspace, pool),
    listSqlPools: async (workspace) => (await adapter()).listSqlPools(workspace),
    beginResume: async (workspace, pool) => (await adapter()).beginResume(workspace, pool),
    pollResume: async (workspace, pool, state) => (await adapter()).pollResume(workspace, pool, state),
  };
}

/**
 * Outcome events of a workspace connected to git carry the git-mode warning (unless
 * GIT_MODE_ACKNOWLEDGED). The workspace read is cached by the control plane; when ARM cannot be
 * read the event goes out without the warning rather than not at all.
 */
export function withGitModeWarnings(
  publisher: OutcomePublisher,
  controlPlane: ControlPlane,
): OutcomePublisher {
  const warnings = async (workspace: string): Promise<string[]> => {
    if (!controlPlane.manages(workspace)) return [];
    try {
      const resource = await controlPlane.getWorkspace(workspace);
      return resource.git ? [gitModeWarning(workspace, resource.git)] : [];
    } catch {
      return [];
    }
  };
  const withWarnings = async (outcome: TableOutcome): Promise<TableOutcome> => {
    const found = await warnings(outcome.workspace);
    if (found.length === 0) return outcome;
    // The event's data carries them (shared/outcomes/outcomeEvents.ts reads `warnings`).
    const warned: TableOutcome & { warnings: string[] } = { ...outcome, warnings: found };
    return warned;
  };
  return {
    tableReplicating: async (outcome) => publisher.tableReplicating(await withWarnings(outcome)),
    tableFailed: async (outcome) => publisher.tableFailed(await withWarnings(outcome)),
    // A poll's outcomes stay one batch (one Event Grid request), as without the warnings.
    tablesSettled: async (outcomes) =>
      publishTableOutcomes(
        publisher,
        await Promise.all(outcomes.map(async ({ status, ...o }) => ({ ...(await withWarnings(o)), status }))),
      ),
    requestCompleted: (request) => publisher.requestCompleted(request),
    requestsCompleted: (requests) => publishRequestOutcomes(publisher, requests),
  };
}

/**
 * The link-connection client, with each ARM-managed workspace's data-plane endpoint taken from
 * ARM (`connectivityEndpoints.dev`) before the workspace's first call, so nobody has to type it.
 * `endpoints` must be the very objects the inner client reads when it builds a workspace's SDK
 * client. When ARM cannot be read, the configured endpoint stays; the control plane keeps the
 * failure for a minute, and the warning is written once per failed read, not per call.
 */
export function withDevEndpointsFromArm(
  inner: SynapseLinkClient,
  endpoints: WorkspaceEndpoint[],
  controlPlane: ControlPlane,
  warn: (message: string) => void,
): SynapseLinkClient {
  const resolved = new Map<string, Promise<void>>();
  const ensure = (workspace: string): Promise<void> => {
    if (!controlPlane.manages(workspace)) return Promise.resolve();
    let pending = resolved.get(workspace);
    if (!pending) {
      pending = controlPlane.getWorkspace(workspace).then(
        (resource) => {
          const entry = endpoints.find((e) => e.name.toLowerCase() === workspace.toLowerCase());
          if (entry && resource.devEndpoint) entry.endpoint = resource.devEndpoint;
        },
        (error: unknown) => {
          // Asked again once the control plane reads afresh (it keeps a failure for a minute).
          const retry = setTimeout(() => resolved.delete(workspace), 60_000);
          retry.unref();
          warn(
            `workspace ${workspace}: the dev endpoint could not be read from ARM, using the configured one (${String(error)})`,
          );
        },
      );
      resolved.set(workspace, pending);
    }
    return pending;
  };
  const on = async <T>(workspace: string, run: () => Promise<T>): Promise<T> => {
    await ensure(workspace);
    return run();
  };
  return {
    listLinkConnections: (ws) => on(ws, () => inner.listLinkConnections(ws)),
    getLinkConnection: (link) => on(link.workspace, () => inner.getLinkConnection(link)),
    getDetailedStatus: (link) => on(link.workspace, () => inner.getDetailedStatus(link)),
    listLinkTables: (link) => on(link.workspace, () => inner.listLinkTables(link)),
    editTables: (link, edits) => on(link.workspace, () => inner.editTables(link, edits)),
    queryTableStatus: (link) => on(link.workspace, () => inner.queryTableStatus(link)),
    start: (link) => on(link.workspace, () => inner.start(link)),
    resume: (link) => on(link.workspace, () => inner.resume(link)),
    getTargetPool: (link) => on(link.workspace, () => inner.getTargetPool(link)),
  };
}
