import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { startAzurite, type RunningAzurite } from "../../../dev/azurite/startAzurite";
import { freePort } from "../../../dev/azurite/freePort";
import { addsPerTable } from "../../support/simAdds";
import { demoSeed, startSynapseSim, type SynapseSim } from "../../../dev/synapse-sim";

const REPO = join(__dirname, "../../..");
const TOKEN = "e2e-simulator-token";
/** Sim and durable timers both run this many times faster than the wall clock. */
export const TIME_SCALE = 10;
export const EVENT_SOURCE = "/sql/servers/demo-sql/databases/demo";

/** The same stack `npm start` runs: Azurite, the simulator with its demo seed, the dev host as a child process. */
export class LocalStack {
  private host: ChildProcess | undefined;
  hostUrl = "";
  hostLog = "";

  private constructor(
    readonly azurite: RunningAzurite,
    readonly sim: SynapseSim,
    private readonly hostPort: number,
  ) {}

  static async start(): Promise<LocalStack> {
    const azurite = await startAzurite();
    const sim = await startSynapseSim({
      seed: demoSeed(),
      token: TOKEN,
      timeScale: TIME_SCALE,
      timings: {
        applyMs: 3_000,
        waitingMs: 3_000,
        snapshotMs: 6_000,
        linkTransitionMs: 5_000,
        removeCleanupMs: 5_000,
      },
    });
    const stack = new LocalStack(azurite, sim, await freePort());
    await stack.startHost();
    return stack;
  }

  /** Starts (or restarts) the dev host and waits for its ready line. */
  async startHost(): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AzureWebJobsStorage: this.azurite.connectionString,
      SYNAPSE_WORKSPACES: `demo=${this.sim.url}`,
      SYNAPSE_STATIC_TOKEN: TOKEN,
      ALLOWED_LINKS: "demo/*",
      ROUTING_RULES: JSON.stringify([
        { source: EVENT_SOURCE, workspace: "demo", linkConnection: "demo-link", include: ["sales.*"] },
      ]),
      DEV_HOST_PORT: String(this.hostPort),
      DEV_HOST_TIME_SCALE: String(TIME_SCALE),
      DEV_HOST_APP_GLOB: "functions/*.ts",
    };
    this.hostLog = "";
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "dev/host/main.ts"], {
      cwd: REPO,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.host = child;
    this.hostUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`dev host not ready in 60 s:\n${this.hostLog}`));
      }, 60_000);
      const onData = (chunk: Buffer) => {
        this.hostLog += chunk.toString();
        const ready = /Dev host ready: (http:\/\/\S+)/.exec(this.hostLog);
        if (ready?.[1]) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`dev host exited with ${code}:\n${this.hostLog}`));
      });
    });
  }

  /** SIGKILL: no shutdown hook runs, as in a crash. */
  async killHost(): Promise<void> {
    await this.signalHost("SIGKILL");
  }

  async stopHost(): Promise<void> {
    await this.signalHost("SIGTERM");
  }

  /** Sends `signal` to the host, if it still runs, and waits until it exited. */
  private async signalHost(signal: NodeJS.Signals): Promise<void> {
    const child = this.host;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.stopHost();
    await this.sim.close();
    await this.azurite.stop();
  }

  /** Tables the simulator accepted an add for, per qualified name. */
  addsPerTable(): Record<string, number> {
    return addsPerTable(this.sim);
  }
}

export interface RequestStatus {
  requestId: string;
  status: string;
  tables: { schema: string; name: string; status: string; error?: string }[];
}

const TERMINAL = new Set(["Succeeded", "PartiallySucceeded", "Failed", "Rejected"]);

/** Polls GET /api/onboarding/{id} until the request is terminal (404 = still queued). */
export async function waitForTerminal(
  hostUrl: string,
  requestId: string,
  timeoutMs = 90_000,
): Promise<RequestStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: RequestStatus | undefined;
  while (Date.now() < deadline) {
    const response = await fetch(`${hostUrl}/api/onboarding/${requestId}`);
    if (response.status === 200) {
      last = (await response.json()) as RequestStatus;
      if (TERMINAL.has(last.status)) return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`request ${requestId} not terminal after ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
