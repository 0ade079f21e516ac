import { batchingPublisher } from "../../support/batchingPublisher";
import type { SettledTable } from "../../../shared/outcomes/outcomePublisher";
import { withGitModeWarnings, type ControlPlane } from "../../../shared/synapse/controlPlane";

const gitWorkspace: ControlPlane = {
  manages: () => true,
  getWorkspace: (name) => Promise.resolve({ name, git: { type: "WorkspaceVSTSConfiguration" } }),
  getSqlPool: () => Promise.reject(new Error("not used")),
  listSqlPools: () => Promise.reject(new Error("not used")),
  beginResume: () => Promise.reject(new Error("not used")),
  pollResume: () => Promise.reject(new Error("not used")),
};

const settled = (name: string, status: SettledTable["status"]): SettledTable => ({
  workspace: "demo",
  linkConnection: "demo-link",
  table: { schema: "dbo", name },
  requestIds: ["r1"],
  status,
});

describe("withGitModeWarnings", () => {
  it("keeps a poll's outcomes one batch, each carrying the git-mode warning", async () => {
    const { publisher, batches, single } = batchingPublisher();
    await withGitModeWarnings(publisher, gitWorkspace).tablesSettled?.([
      settled("A", "Replicating"),
      settled("B", "Failed"),
    ]);
    expect(single).not.toHaveBeenCalled();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.map((o) => [o.table.name, o.status])).toEqual([
      ["A", "Replicating"],
      ["B", "Failed"],
    ]);
    expect(batches[0]?.every((o) => /git/i.test(String((o as { warnings?: string[] }).warnings)))).toBe(true);
  });
});
