import { demoSeed } from "../../dev/synapse-sim";
import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import {
  LINK_WORKER_REVISION,
  type LinkWorkerInput,
  type LinkWorkerStatus,
} from "../../shared/worker/linkWorkerInput";
import { useLinkWorkerHarness, type LinkWorkerHarness } from "../support/linkWorkerHarness";

/*
 * How the worker takes nudges (requestQueued events) under the real extension's event semantics,
 * which the replay driver emulates by default: a nudge that the final wait of an execution consumed
 * is carried over into the next execution (azure-functions-durable-extension #2606), and a wait
 * left open by a poll whose timer won receives the next nudge.
 */
const start = useLinkWorkerHarness();

/** The driver's episode modes: one event per episode, or every due event at once (as DTFx batches). */
const MODES = [
  ["one event per episode", { batchEvents: false }],
  ["batched events", { batchEvents: true }],
] as const;

/** Snapshots take hours: the worker keeps polling the whole test. */
const SLOW_SNAPSHOT = { snapshotMs: 10 * 3600_000 };

function status(h: LinkWorkerHarness): LinkWorkerStatus | undefined {
  return h.driver.getStatus(linkWorkerInstanceId(h.link()))?.customStatus as LinkWorkerStatus | undefined;
}

describe.each(MODES)("link worker: nudges (%s)", (_mode, driver) => {
  it("claims a request whose nudge arrives right after a poll whose timer won within seconds, not a poll interval", async () => {
    const seed = demoSeed();
    const h = await start(seed, { pollMinSeconds: 120, pollMaxSeconds: 600 }, SLOW_SNAPSHOT, { driver });
    await h.submit(["dbo.Customers"]);
    // Poll 0 ends waiting on its timer; the timer wins and poll 1 runs its activities.
    await h.driver.run({ until: () => status(h)?.phase === "waiting" });
    await h.driver.run({ until: () => status(h)?.phase === "monitoring" && (status(h)?.poll ?? 0) >= 1 });

    const nudgedAt = h.driver.now;
    const later = await h.submit(["dbo.Orders"]);
    await h.driver.run({ until: () => h.sim.callsTo("LinkConnection_EditTables", "demo-link").length >= 2 });
    const waited = (h.driver.now - nudgedAt) / 1000;
    console.log(
      `nudge after a timer-won poll: edited ${waited} s after the request (poll interval 120 s or more)`,
    );
    expect(waited).toBeLessThan(15);
    expect((await h.request(later)).status).toBe("InProgress");
    h.driver.terminate(linkWorkerInstanceId(h.link()), "test over");
  });

  it("claims a request whose nudge arrives while activities run, after a timer-won wait and a nudged one", async () => {
    const seed = demoSeed();
    const h = await start(seed, { pollMinSeconds: 120, pollMaxSeconds: 600 }, SLOW_SNAPSHOT, { driver });
    const edits = () => h.sim.callsTo("LinkConnection_EditTables", "demo-link").length;
    await h.submit(["dbo.Customers"]);
    // Poll 0's wait ends on its timer; poll 1's wait is ended by a nudge.
    await h.driver.run({ until: () => status(h)?.phase === "waiting" });
    await h.driver.run({ until: () => status(h)?.phase === "waiting" && (status(h)?.poll ?? 0) >= 1 });
    await h.submit(["dbo.Orders"]);
    await h.driver.run({ until: () => edits() >= 2 });

    // Raised while poll 2's activities run: no wait is open, so the next one must take it at once.
    const nudgedAt = h.driver.now;
    const third = await h.submit(["dbo.Products"]);
    await h.driver.run({ until: () => edits() >= 3 });
    const waited = (h.driver.now - nudgedAt) / 1000;
    console.log(`nudge during activities after a nudged wait: edited ${waited} s after the request`);
    expect(waited).toBeLessThan(15);
    expect((await h.request(third)).status).toBe("InProgress");
    h.driver.terminate(linkWorkerInstanceId(h.link()), "test over");
  });

  it.each([1, 2])(
    "keeps executions and activity calls bounded after a nudge in the last poll with POLLS_PER_EXECUTION=%i (carry-over)",
    async (pollsPerExecution) => {
      const h = await start(
        demoSeed(),
        { pollsPerExecution, pollMinSeconds: 30, pollMaxSeconds: 120 },
        SLOW_SNAPSHOT,
      );
      const instanceId = linkWorkerInstanceId(h.link());
      await h.submit(["dbo.Customers"]);
      const last = pollsPerExecution - 1;
      await h.driver.run({ until: () => status(h)?.phase === "waiting" && status(h)?.poll === last });
      const before = {
        executions: h.driver.getStatus(instanceId)?.executions ?? 0,
        calls: h.activityCalls(),
      };
      const startedAt = h.driver.now;
      h.driver.raiseEvent(instanceId, "requestQueued", null);
      await h.driver.run({ until: () => h.driver.now - startedAt >= 10 * 60_000 });

      const executions = (h.driver.getStatus(instanceId)?.executions ?? 0) - before.executions;
      const calls = Object.entries(h.activityCalls()).reduce(
        (sum, [name, n]) => sum + n - (before.calls[name] ?? 0),
        0,
      );
      console.log(
        `POLLS_PER_EXECUTION=${pollsPerExecution}: one nudge, 10 virtual minutes → ${executions} executions, ${calls} activity calls`,
      );
      // Without the fix a carried-over nudge looped: about 200 executions and 600 activity calls.
      // Polls of 30, 60, 120, 120 … s fit about 7 times in 10 minutes; the stale nudge costs one claim.
      expect(executions).toBeLessThanOrEqual(10);
      expect(calls).toBeLessThanOrEqual(40);
      expect(h.driver.getStatus(instanceId)?.runtimeStatus).toBe("Running");
      h.driver.terminate(instanceId, "test over");
    },
  );
});

describe("link worker: nudges in an execution an earlier revision started", () => {
  it("waits as revision 3 did (one kept wait), so that its history replays, and moves to the current revision after it", async () => {
    const h = await start(
      demoSeed(),
      { pollMinSeconds: 120, pollMaxSeconds: 600, pollsPerExecution: 4 },
      SLOW_SNAPSHOT,
    );
    const instanceId = linkWorkerInstanceId(h.link());
    const edits = () => h.sim.callsTo("LinkConnection_EditTables", "demo-link").length;
    await h.submit(["dbo.Customers"]);
    h.driver.terminate(instanceId, "redeploy");
    await h.driver.run();
    await h.driver.startNew("linkWorker", {
      instanceId,
      input: { link: h.link(), settings: h.settings, execution: 1, revision: 3 },
    });
    await h.driver.run({ until: () => status(h)?.phase === "waiting" });
    await h.driver.run({ until: () => status(h)?.phase === "waiting" && (status(h)?.poll ?? 0) >= 1 });
    await h.submit(["dbo.Orders"]);
    await h.driver.run({ until: () => edits() >= 2 });
    const nudgedAt = h.driver.now;
    await h.submit(["dbo.Products"]);
    await h.driver.run({ until: () => edits() >= 3 });

    // Revision 3's kept wait lost this nudge to a completed copy of itself: the edit waited for the timer.
    expect((h.driver.now - nudgedAt) / 1000).toBeGreaterThan(60);
    await h.driver.run({
      until: () => (h.driver.getStatus(instanceId)?.input as LinkWorkerInput).execution >= 2,
    });
    expect((h.driver.getStatus(instanceId)?.input as LinkWorkerInput).revision).toBe(LINK_WORKER_REVISION);
    h.driver.terminate(instanceId, "test over");
  });
});
