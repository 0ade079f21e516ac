import { z } from "zod";
import { isLoopbackAddress, parseCallbackAllowList, type CallbackAllowList } from "./net/addressPolicy";
import { routingRulesSchema, type LinkPattern, type Routing } from "./routing/routingRules";
import type { WorkspaceEndpoint } from "./synapse/artifactsSynapseLinkClient";
import { parseWorkspaceResourceId, type WorkspaceResourceId } from "./synapse/controlPlane";
import { decodeSecret } from "./webhooks/standardWebhooks";

/**
 * Every setting the app reads, parsed once from the environment. A bad or missing setting fails
 * at start with one error that names each setting that breaks its own rule; settings that
 * disagree with each other are checked, and named together, once each is valid on its own (see
 * docs/configuration.md).
 */
export interface AppConfig {
  storage: StorageConfig;
  ledgerTableName: string;
  synapse: {
    workspaces: WorkspaceEndpoint[];
    /** Only for loopback endpoints (the simulator); production uses DefaultAzureCredential. */
    staticToken?: string;
    apiVersion: "2022-12-01-preview" | "2023-04-18-preview";
  };
  /** The management plane (docs/control-plane.md); absent when no workspace is named by a resource id. */
  arm?: ArmConfig;
  worker: WorkerSettings;
  intake: IntakeConfig;
  outcomes: OutcomesConfig;
}

export interface ArmConfig {
  /** `ARM_ENDPOINT`: https://management.azure.com, or the simulator on loopback. */
  endpoint: string;
  /** `SYNAPSE_WORKSPACE_RESOURCE_IDS`, by workspace name. */
  workspaces: Map<string, WorkspaceResourceId>;
  /** `SYNAPSE_SQL_POOLS`: the dedicated SQL pool a link writes to, when the workspace has several. */
  sqlPools: { workspace: string; linkConnection: string; pool: string }[];
  /** `GIT_MODE_ACKNOWLEDGED`: no warning for workspaces connected to git. */
  gitModeAcknowledged: boolean;
}

export interface IntakeConfig {
  /** Standard Webhooks secrets (decoded); empty = signatures not required. */
  webhookSecrets: Buffer[];
  routing: Routing;
  /** When set, schema-change event types must start with it. */
  schemaEventTypePrefix?: string;
}

export interface OutcomesConfig {
  eventGridTopicEndpoint?: string;
  /** Topic access key; without it the app authenticates with DefaultAzureCredential. */
  eventGridTopicKey?: string;
  /** Reverse-DNS prefix of outgoing event types: `<prefix>.synapselink.table.replicating`. */
  eventTypePrefix: string;
  /** `CALLBACK_ALLOWED_HOSTS`: internal receivers a callbackUrl may name (docs/events.md#where-callbacks-may-go). */
  callbackAllowList: CallbackAllowList;
}

export type StorageConfig =
  | { kind: "connectionString"; connectionString: string }
  /** Identity-based connection (`AzureWebJobsStorage__accountName` etc.), as the Functions host supports. */
  | { kind: "identity"; tableServiceUri: string; queueServiceUri: string; clientId?: string };

/** The worker's knobs; passed into the orchestration as input so replays never read the environment. */
export interface WorkerSettings {
  autoStartLinks: boolean;
  editBatchMaxTables: number;
  maxTablesPerLink: number;
  remediationMaxAttempts: number;
  tableDeadlineMinutes: number;
  pollMinSeconds: number;
  pollMaxSeconds: number;
  applyPollSeconds: number;
  pollsPerExecution: number;
  enabledOnceRetrySeconds: number;
  enabledOnceMaxRetries: number;
  /** Wait after a removal has left `linktables` before the table is added again (remediation, re-add). */
  reAddCooldownSeconds: number;
  /** Consecutive failed Synapse calls to one workspace that open its circuit breaker. */
  breakerFailureThreshold: number;
  /** How long an open breaker keeps the workers of that workspace from calling it before one probe. */
  breakerCooldownSeconds: number;
  /** Cap of the worker's back-off after an activity that failed all its retries (storage, Synapse). */
  faultBackoffMaxSeconds: number;
  /** After claiming new requests, wait until none arrived for this long before editing (0: edit at once). */
  batchQuietSeconds: number;
  /** The longest the worker gathers a burst of requests before it edits. */
  batchMaxWaitSeconds: number;
  /** Check the link's dedicated SQL pool before editing (on when ARM is configured; docs/control-plane.md). */
  checkSqlPools: boolean;
  /** Resume a Paused target pool instead of waiting for someone to. */
  autoResumeSqlPools: boolean;
  /** How long pending tables wait for a pool that is not Online before they fail. */
  sqlPoolDeadlineMinutes: number;
}

