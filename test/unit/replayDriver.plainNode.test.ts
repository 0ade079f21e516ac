/**
 * The stand-in outside Jest: plain Node resolves `@azure/functions-core` through the Module._resolveFilename hook
 * and require.cache entry (docs/durable-protocol.md §2.1), the path a local dev host takes.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";

test("plain Node: the stand-in captures df.app registrations and the driver runs them", () => {
  const fixture = path.join(__dirname, "fixtures", "replayPlainNode.ts");
  const stdout = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", fixture], {
    cwd: path.join(__dirname, "..", ".."),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const result = JSON.parse(stdout) as { sameRegistry: boolean; names: string[]; status: unknown };
  expect(result.sameRegistry).toBe(true);
  expect(result.names).toEqual(["Double", "PlainNodeOrchestration"]);
  expect(result.status).toMatchObject({ runtimeStatus: "Completed", output: 42 });
});
