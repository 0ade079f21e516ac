import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./freePort";

/** Azurite's well-known development account (public, documented; not a secret). */
const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteOptions {
  /** Persist data in this folder; default in memory (tests). */
  location?: string;
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Finds a free port (default: ask the OS); a test can hand out a taken one. */
  pickPort?: () => Promise<number>;
}

export interface RunningAzurite {
  connectionString: string;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  stop(): Promise<void>;
}

function waitForPort(port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      // Start-up failed on another port: stop trying (a pending retry would hold the process open).
      if (signal.aborted) {
        reject(new Error("Azurite start-up abandoned"));
        return;
      }
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`Azurite did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Attempts when a free port was taken by another process before Azurite bound it. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * Starts Azurite (the npm dev dependency) as a child process on free ports. A port found free can
 * be taken by another process (a parallel test file) before Azurite binds it: then it starts again
 * on new ports, unless the caller chose the ports.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const chosen =
    options.blobPort !== undefined || options.queuePort !== undefined || options.tablePort !== undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      const raced = error instanceof Error && /EADDRINUSE/.test(error.message);
      if (!raced || chosen || attempt >= PORT_RACE_ATTEMPTS) throw error;
    }
  }
}

async function startOnce(options: AzuriteOptions): Promise<RunningAzurite> {
  const pickPort = options.pickPort ?? freePort;
  const blobPort = options.blobPort ?? (await pickPort());
  const queuePort = options.queuePort ?? (await pickPort());
  const tablePort = options.tablePort ?? (await pickPort());
  const args = [
    require.resolve("azurite/dist/src/azurite.js"),
    "--silent",
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--loose",
    "--blobPort",
    String(blobPort),
    "--queuePort",
    String(queuePort),
    "--tablePort",
    String(tablePort),
    ...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const startUp = new AbortController();
  try {
    await Promise.race([
      Promise.all([
        waitForPort(blobPort, 20_000, startUp.signal),
        waitForPort(queuePort, 20_000, startUp.signal),
        waitForPort(tablePort, 20_000, startUp.signal),
      ]),
      exited.then(() => Promise.reject(new Error(`Azurite exited during start-up: ${stderr.trim()}`))),
    ]);
  } catch (error) {
    startUp.abort();
    child.kill();
    throw error;
  }
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};` +
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${ACCOUNT};` +
    `QueueEndpoint=http://127.0.0.1:${queuePort}/${ACCOUNT};` +
    `TableEndpoint=http://127.0.0.1:${tablePort}/${ACCOUNT};`;
  return {
    connectionString,
    blobPort,
    queuePort,
    tablePort,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