/** The service's own limit of tables per link (SQL error 22753); MAX_TABLES_PER_LINK may only lower it. */
export const SERVICE_TABLES_PER_LINK = 5000;

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["true", "false", "1", "0"].includes(v), { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

function integer(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { message: "must be a whole number" })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

const workspaceName = /^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]?$/;

/** `name` or `name=https://endpoint`, comma separated; the endpoint defaults to the workspace's dev endpoint. */
const workspaces = z
  .string()
  .trim()
  .min(1, { message: "must name at least one workspace" })
  .transform((value, ctx): WorkspaceEndpoint[] => {
    const result: WorkspaceEndpoint[] = [];
    for (const entry of value
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean)) {
      const [name = "", endpoint] = entry.split("=", 2).map((p) => p.trim());
      if (!workspaceName.test(name)) {
        ctx.addIssue({ code: "custom", message: `"${name}" is not a valid workspace name` });
        continue;
      }
      const url = endpoint ?? `https://${name}.dev.azuresynapse.net`;
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
        ctx.addIssue({ code: "custom", message: `"${url}" (workspace ${name}) is not an http(s) URL` });
        continue;
      }
      if (result.some((w) => w.name.toLowerCase() === name.toLowerCase())) {
        ctx.addIssue({ code: "custom", message: `workspace ${name} is listed twice` });
        continue;
      }
      result.push({ name, endpoint: url.replace(/\/+$/, "") });
    }
    return result;
  });

/** The worker's settings with their defaults: the one set the app, the dev host and the tests share. */
const workerSchema = z.object({
  AUTO_START_LINKS: boolean.default(false),
  EDIT_BATCH_MAX_TABLES: integer(1, 5000).default(100),
  MAX_TABLES_PER_LINK: integer(1, SERVICE_TABLES_PER_LINK).default(5000),
  REMEDIATION_MAX_ATTEMPTS: integer(0, 10).default(2),
  TABLE_DEADLINE_MINUTES: integer(5, 7 * 24 * 60).default(24 * 60),
  POLL_MIN_SECONDS: integer(5, 3600).default(30),
  POLL_MAX_SECONDS: integer(5, 3600).default(300),
  APPLY_POLL_SECONDS: integer(1, 600).default(15),
  // History grows with the polls of one execution; 100 polls is about 1,600 history events.
  POLLS_PER_EXECUTION: integer(1, 100).default(10),
  ENABLED_ONCE_RETRY_SECONDS: integer(5, 3600).default(60),
  ENABLED_ONCE_MAX_RETRIES: integer(0, 100).default(10),
  READD_COOLDOWN_SECONDS: integer(0, 3600).default(120),
  BREAKER_FAILURE_THRESHOLD: integer(1, 100).default(5),
  BREAKER_COOLDOWN_SECONDS: integer(5, 3600).default(120),
  FAULT_BACKOFF_MAX_SECONDS: integer(30, 3600).default(600),
  BATCH_QUIET_SECONDS: integer(0, 300).default(5),
  BATCH_MAX_WAIT_SECONDS: integer(0, 600).default(60),
  AUTO_RESUME_SQL_POOLS: boolean.default(false),
  SQL_POOL_DEADLINE_MINUTES: integer(1, 7 * 24 * 60).default(120),
});

