/**
 * The durable client input data the Durable extension sends for a `durableClient` binding (docs/durable-protocol.md
 * §10.1), i.e. what `df.getClient(context)` accepts: `taskHubName`, `creationUrls`, `managementUrls` (URL templates
 * plus the `id` placeholder), `baseUrl`, `requiredQueryStringParameters` and `rpcBaseUrl`.
 *
 * With `rpcBaseUrl` set, every `DurableClient` call goes to `new URL(<relative path>, rpcBaseUrl)` (§10.2); the
 * templates are only used by `createCheckStatusResponse` / `createHttpManagementPayload` (§10.3).
 */

/** The extension's instance-id placeholder in `managementUrls`. */
export const INSTANCE_ID_PLACEHOLDER = "INSTANCEID";
/** Where the extension serves its HTTP API on the Functions host. */
export const DEFAULT_DURABLE_BASE_PATH = "/runtime/webhooks/durabletask";
/** `hubName` default when running locally (protocol §11.6). */
export const DEFAULT_TASK_HUB_NAME = "TestHubName";
export const DEFAULT_CONNECTION_NAME = "Storage";
/** `getClient` rewrites the origin of every template to this when WEBSITE_HOSTNAME is unset (§10.1). */
export const DEFAULT_LOCAL_ORIGIN = "http://localhost:7071";

export interface DurableCreationUrls {
  createNewInstancePostUri: string;
  createAndWaitOnNewInstancePostUri: string;
}

/** The management URL templates; with the id placeholder replaced this is the `HttpManagementPayload`. */
export interface DurableManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export interface DurableClientData {
  taskHubName: string;
  creationUrls: DurableCreationUrls;
  managementUrls: DurableManagementUrls;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
}

export interface DurableClientDataOptions {
  /** Base URL of the durable HTTP API the client calls; must end with "/" (a trailing "/" is added if missing). */
  rpcBaseUrl: string;
  /** Public origin of the host, used in the URL templates. Default `http://localhost:7071`. */
  origin?: string;
  /** Path of the durable HTTP API on `origin`. Default `/runtime/webhooks/durabletask`. */
  basePath?: string;
  taskHubName?: string;
  connectionName?: string;
  /** The `durabletask_extension` system key; when set, every template carries `code=<key>`. */
  systemKey?: string;
}

export interface ManagementUrlOptions {
  origin?: string;
  basePath?: string;
  taskHubName?: string;
  connectionName?: string;
  systemKey?: string;
}

/** Normalizes a base path to "/a/b" (leading "/", no trailing "/"); "/" stays "". */
export function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function codeSuffix(systemKey: string | undefined): string {
  return systemKey === undefined ? "" : `&code=${encodeURIComponent(systemKey)}`;
}

/**
 * The management URL templates, exactly shaped like the extension's: `id` placeholder in the path, `{eventName}`
 * and `reason={text}` placeholders, `taskHub` / `connection` (and optional `code`) query parameters.
 * Pass `instanceId` to get a concrete `HttpManagementPayload` instead of templates.
 */
export function buildManagementUrls(
  options: ManagementUrlOptions = {},
  instanceId?: string,
): DurableManagementUrls {
  const origin = stripTrailingSlash(options.origin ?? DEFAULT_LOCAL_ORIGIN);
  const base = `${origin}${normalizeBasePath(options.basePath ?? DEFAULT_DURABLE_BASE_PATH)}`;
  const hub = encodeURIComponent(options.taskHubName ?? DEFAULT_TASK_HUB_NAME);
  const connection = encodeURIComponent(options.connectionName ?? DEFAULT_CONNECTION_NAME);
  const query = `taskHub=${hub}&connection=${connection}${codeSuffix(options.systemKey)}`;
  const id = instanceId === undefined ? INSTANCE_ID_PLACEHOLDER : encodeURIComponent(instanceId);
  const instance = `${base}/instances/${id}`;
  return {
    id: instanceId ?? INSTANCE_ID_PLACEHOLDER,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/** Builds the durable client input data for `context.extraInputs.set(durableClientInput, data)`. */
export function buildDurableClientData(options: DurableClientDataOptions): DurableClientData {
  const origin = stripTrailingSlash(options.origin ?? DEFAULT_LOCAL_ORIGIN);
  const baseUrl = `${origin}${normalizeBasePath(options.basePath ?? DEFAULT_DURABLE_BASE_PATH)}`;
  const code = options.systemKey === undefined ? "" : `code=${encodeURIComponent(options.systemKey)}`;
  const createQuery = code === "" ? "" : `?${code}`;
  const waitQuery = `?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}${code === "" ? "" : `&${code}`}`;
  const rpcBaseUrl = options.rpcBaseUrl.endsWith("/") ? options.rpcBaseUrl : `${options.rpcBaseUrl}/`;
  return {
    taskHubName: options.taskHubName ?? DEFAULT_TASK_HUB_NAME,
    creationUrls: {
      createNewInstancePostUri: `${baseUrl}/orchestrators/{functionName}[/{instanceId}]${createQuery}`,
      createAndWaitOnNewInstancePostUri: `${baseUrl}/orchestrators/{functionName}[/{instanceId}]${waitQuery}`,
    },
    managementUrls: buildManagementUrls({ ...options, origin }),
    baseUrl,
    requiredQueryStringParameters: code,
    rpcBaseUrl,
  };
}
