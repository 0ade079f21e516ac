import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appModuleFiles, expandGlob, findRepoRoot, packageMainGlob } from "../../dev/host/appModules";
import { hostSettingsFrom, parseTimeSpan, resolveAppSettings } from "../../dev/host/hostConfig";

describe("host.json settings", () => {
  it("parses TimeSpan text as host.json writes it", () => {
    expect(parseTimeSpan("00:00:30")).toBe(30_000);
    expect(parseTimeSpan("00:00:00")).toBe(0);
    expect(parseTimeSpan("01:02:03")).toBe(3_723_000);
    expect(parseTimeSpan("1.00:00:00")).toBe(86_400_000);
    expect(parseTimeSpan("00:00:01.5")).toBe(1500);
    expect(parseTimeSpan("00:10")).toBe(600_000);
    expect(() => parseTimeSpan("30s")).toThrow(/not a TimeSpan/);
    expect(() => parseTimeSpan("00:61:00")).toThrow(/not a TimeSpan/);
  });

  it("reads extensions.queues, http.routePrefix and durableTask.hubName with %settings% resolved", () => {
    const settings = hostSettingsFrom(
      {
        extensions: {
          queues: {
            batchSize: 4,
            maxDequeueCount: 2,
            visibilityTimeout: "00:00:30",
            messageEncoding: "None",
          },
          http: { routePrefix: "/v1/" },
          durableTask: { hubName: "%HUB%" },
        },
      },
      { HUB: "MyHub" },
    );
    expect(settings).toEqual({
      queues: { batchSize: 4, maxDequeueCount: 2, visibilityTimeoutMs: 30_000, messageEncoding: "none" },
      routePrefix: "v1",
      hubName: "MyHub",
    });
  });

  it("uses the extension defaults when host.json says nothing", () => {
    expect(hostSettingsFrom({ version: "2.0" }, {})).toEqual({
      queues: { batchSize: 16, maxDequeueCount: 5, visibilityTimeoutMs: 0, messageEncoding: "base64" },
      routePrefix: "api",
      hubName: "TestHubName",
    });
  });

  it("reads the repository's own host.json (TASK_HUB_NAME from the settings)", () => {
    const root = findRepoRoot(__dirname);
    const settings = hostSettingsFrom(JSON.parse(readFileSync(join(root, "host.json"), "utf8")), {
      TASK_HUB_NAME: "Local",
    });
    expect(settings).toMatchObject({
      queues: { batchSize: 16, maxDequeueCount: 5, visibilityTimeoutMs: 30_000, messageEncoding: "base64" },
      hubName: "Local",
    });
  });

  it.each([
    [{ extensions: { queues: { batchSize: 33 } } }, /batchSize must be an integer between 1 and 32/],
    [{ extensions: { queues: { maxDequeueCount: 0 } } }, /maxDequeueCount/],
    [{ extensions: { queues: { visibilityTimeout: 30 } } }, /TimeSpan string/],
    [{ extensions: { queues: { messageEncoding: "utf8" } } }, /messageEncoding/],
    [{ extensions: { durableTask: { hubName: "%MISSING%" } } }, /'%MISSING%' does not resolve/],
  ])("rejects invalid settings %#", (hostJson, message) => {
    expect(() => hostSettingsFrom(hostJson, {})).toThrow(message);
  });

  it("resolves %NAME% app settings inside binding values", () => {
    expect(resolveAppSettings("%PREFIX%-requests", { PREFIX: "onboarding" })).toBe("onboarding-requests");
    expect(resolveAppSettings("plain", {})).toBe("plain");
    expect(() => resolveAppSettings("%NOPE%", {})).toThrow(/does not resolve/);
  });
});

describe("app modules", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "devhost-glob-"));
    mkdirSync(join(dir, "dist/functions/nested"), { recursive: true });
    for (const file of ["a.js", "b.js", "a.js.map", "types.d.ts", "nested/c.js", ".hidden.js"]) {
      writeFileSync(join(dir, "dist/functions", file), "");
    }
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("expands * to the files of one folder, sorted, without dot files", () => {
    expect(expandGlob("dist/functions/*.js", dir)).toEqual([
      join(dir, "dist/functions/a.js"),
      join(dir, "dist/functions/b.js"),
    ]);
  });

  it("expands ** to any depth and keeps only loadable modules", () => {
    expect(appModuleFiles(join(dir, "dist/**/*"), "/unused")).toEqual([
      join(dir, "dist/functions/a.js"),
      join(dir, "dist/functions/b.js"),
      join(dir, "dist/functions/nested/c.js"),
    ]);
  });

  it("finds the repository root and its package.json main", () => {
    const root = findRepoRoot(__dirname);
    expect(packageMainGlob(root)).toBe("dist/functions/*.js");
  });
});