function toWorkerSettings(e: z.infer<typeof workerSchema>): WorkerSettings {
  return {
    autoStartLinks: e.AUTO_START_LINKS,
    editBatchMaxTables: e.EDIT_BATCH_MAX_TABLES,
    maxTablesPerLink: e.MAX_TABLES_PER_LINK,
    remediationMaxAttempts: e.REMEDIATION_MAX_ATTEMPTS,
    tableDeadlineMinutes: e.TABLE_DEADLINE_MINUTES,
    pollMinSeconds: e.POLL_MIN_SECONDS,
    pollMaxSeconds: e.POLL_MAX_SECONDS,
    applyPollSeconds: e.APPLY_POLL_SECONDS,
    pollsPerExecution: e.POLLS_PER_EXECUTION,
    enabledOnceRetrySeconds: e.ENABLED_ONCE_RETRY_SECONDS,
    enabledOnceMaxRetries: e.ENABLED_ONCE_MAX_RETRIES,
    reAddCooldownSeconds: e.READD_COOLDOWN_SECONDS,
    breakerFailureThreshold: e.BREAKER_FAILURE_THRESHOLD,
    breakerCooldownSeconds: e.BREAKER_COOLDOWN_SECONDS,
    faultBackoffMaxSeconds: e.FAULT_BACKOFF_MAX_SECONDS,
    batchQuietSeconds: e.BATCH_QUIET_SECONDS,
    batchMaxWaitSeconds: e.BATCH_MAX_WAIT_SECONDS,
    checkSqlPools: false,
    autoResumeSqlPools: e.AUTO_RESUME_SQL_POOLS,
    sqlPoolDeadlineMinutes: e.SQL_POOL_DEADLINE_MINUTES,
  };
}

/** The worker settings when nothing is configured. */
export const DEFAULT_WORKER_SETTINGS: Readonly<WorkerSettings> = toWorkerSettings(workerSchema.parse({}));

const environmentSchema = workerSchema.extend({
  AzureWebJobsStorage: z.string().trim().min(1).optional(),
  AzureWebJobsStorage__accountName: z.string().trim().min(3).optional(),
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__queueServiceUri: z.url().optional(),
  AzureWebJobsStorage__clientId: z.string().trim().min(1).optional(),
  LEDGER_TABLE_NAME: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, {
      message: "must be 3-63 letters or digits, starting with a letter",
    })
    .default("onboardingLedger"),
  SYNAPSE_WORKSPACES: workspaces,
  SYNAPSE_STATIC_TOKEN: z.string().min(1).optional(),
  SYNAPSE_WORKSPACE_RESOURCE_IDS: z.string().trim().optional(),
  SYNAPSE_SQL_POOLS: z.string().trim().optional(),
  ARM_ENDPOINT: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  GIT_MODE_ACKNOWLEDGED: boolean.default(false),
  SYNAPSE_API_VERSION: z.enum(["2022-12-01-preview", "2023-04-18-preview"]).default("2023-04-18-preview"),
  WEBHOOK_SECRET: z.string().trim().optional(),
  ROUTING_RULES: z.string().trim().optional(),
  ALLOWED_LINKS: z.string().trim().optional(),
  SCHEMA_EVENT_TYPE_PREFIX: z.string().trim().min(1).optional(),
  EVENTGRID_TOPIC_ENDPOINT: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  EVENTGRID_TOPIC_KEY: z.string().min(1).optional(),
  CALLBACK_ALLOWED_HOSTS: z.string().trim().optional(),
  OUTCOME_EVENT_TYPE_PREFIX: z
    .string()
    .regex(/^[a-z0-9]+(\.[a-z0-9-]+)*$/i, { message: "must be a reverse-DNS name such as com.contoso" })
    .default("com.synapselinkautopilot"),
});

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The parsed host, not its spelling: `127.evil.example` and `127.0.0.1.nip.io` are names, not loopback. */
function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === "localhost" || isLoopbackAddress(host);
}

