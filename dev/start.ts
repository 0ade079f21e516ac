/*
 * `npm start`: the whole app on this machine. Starts Azurite (data in .azurite/) and, unless a real
 * Synapse endpoint is configured, the Synapse simulator with its demo seed; then `func start` when
 * Azure Functions Core Tools are installed, otherwise the dev host. Ctrl-C stops everything.
 * Settings come from local.settings.json "Values"; environment variables win.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { startAzurite, type RunningAzurite } from "./azurite/startAzurite";
import { applyLocalSettings } from "./host/localSettings";
import { demoSeed, startSynapseSim, formatSimProfile, type SynapseSim } from "./synapse-sim";

const REPO = join(__dirname, "..");
const HOST_PORT = Number(process.env.DEV_HOST_PORT ?? "7071");
/** Short simulated durations so the demo finishes in well under a minute per table. */
const DEMO_TIMINGS = {
  applyMs: 3_000,
  waitingMs: 3_000,
  snapshotMs: 8_000,
  linkTransitionMs: 10_000,
  removeCleanupMs: 5_000,
};

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function loopbackWorkspaces(value: string | undefined): { name: string; port: number }[] {
  return (value ?? "")
    .split(",")
    .map((entry) => entry.trim().split("="))
    .flatMap(([name, endpoint]) => {
      if (!name || !endpoint || !URL.canParse(endpoint)) return [];
      const url = new URL(endpoint);
      const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost";
      return loopback ? [{ name, port: Number(url.port || "80") }] : [];
    });
}

async function main(): Promise<void> {
  applyLocalSettings(join(REPO, "local.settings.json"));
  const stops: (() => Promise<void>)[] = [];
  // Set once the functions run; read by the Ctrl-C handler, which is installed first.
  const running: { app?: ChildProcess } = {};
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping…");
    const { app } = running;
    if (app && app.exitCode === null) {
      const exited = new Promise((resolve) => app.once("exit", resolve));
      app.kill("SIGTERM");
      await exited;
    }
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  // 1. Azurite, when the app uses the development storage account.
  if (process.env.AzureWebJobsStorage === "UseDevelopmentStorage=true") {
    if (await portInUse(10001)) {
      console.log("Azurite: already running on 127.0.0.1:10000-10002, using it");
    } else {
      const location = join(REPO, ".azurite");
      mkdirSync(location, { recursive: true });
      const azurite: RunningAzurite = await startAzurite({
        location,
        blobPort: 10000,
        queuePort: 10001,
        tablePort: 10002,
      });
      stops.push(() => azurite.stop());
      console.log(`Azurite: 127.0.0.1:10000 (blob), 10001 (queue), 10002 (table), data in ${location}`);
    }
  }

  // 2. The simulator for every workspace configured on loopback.
  for (const workspace of loopbackWorkspaces(process.env.SYNAPSE_WORKSPACES)) {
    if (await portInUse(workspace.port)) {
      console.log(
        `Synapse simulator: something already listens on ${workspace.port}, using it for ${workspace.name}`,
      );
      continue;
    }
    const sim: SynapseSim = await startSynapseSim({
      port: workspace.port,
      seed: demoSeed(),
      timings: DEMO_TIMINGS,
      // SIM_PROFILE picks the simulator's answer to each open question about the real service.
      profile: process.env.SIM_PROFILE ?? "",
      ...(process.env.SYNAPSE_STATIC_TOKEN ? { token: process.env.SYNAPSE_STATIC_TOKEN } : {}),
    });
    stops.push(() => sim.close());
    console.log(
      `Synapse simulator: ${sim.url} for workspace ${workspace.name}, profile ${formatSimProfile(sim.profile) || "default"} (state: ${sim.url}/_sim/state)`,
    );
  }

  // 3. The functions: Core Tools when installed, else the dev host on the compiled app (npm start built it).
  const useFunc = onPath("func");
  const app = useFunc
    ? spawn("func", ["start", "--port", String(HOST_PORT)], { cwd: REPO, stdio: "inherit" })
    : spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(REPO, "dev/host/main.ts")], {
        cwd: REPO,
        env: { ...process.env, DEV_HOST_PORT: String(HOST_PORT) },
        stdio: ["ignore", "pipe", "inherit"],
      });
  running.app = app;
  app.once("exit", (code) => {
    if (!stopping) {
      console.error(`${useFunc ? "func start" : "dev host"} exited with ${code ?? "a signal"}`);
      void stopAll(code ?? 1);
    }
  });
  if (useFunc) {
    console.log("Functions: func start (Azure Functions Core Tools)");
    return;
  }
  let announced = false;
  let durableKey = "";
  app.stdout?.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    durableKey = /Dev host durable API key: (\S+)/.exec(chunk.toString())?.[1] ?? durableKey;
    const ready = /Dev host ready: (http:\/\/\S+)/.exec(chunk.toString());
    if (ready?.[1] && !announced) {
      announced = true;
      printBanner(ready[1], durableKey);
    }
  });
}

function printBanner(url: string, durableKey: string): void {
  console.log(`
Synapse Link Autopilot is running (dev host; Ctrl-C stops everything).
  Dashboard:       ${url}/api/dashboard
  API:             ${url}/api/onboarding
  Event Grid:      ${url}/runtime/webhooks/eventgrid?functionName=schemaChanged
  Durable status:  ${url}/runtime/webhooks/durabletask/instances?code=${durableKey} (the system key, as in Azure)

Try it:
  curl -s -X POST ${url}/api/onboarding -H 'content-type: application/json' \\
    -d '{"linkConnection":"demo-link","tables":[{"schema":"dbo","name":"Customers"},{"schema":"dbo","name":"Orders"}]}'
  curl -s ${url}/api/onboarding/<requestId>
  curl -s ${url}/api/links/demo/demo-link
or run the whole demo in another terminal: npm run demo
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
