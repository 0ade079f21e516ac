/**
 * The dev host CLI (`dev/host/main.ts`) as a child process, the way `npm start` and end-to-end tests run it:
 * ready line, an HTTP route, a clean SIGTERM; and a host killed with SIGKILL mid-orchestration whose successor
 * resumes the orchestration from the state saved in Azurite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { until } from "../support/until";

const REPO = join(__dirname, "../..");
const FIXTURES = join(__dirname, "../fixtures/devHost");

let azurite: RunningAzurite;
const children: ChildProcess[] = [];

interface RunningChild {
  child: ChildProcess;
  url: string;
  /** The durable API system key the CLI printed. */
  durableKey: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(extraEnv: Record<string, string> = {}): Promise<RunningChild> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "dev/host/main.ts"], {
    cwd: REPO,
    env: {
      ...process.env,
      AzureWebJobsStorage: azurite.connectionString,
      DEV_HOST_PORT: "0",
      DEV_HOST_TIME_SCALE: "60",
      DEV_HOST_APP_GLOB: join(FIXTURES, "*.ts"),
      DEV_HOST_HOST_JSON: join(FIXTURES, "host.json"),
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no ready line within 20 s:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^Dev host ready: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output);
      if (ready !== null) {
        clearTimeout(timer);
        const durableKey = /^Dev host durable API key: (\S+)$/m.exec(output)?.[1] ?? "";
        resolve({ child, url: ready[1]!, durableKey, output: () => output, exited });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the dev host exited (${code}) before it was ready:\n${output}`));
    });
  });
}

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await azurite.stop();
});

describe("dev host CLI (dev/host/main.ts)", () => {
  it("prints the ready line once, serves an http route and exits 0 on SIGTERM", async () => {
    const cli = await startCli();
    const response = await fetch(`${cli.url}/api/items/tools/3?code=abc`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ function: "fxItem", category: "tools", id: "3" });

    cli.child.kill("SIGTERM");
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.output().match(/Dev host ready:/g)).toHaveLength(1);
    expect(cli.output()).toContain("Executed 'fxItem' (Succeeded");
  });

  it("resumes an orchestration after the host was killed with SIGKILL", async () => {
    const env = { TASK_HUB_NAME: "unused" }; // host.json of the fixtures names the hub itself
    const first = await startCli(env);
    const started = await fetch(`${first.url}/api/orchestrators/fxTimed/killed-1`, {
      method: "POST",
      body: JSON.stringify({ name: "Cy", waitSeconds: 180 }),
    });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    expect(first.durableKey).not.toBe("");
    expect(new URL(statusQueryGetUri).searchParams.get("code")).toBe(first.durableKey);
    const statusOf = async (cli: RunningChild) =>
      (await (
        await fetch(`${cli.url}/runtime/webhooks/durabletask/instances/killed-1?code=${cli.durableKey}`)
      ).json()) as {
        runtimeStatus: string;
        customStatus: { phase?: string } | null;
        output: unknown;
      };
    await until(
      "the timer wait",
      async () => ((await statusOf(first)).customStatus?.phase === "waiting" ? true : undefined),
      10_000,
    );

    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const second = await startCli(env);
    try {
      expect(second.output()).toMatch(/resumed: 1 instance\(s\), 1 running/);
      // The key is kept with the task hub's state: a status URL handed out before the crash still works.
      expect(second.durableKey).toBe(first.durableKey);
      const done = await until(
        "completion after the restart",
        async () => {
          const s = await statusOf(second);
          return s.runtimeStatus === "Completed" ? s : undefined;
        },
        10_000,
      );
      expect(done.output).toEqual(["Hello Cy", "Hello Cy again"]);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });
});