function storageFrom(env: z.infer<typeof environmentSchema>, problems: string[]): StorageConfig | undefined {
  if (env.AzureWebJobsStorage) return { kind: "connectionString", connectionString: env.AzureWebJobsStorage };
  const account = env.AzureWebJobsStorage__accountName;
  if (account || env.AzureWebJobsStorage__tableServiceUri) {
    const tableServiceUri =
      env.AzureWebJobsStorage__tableServiceUri ?? `https://${account ?? ""}.table.core.windows.net`;
    const queueServiceUri =
      env.AzureWebJobsStorage__queueServiceUri ?? `https://${account ?? ""}.queue.core.windows.net`;
    return {
      kind: "identity",
      tableServiceUri,
      queueServiceUri,
      ...(env.AzureWebJobsStorage__clientId ? { clientId: env.AzureWebJobsStorage__clientId } : {}),
    };
  }
  problems.push(
    "AzureWebJobsStorage: required (a connection string, or AzureWebJobsStorage__accountName for an identity-based connection)",
  );
  return undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  const storage = storageFrom(e, problems);
  if (e.POLL_MAX_SECONDS < e.POLL_MIN_SECONDS) {
    problems.push(`POLL_MAX_SECONDS: must be at least POLL_MIN_SECONDS (${e.POLL_MIN_SECONDS})`);
  }
  if (e.SYNAPSE_STATIC_TOKEN !== undefined) {
    const remote = e.SYNAPSE_WORKSPACES.filter((w) => !isLoopback(w.endpoint));
    if (remote.length > 0) {
      problems.push(
        `SYNAPSE_STATIC_TOKEN: only allowed when every workspace endpoint is on loopback (the simulator); ${remote
          .map((w) => w.name)
          .join(", ")} use Azure endpoints, which authenticate with DefaultAzureCredential`,
      );
    }
  }
  const webhookSecrets = parseSecrets(e.WEBHOOK_SECRET, problems);
  const callbacks = parseCallbackAllowList(e.CALLBACK_ALLOWED_HOSTS);
  problems.push(...callbacks.problems.map((p) => `CALLBACK_ALLOWED_HOSTS: ${p}`));
  const routing: Routing = {
    rules: parseRoutingRules(e.ROUTING_RULES, problems),
    allowedLinks: parseAllowedLinks(e.ALLOWED_LINKS, problems),
  };
  routing.rules = routing.rules.map((rule, i) => {
    const listed = e.SYNAPSE_WORKSPACES.find((w) => w.name.toLowerCase() === rule.workspace.toLowerCase());
    if (!listed) {
      problems.push(`ROUTING_RULES[${i}].workspace: "${rule.workspace}" is not listed in SYNAPSE_WORKSPACES`);
      return rule;
    }
    // Names are case-insensitive: messages built from a rule name the workspace as SYNAPSE_WORKSPACES does.
    return { ...rule, workspace: listed.name };
  });
  routing.allowedLinks = routing.allowedLinks.map((pattern) => {
    const listed = e.SYNAPSE_WORKSPACES.find((w) => w.name.toLowerCase() === pattern.workspace.toLowerCase());
    return listed ? { ...pattern, workspace: listed.name } : pattern;
  });
  const arm = parseArm(e, problems);
  if (arm && e.SYNAPSE_STATIC_TOKEN !== undefined && !isLoopback(arm.endpoint)) {
    problems.push(
      `SYNAPSE_STATIC_TOKEN: only allowed when ARM_ENDPOINT is on loopback (the simulator); ${arm.endpoint} authenticates with DefaultAzureCredential`,
    );
  }
  if (problems.length > 0 || !storage) throw new ConfigError(problems);
  return {
    storage,
    ledgerTableName: e.LEDGER_TABLE_NAME,
    synapse: {
      workspaces: e.SYNAPSE_WORKSPACES,
      ...(e.SYNAPSE_STATIC_TOKEN !== undefined ? { staticToken: e.SYNAPSE_STATIC_TOKEN } : {}),
      apiVersion: e.SYNAPSE_API_VERSION,
    },
    ...(arm ? { arm } : {}),
    worker: { ...toWorkerSettings(e), checkSqlPools: arm !== undefined },
    intake: {
      webhookSecrets,
      routing,
      ...(e.SCHEMA_EVENT_TYPE_PREFIX ? { schemaEventTypePrefix: e.SCHEMA_EVENT_TYPE_PREFIX } : {}),
    },
    outcomes: {
      ...(e.EVENTGRID_TOPIC_ENDPOINT ? { eventGridTopicEndpoint: e.EVENTGRID_TOPIC_ENDPOINT } : {}),
      ...(e.EVENTGRID_TOPIC_KEY ? { eventGridTopicKey: e.EVENTGRID_TOPIC_KEY } : {}),
      eventTypePrefix: e.OUTCOME_EVENT_TYPE_PREFIX,
      callbackAllowList: callbacks.allowList,
    },
  };
}

