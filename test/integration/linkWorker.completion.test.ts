import { demoSeed } from "../../dev/synapse-sim";
import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import type { LinkWorkerStatus } from "../../shared/worker/linkWorkerInput";
import { useLinkWorkerHarness, type LinkWorkerHarness } from "../support/linkWorkerHarness";

/*
 * When the worker closes requests: after each poll it passes over the requests whose tables reached
 * a final status since its last completion, and it sweeps every open request at the start of an
 * execution, after a claim that took tables from requests, and before it closes.
 */
const start = useLinkWorkerHarness();

/** Snapshots take an hour; many polls per execution, so no execution start sweeps within the test. */
const SLOW_SNAPSHOT = { snapshotMs: 60 * 60_000 };
const SETTINGS = { pollMinSeconds: 30, pollMaxSeconds: 60, pollsPerExecution: 100 };

/** Runs the driver ten virtual seconds at a time until the request's status is not `from` (at most `limitMs`). */
async function runWhileStatus(h: LinkWorkerHarness, requestId: string, from: string, limitMs = 3 * 3600_000) {
  const until = h.driver.now + limitMs;
  while ((await h.request(requestId)).status === from && h.driver.now < until) {
    await h.driver.run({ maxVirtualMs: 10_000 });
  }
}

function status(h: LinkWorkerHarness): LinkWorkerStatus | undefined {
  return h.driver.getStatus(linkWorkerInstanceId(h.link()))?.customStatus as LinkWorkerStatus | undefined;
}

describe("link worker: closing requests", () => {
  it("ends a request whose table a later remove took over at that claim's poll, within the execution", async () => {
    const h = await start(demoSeed(), SETTINGS, SLOW_SNAPSHOT);
    const instanceId = linkWorkerInstanceId(h.link());
    const added = await h.submit(["dbo.Customers"]);
    // Another table keeps the link busy for an hour: no closing sweep comes to the rescue.
    await h.submit(["dbo.Orders"]);
    await h.driver.run({ until: () => status(h)?.phase === "waiting" });
    const execution = () => h.driver.getStatus(instanceId)?.executions ?? 0;
    const before = execution();

    const removedAt = h.driver.now;
    await h.submit(["dbo.Customers"], { action: "remove" });
    await runWhileStatus(h, added, "InProgress");

    const view = await h.request(added);
    expect(view.status).toBe("Failed");
    expect(view.tables[0]?.error).toMatch(/Superseded by request/);
    expect((h.driver.now - removedAt) / 1000).toBeLessThan(60);
    expect(execution()).toBe(before);
    h.driver.terminate(instanceId, "test over");
  });

  it("ends a request whose table a remove claimed while gathering a burst took over, within the execution", async () => {
    const h = await start(demoSeed(), { ...SETTINGS, batchQuietSeconds: 20 }, SLOW_SNAPSHOT);
    const instanceId = linkWorkerInstanceId(h.link());
    const added = await h.submit(["dbo.Customers"]);
    await h.submit(["dbo.Orders"]);
    await h.driver.run({ until: () => status(h)?.phase === "waiting" });
    const execution = h.driver.getStatus(instanceId)?.executions ?? 0;

    await h.submit(["dbo.Products"]);
    await h.driver.run({ until: () => status(h)?.phase === "batching" });
    const removedAt = h.driver.now;
    await h.submit(["dbo.Customers"], { action: "remove" });
    await runWhileStatus(h, added, "InProgress");

    expect((await h.request(added)).tables[0]?.error).toMatch(/Superseded by request/);
    expect((h.driver.now - removedAt) / 1000).toBeLessThan(120);
    expect(h.driver.getStatus(instanceId)?.executions ?? 0).toBe(execution);
    h.driver.terminate(instanceId, "test over");
  });

  it("closes each of several one-table requests as its own table replicates", async () => {
    const h = await start(demoSeed(), SETTINGS, { snapshotMs: 5 * 60_000 });
    const first = await h.submit(["dbo.Customers"]);
    await h.driver.run({ until: () => status(h)?.phase === "waiting" });
    await h.driver.run({ maxVirtualMs: 3 * 60_000 });
    const second = await h.submit(["dbo.Orders"]);
    await runWhileStatus(h, first, "InProgress");
    expect((await h.request(first)).status).toBe("Succeeded");
    // The second table was added three minutes later: it still snapshots when the first is done.
    expect((await h.request(second)).status).toBe("InProgress");
    await runWhileStatus(h, second, "InProgress");
    expect((await h.request(second)).status).toBe("Succeeded");
    expect((await h.request(second)).tables[0]?.status).toBe("Replicating");
    // Claims and completions hand the orchestrator counts: no request id enters its history.
    const history = JSON.stringify(h.driver.getHistory(linkWorkerInstanceId(h.link())));
    expect(history).toContain("linkWorker_completeRequests");
    expect(history).not.toContain(first);
    expect(history).not.toContain(second);
  });
});
