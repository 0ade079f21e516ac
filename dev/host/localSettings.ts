/**
 * `local.settings.json` as `func start` reads it: the `Values` become environment variables (app settings) of the
 * host and the worker, WITHOUT overriding variables that are already set (so a caller's or CI's environment wins).
 * `ConnectionStrings` are not used by this app and are ignored.
 */
import { existsSync, readFileSync } from "node:fs";

export interface LocalSettingsResult {
  /** The file read, or undefined when it does not exist. */
  path: string | undefined;
  /** Names set from the file. */
  applied: string[];
  /** Names left alone because the environment already had them. */
  kept: string[];
}

/**
 * Reads `path` and copies its `Values` into `env` (default `process.env`) where not already set. A missing file is
 * not an error (`func start` only warns); malformed JSON or `IsEncrypted: true` is.
 */
export function loadLocalSettings(path: string, env: NodeJS.ProcessEnv = process.env): LocalSettingsResult {
  if (!existsSync(path)) return { path: undefined, applied: [], kept: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path} must hold a JSON object`);
  }
  const settings = parsed as { IsEncrypted?: unknown; Values?: unknown };
  if (settings.IsEncrypted === true) {
    throw new Error(`${path} is encrypted (IsEncrypted: true); the dev host reads plain values only`);
  }
  const values: unknown = settings.Values ?? {};
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new Error(`${path}: "Values" must be an object of app settings`);
  }
  const applied: string[] = [];
  const kept: string[] = [];
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    if (env[name] !== undefined) {
      kept.push(name);
      continue;
    }
    if (value === null || value === undefined) continue;
    env[name] = typeof value === "string" ? value : JSON.stringify(value);
    applied.push(name);
  }
  return { path, applied, kept };
}

/** Alias of `loadLocalSettings` (the name `dev/start.ts` uses). */
export const applyLocalSettings = loadLocalSettings;