/** Space- or comma-separated secrets: several are accepted at once so they can be rotated. */
function parseSecrets(value: string | undefined, problems: string[]): Buffer[] {
  const secrets = (value ?? "").split(/[\s,]+/).filter(Boolean);
  const decoded: Buffer[] = [];
  secrets.forEach((secret, i) => {
    try {
      decoded.push(decodeSecret(secret, i));
    } catch (error) {
      problems.push(`WEBHOOK_SECRET: ${(error as Error).message}`);
    }
  });
  return decoded;
}

function parseRoutingRules(value: string | undefined, problems: string[]) {
  if (!value) return [];
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    problems.push(`ROUTING_RULES: not valid JSON (${(error as Error).message})`);
    return [];
  }
  const parsed = routingRulesSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [index, ...rest] = issue.path.map(String);
      const where = index === undefined ? "" : `[${index}]${rest.map((p) => `.${p}`).join("")}`;
      problems.push(`ROUTING_RULES${where}: ${issue.message}`);
    }
    return [];
  }
  return parsed.data;
}

function parseAllowedLinks(value: string | undefined, problems: string[]): LinkPattern[] {
  const links: LinkPattern[] = [];
  for (const entry of (value ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([^/\s]+)\/([^/\s]+)$/.exec(entry);
    if (!match?.[1] || !match[2]) {
      problems.push(`ALLOWED_LINKS: "${entry}" must be workspace/linkConnection or workspace/*`);
      continue;
    }
    links.push({ workspace: match[1], linkConnection: match[2] });
  }
  return links;
}

/**
 * `SYNAPSE_WORKSPACE_RESOURCE_IDS` (comma-separated ARM ids of workspaces listed in
 * SYNAPSE_WORKSPACES) and `SYNAPSE_SQL_POOLS` (`workspace/link=pool`, comma-separated).
 * Without resource ids there is no ARM part, and the app works without it (docs/control-plane.md).
 */
function parseArm(e: z.infer<typeof environmentSchema>, problems: string[]): ArmConfig | undefined {
  const workspaces = new Map<string, WorkspaceResourceId>();
  for (const entry of (e.SYNAPSE_WORKSPACE_RESOURCE_IDS ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const id = parseWorkspaceResourceId(entry);
    if (typeof id === "string") {
      problems.push(`SYNAPSE_WORKSPACE_RESOURCE_IDS: ${id}`);
      continue;
    }
    const listed = e.SYNAPSE_WORKSPACES.find((w) => w.name.toLowerCase() === id.workspace.toLowerCase());
    if (!listed) {
      problems.push(
        `SYNAPSE_WORKSPACE_RESOURCE_IDS: workspace "${id.workspace}" is not listed in SYNAPSE_WORKSPACES`,
      );
      continue;
    }
    workspaces.set(listed.name, id);
  }
  const sqlPools: ArmConfig["sqlPools"] = [];
  for (const entry of (e.SYNAPSE_SQL_POOLS ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const match = /^([^/\s=]+)\/([^/\s=]+)=([^/\s=]+)$/.exec(entry);
    if (!match?.[1] || !match[2] || !match[3]) {
      problems.push(`SYNAPSE_SQL_POOLS: "${entry}" must be workspace/linkConnection=sqlPool`);
      continue;
    }
    if (!workspaces.has(match[1])) {
      problems.push(
        `SYNAPSE_SQL_POOLS: workspace "${match[1]}" has no resource id in SYNAPSE_WORKSPACE_RESOURCE_IDS`,
      );
      continue;
    }
    sqlPools.push({ workspace: match[1], linkConnection: match[2], pool: match[3] });
  }
  if (workspaces.size === 0) return undefined;
  // The simulator serves ARM beside the link-connection API: when every workspace endpoint is
  // loopback, the management endpoint defaults to the first of them.
  const simulated = e.SYNAPSE_WORKSPACES.every((w) => isLoopback(w.endpoint));
  const endpoint =
    e.ARM_ENDPOINT ??
    (simulated && e.SYNAPSE_WORKSPACES[0]
      ? e.SYNAPSE_WORKSPACES[0].endpoint
      : "https://management.azure.com");
  return { endpoint, workspaces, sqlPools, gitModeAcknowledged: e.GIT_MODE_ACKNOWLEDGED };
}
