import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLocalSettings } from "../../dev/host/localSettings";

describe("local.settings.json", () => {
  let dir: string;
  const file = (content: unknown) => {
    const path = join(dir, "local.settings.json");
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "devhost-settings-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("copies Values into the environment without overriding variables already set", () => {
    const env: NodeJS.ProcessEnv = { AzureWebJobsStorage: "from-env", EMPTY: "" };
    const result = loadLocalSettings(
      file({
        IsEncrypted: false,
        Values: {
          AzureWebJobsStorage: "UseDevelopmentStorage=true",
          TASK_HUB_NAME: "Local",
          EMPTY: "x",
          N: 5,
        },
      }),
      env,
    );
    expect(env).toEqual({ AzureWebJobsStorage: "from-env", EMPTY: "", TASK_HUB_NAME: "Local", N: "5" });
    expect(result.applied).toEqual(["TASK_HUB_NAME", "N"]);
    expect(result.kept).toEqual(["AzureWebJobsStorage", "EMPTY"]);
  });

  it("does nothing for a missing file", () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadLocalSettings(join(dir, "absent.json"), env)).toEqual({
      path: undefined,
      applied: [],
      kept: [],
    });
    expect(env).toEqual({});
  });

  it("rejects malformed JSON and encrypted files", () => {
    expect(() => loadLocalSettings(file("{ nope"), {})).toThrow(/not valid JSON/);
    expect(() => loadLocalSettings(file({ IsEncrypted: true, Values: {} }), {})).toThrow(/encrypted/);
    expect(() => loadLocalSettings(file({ Values: [] }), {})).toThrow(/"Values" must be an object/);
  });
});
