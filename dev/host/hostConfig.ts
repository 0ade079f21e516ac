/**
 * What the local host reads from host.json (docs/durable-protocol.md §11.5 / §11.6) and how it resolves binding
 * settings: `extensions.queues` (batchSize, visibilityTimeout, maxDequeueCount, messageEncoding),
 * `extensions.http.routePrefix` and `extensions.durableTask.hubName`, plus `%APP_SETTING%` expressions as the
 * Functions host resolves them.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_TASK_HUB_NAME } from "./durableClientData";

export type QueueMessageEncoding = "base64" | "none";

export interface QueuesSettings {
  /** Messages received per poll (1–32, default 16). */
  batchSize: number;
  /** A message that failed this many times goes to `<queue>-poison` (default 5). */
  maxDequeueCount: number;
  /** Delay before a failed message becomes visible again, ms (default 0). */
  visibilityTimeoutMs: number;
  /** Default "base64" (extension ≥ 5). */
  messageEncoding: QueueMessageEncoding;
}

export interface HostSettings {
  queues: QueuesSettings;
  /** `extensions.http.routePrefix`, default "api" ("" = no prefix). */
  routePrefix: string;
  /** `extensions.durableTask.hubName` with `%SETTING%` resolved; default "TestHubName". */
  hubName: string;
}

export const DEFAULT_QUEUES_SETTINGS: Readonly<QueuesSettings> = {
  batchSize: 16,
  maxDequeueCount: 5,
  visibilityTimeoutMs: 0,
  messageEncoding: "base64",
};

/**
 * Parses a .NET TimeSpan as host.json writes it: `[-][d.]hh:mm[:ss[.fffffff]]` ("00:00:30", "1.02:00:00") or a
 * plain number of days ("2"). Returns milliseconds.
 */
export function parseTimeSpan(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 86_400_000;
  const match = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(trimmed);
  if (match === null) throw new Error(`'${text}' is not a TimeSpan (expected e.g. "00:00:30")`);
  const [, sign, days, hours, minutes, seconds, fraction] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59) {
    throw new Error(`'${text}' is not a TimeSpan (hours ≤ 23, minutes and seconds ≤ 59)`);
  }
  const ms =
    Number(days ?? 0) * 86_400_000 +
    Number(hours) * 3_600_000 +
    Number(minutes) * 60_000 +
    Number(seconds ?? 0) * 1000 +
    Math.round(Number(`0.${fraction ?? "0"}`) * 1000);
  return sign === "-" ? -ms : ms;
}

/**
 * Replaces `%NAME%` with the app setting NAME (as the host does for binding properties such as `queueName` and
 * `schedule`). A missing setting throws, like the host's "'%NAME%' does not resolve to a value".
 */
export function resolveAppSettings(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`'%${name}%' does not resolve to a value (app setting not set)`);
    return value;
  });
}

function objectAt(root: unknown, ...path: string[]): Record<string, unknown> | undefined {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "object" && node !== null && !Array.isArray(node)
    ? (node as Record<string, unknown>)
    : undefined;
}

function integerSetting(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(
      `host.json: ${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Settings from a parsed host.json document (defaults for everything missing). */
export function hostSettingsFrom(hostJson: unknown, env: NodeJS.ProcessEnv = process.env): HostSettings {
  const queues = objectAt(hostJson, "extensions", "queues") ?? {};
  const http = objectAt(hostJson, "extensions", "http") ?? {};
  const durable = objectAt(hostJson, "extensions", "durableTask") ?? {};

  let visibilityTimeoutMs = DEFAULT_QUEUES_SETTINGS.visibilityTimeoutMs;
  if (typeof queues.visibilityTimeout === "string") {
    visibilityTimeoutMs = parseTimeSpan(queues.visibilityTimeout);
    if (visibilityTimeoutMs < 0 || visibilityTimeoutMs > 7 * 86_400_000) {
      throw new Error(`host.json: extensions.queues.visibilityTimeout must be between 0 and 7 days`);
    }
  } else if (queues.visibilityTimeout !== undefined) {
    throw new Error(`host.json: extensions.queues.visibilityTimeout must be a TimeSpan string ("00:00:30")`);
  }
  const encoding = queues.messageEncoding ?? DEFAULT_QUEUES_SETTINGS.messageEncoding;
  if (typeof encoding !== "string" || !["base64", "none"].includes(encoding.toLowerCase())) {
    throw new Error(`host.json: extensions.queues.messageEncoding must be "base64" or "none"`);
  }

  const prefix = typeof http.routePrefix === "string" ? http.routePrefix : "api";
  let hubName = DEFAULT_TASK_HUB_NAME;
  if (typeof durable.hubName === "string" && durable.hubName.trim() !== "") {
    hubName = resolveAppSettings(durable.hubName, env);
  }

  return {
    queues: {
      batchSize: integerSetting(queues.batchSize, "extensions.queues.batchSize", 1, 32, 16),
      maxDequeueCount: integerSetting(
        queues.maxDequeueCount,
        "extensions.queues.maxDequeueCount",
        1,
        1000,
        5,
      ),
      visibilityTimeoutMs,
      messageEncoding: encoding.toLowerCase() as QueueMessageEncoding,
    },
    routePrefix: prefix.replace(/^\/+|\/+$/g, ""),
    hubName,
  };
}

/** Reads and parses a host.json file. */
export function readHostSettings(hostJsonPath: string, env: NodeJS.ProcessEnv = process.env): HostSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(hostJsonPath, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${hostJsonPath}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return hostSettingsFrom(parsed, env);
}
