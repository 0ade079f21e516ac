import { linkWorkerInstanceId } from "../../../shared/domain/linkRef";
import type {
  WorkerInstances,
  WorkerRuntimeStatus,
  WorkerScheduler,
} from "../../../shared/worker/ensureLinkWorker";
import { PENDING_STUCK_MINUTES, reconcileOpenLinks } from "../../../shared/worker/reconcileOpenLinks";
import { defaultSettings, link, makeDeps, NOW, request } from "./workerTestKit";

function schedulerWith(status: WorkerRuntimeStatus | undefined, lastUpdatedTime = NOW) {
  const started: string[] = [];
  const current = () => (started.length > 0 ? "Running" : status);
  const scheduler: WorkerScheduler & WorkerInstances = {
    getRuntimeStatus: () => Promise.resolve(current()),
    getInstance: () => {
      const runtimeStatus = current();
      return Promise.resolve(runtimeStatus && { runtimeStatus, lastUpdatedTime });
    },
    start: (instanceId) => {
      started.push(instanceId);
      return Promise.resolve();
    },
    raiseEvent: () => Promise.resolve(),
  };
  return { scheduler, started };
}

describe("reconcileOpenLinks", () => {
  it.each<[WorkerRuntimeStatus | undefined, boolean]>([
    ["Failed", true],
    ["Terminated", true],
    ["Completed", true],
    [undefined, true],
    ["Running", false],
    ["Pending", false],
  ])("a link with open work whose worker is %s is restarted: %s", async (status, restarts) => {
    const { ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    const { scheduler, started } = schedulerWith(status);
    const result = await reconcileOpenLinks({ ledger, scheduler, settings: defaultSettings, now: NOW });
    expect(started).toEqual(restarts ? [linkWorkerInstanceId(link)] : []);
    expect(result.restarted).toEqual(restarts ? [{ link, was: status ?? "missing" }] : []);
  });

  it("looks only at links with open work", async () => {
    const { ledger } = makeDeps();
    const { scheduler } = schedulerWith("Failed");
    expect(await reconcileOpenLinks({ ledger, scheduler, settings: defaultSettings, now: NOW })).toEqual({
      checked: 0,
      restarted: [],
      suspended: [],
      stuckPending: [],
    });
  });

  it("leaves a worker an operator suspended alone, and names its link at every run", async () => {
    const { ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    const { scheduler, started } = schedulerWith("Suspended");
    expect(await reconcileOpenLinks({ ledger, scheduler, settings: defaultSettings, now: NOW })).toEqual({
      checked: 1,
      restarted: [],
      suspended: [link],
      stuckPending: [],
    });
    expect(started).toEqual([]);
  });

  it("trusts a worker Pending for a few minutes, and names one Pending for over PENDING_STUCK_MINUTES at every run", async () => {
    const { ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
    const { scheduler, started } = schedulerWith("Pending", NOW);
    const run = (minutes: number) =>
      reconcileOpenLinks({ ledger, scheduler, settings: defaultSettings, now: at(minutes) });
    expect((await run(PENDING_STUCK_MINUTES - 1)).stuckPending).toEqual([]);
    for (const minutes of [PENDING_STUCK_MINUTES + 1, PENDING_STUCK_MINUTES + 6]) {
      expect(await run(minutes)).toEqual({
        checked: 1,
        restarted: [],
        suspended: [],
        stuckPending: [{ link, since: NOW }],
      });
    }
    // A start with its id would be refused: none is tried.
    expect(started).toEqual([]);
  });
});
