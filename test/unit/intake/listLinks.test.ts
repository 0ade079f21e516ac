import type { LinkTableRecord } from "../../../shared/ledger/ledger";
import { configuredLinks, listLinks } from "../../../shared/intake/listLinks";
import { resolveTarget } from "../../../shared/domain/tableTarget";
import type { WorkerStatus } from "../../../shared/dashboard/workerStatus";
import { FakeSynapseLinkClient } from "../../support/fakeSynapseLinkClient";
import { InMemoryLedger } from "../../support/inMemoryLedger";
import { NOW, request } from "../worker/workerTestKit";

const demoLink = { workspace: "demo", linkConnection: "demo-link" };
const routing = {
  allowedLinks: [
    { workspace: "demo", linkConnection: "*" },
    { workspace: "demo", linkConnection: "DEMO-LINK" },
  ],
  rules: [{ workspace: "demo", linkConnection: "sales-link", include: ["*.*"], exclude: [] }],
};

function record(
  name: string,
  status: LinkTableRecord["status"],
  updatedAt: string,
  error?: string,
): LinkTableRecord {
  const source = { schema: "dbo", name };
  return {
    source,
    target: resolveTarget(source, undefined),
    action: "add",
    status,
    requestIds: [],
    attempts: 1,
    enabledOnceRetries: 0,
    updatedAt,
    ...(error ? { error } : {}),
  };
}

function setup(workers: Record<string, WorkerStatus> = {}) {
  const ledger = new InMemoryLedger();
  const synapse = new FakeSynapseLinkClient();
  synapse.addLink("demo-link");
  synapse.addLink("sales-link", "Paused");
  const deps = {
    ledger,
    synapse,
    routing,
    workspaces: ["demo"],
    readWorker: (instanceId: string) =>
      Promise.resolve(Object.entries(workers).find(([k]) => instanceId.includes(k))?.[1]),
  };
  return { ledger, synapse, deps };
}

async function ok(deps: Parameters<typeof listLinks>[0], token?: string) {
  const result = await listLinks(deps, token ? { continuationToken: token } : {}, NOW);
  if (result.kind !== "ok") throw new Error(JSON.stringify(result));
  return result.body;
}

describe("listLinks", () => {
  it("names each link the configuration names exactly, once whatever its spelling, and none for a wildcard", () => {
    expect(configuredLinks({ routing, workspaces: ["demo"] })).toEqual([
      { workspace: "demo", linkConnection: "DEMO-LINK" },
      { workspace: "demo", linkConnection: "sales-link" },
    ]);
    expect(configuredLinks({ routing, workspaces: ["elsewhere"] })).toEqual([]);
  });

  it("lists configured and tracked links once each, with service status, worker phase and table counts", async () => {
    const { ledger, deps } = setup({
      "demo-link": {
        runtimeStatus: "Running",
        phase: { phase: "waiting", nextPollAt: "2026-01-05T08:01:00.000Z" },
      },
    });
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    await ledger.recordRequest({ ...request("r2", ["dbo.X"]), linkConnection: "gone-link" }, NOW);
    await ledger.saveLinkTables(demoLink, [
      record("A", "Replicating", "2026-01-05T08:00:30.000Z"),
      record("B", "Replicating", "2026-01-05T08:00:10.000Z"),
      record("C", "Failed", "2026-01-05T08:00:20.000Z", "22720: no primary key"),
    ]);
    const body = await ok(deps);
    expect(body.links.map((l) => [l.linkConnection, l.linkStatus])).toEqual([
      ["demo-link", "Running"],
      ["gone-link", "NotFound"],
      ["sales-link", "Paused"],
    ]);
    expect(body.links[0]).toMatchObject({
      worker: { running: true, runtimeStatus: "Running", phase: "waiting" },
      tables: { Replicating: 2, Failed: 1 },
      lastError: "22720: no primary key",
      lastChangeAt: "2026-01-05T08:00:30.000Z",
      nextPollAt: "2026-01-05T08:01:00.000Z",
      breaker: "closed",
      warnings: [],
    });
    // Requests not yet claimed by a worker have no table records in the link.
    expect(body.links[1]).toMatchObject({ worker: { running: false }, tables: {}, lastChangeAt: NOW });
    expect(JSON.stringify(body)).not.toMatch(/instanceId|callbackUrl/);
  });

  it("warns while the workspace's circuit breaker is open, and shows its last error", async () => {
    const { ledger, deps } = setup();
    await ledger.saveBreaker("demo", {
      failures: 5,
      openUntil: "2026-01-05T09:00:00.000Z",
      lastError: "503 from Synapse",
    });
    const reads: string[] = [];
    const getBreaker = ledger.getBreaker.bind(ledger);
    ledger.getBreaker = (workspace) => {
      reads.push(workspace);
      return getBreaker(workspace);
    };
    const body = await ok(deps);
    expect(body.links.find((l) => l.linkConnection === "sales-link")).toMatchObject({
      breaker: "open",
      lastError: "503 from Synapse",
      warnings: ["circuit breaker open for workspace demo"],
    });
    // Every link of the page is in workspace demo: its breaker row is read once.
    expect(body.links.length).toBeGreaterThan(1);
    expect(reads).toEqual(["demo"]);
  });

  it("pages the tracked links with a token, the configured ones on the first page only", async () => {
    const { ledger, deps } = setup();
    for (let i = 0; i < 25; i++) {
      await ledger.recordRequest(
        { ...request(`r${i}`, ["dbo.A"]), linkConnection: `l${String(i).padStart(2, "0")}` },
        NOW,
      );
    }
    const first = await ok(deps);
    expect(first.links).toHaveLength(22);
    const second = await ok(deps, first.continuationToken);
    expect(second.links.map((l) => l.linkConnection)).toEqual(["l20", "l21", "l22", "l23", "l24"]);
    expect(second.continuationToken).toBeUndefined();
  });

  it("refuses a token it did not give", async () => {
    const { deps } = setup();
    expect((await listLinks(deps, { continuationToken: "bogus" }, NOW)).kind).toBe("refused");
  });
});
