/**
 * CLI of the local host (what `npm start` runs when Core Tools are not installed):
 *
 *   node -r ts-node/register/transpile-only dev/host/main.ts
 *
 * Environment:
 * - `local.settings.json` `Values` are copied into the environment where not already set (like `func start`);
 *   `DEV_HOST_LOCAL_SETTINGS` names another file.
 * - `AzureWebJobsStorage` (required): Azurite, e.g. `UseDevelopmentStorage=true` (ports 10000-10002).
 * - `DEV_HOST_PORT` (default 7071), `DEV_HOST_TIME_SCALE` (default 1), `DEV_HOST_APP_GLOB` (default package.json
 *   "main", `dist/functions/*.js`; `functions/*.ts` works under ts-node), `DEV_HOST_HOST_JSON` (default host.json).
 *
 * Prints `Dev host durable API key: <key>` (the system key `/runtime/webhooks/durabletask/…` requires as `code=`)
 * and then `Dev host ready: http://127.0.0.1:<port>` once serving; SIGINT / SIGTERM close it cleanly (running
 * invocations finish, durable state is saved); a second signal exits at once.
 */
import { join, resolve } from "node:path";
import { findRepoRoot } from "./appModules";
import { loadLocalSettings } from "./localSettings";
import { startLocalHost } from "./localHost";

function numberFromEnv(name: string, fallback: number, valid: (n: number) => boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!valid(value)) throw new Error(`${name}='${raw}' is not valid`);
  return value;
}

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<void> {
  const repoRoot = findRepoRoot(__dirname);
  const settingsPath = resolve(repoRoot, process.env.DEV_HOST_LOCAL_SETTINGS ?? "local.settings.json");
  const settings = loadLocalSettings(settingsPath);
  if (settings.path !== undefined) {
    line(
      `[dev host] ${settingsPath}: ${settings.applied.length} setting(s) applied, ${settings.kept.length} kept from the environment`,
    );
  }
  const storage = process.env.AzureWebJobsStorage;
  if (storage === undefined || storage.trim() === "") {
    throw new Error(
      "AzureWebJobsStorage is not set (local.settings.json Values or the environment); " +
        "use UseDevelopmentStorage=true with Azurite on ports 10000-10002",
    );
  }
  const port = numberFromEnv("DEV_HOST_PORT", 7071, (n) => Number.isInteger(n) && n >= 0 && n < 65536);
  const timeScale = numberFromEnv("DEV_HOST_TIME_SCALE", 1, (n) => Number.isFinite(n) && n > 0);
  const appGlob = process.env.DEV_HOST_APP_GLOB;
  const hostJson = process.env.DEV_HOST_HOST_JSON;

  const host = await startLocalHost({
    port,
    timeScale,
    storageConnectionString: storage,
    ...(appGlob === undefined || appGlob === "" ? {} : { appGlob }),
    hostJsonPath: hostJson === undefined || hostJson === "" ? join(repoRoot, "host.json") : resolve(hostJson),
    log: line,
  });
  // Before the ready line, so whoever waits for that line has the key too (`npm start` prints it).
  line(`Dev host durable API key: ${host.systemKey}`);
  line(`Dev host ready: ${host.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      line(`[dev host] ${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    line(`[dev host] ${signal}: shutting down`);
    host.close().then(
      () => {
        line("[dev host] stopped");
        process.exit(0);
      },
      (error: unknown) => {
        console.error("[dev host] close failed:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(`[dev host] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
