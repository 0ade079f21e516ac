import { linkWorkerInstanceId } from "../../../shared/domain/linkRef";
import type { WorkerRuntimeStatus, WorkerScheduler } from "../../../shared/worker/ensureLinkWorker";
import { reconcileOpenLinks } from "../../../shared/worker/reconcileOpenLinks";
import { defaultSettings, link, makeDeps, NOW, request } from "./workerTestKit";

function schedulerWith(status: WorkerRuntimeStatus | undefined) {
  const started: string[] = [];
  const scheduler: WorkerScheduler = {
    getRuntimeStatus: () => Promise.resolve(started.length > 0 ? "Running" : status),
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
    const result = await reconcileOpenLinks({ ledger, scheduler, settings: defaultSettings });
    expect(started).toEqual(restarts ? [linkWorkerInstanceId(link)] : []);
    expect(result.restarted).toEqual(restarts ? [{ link, was: status ?? "missing" }] : []);
  });

  it("looks only at links with open work", async () => {
    const { ledger } = makeDeps();
    const { scheduler } = schedulerWith("Failed");
    expect(await reconcileOpenLinks({ ledger, scheduler, settings: defaultSettings })).toEqual({
      checked: 0,
      restarted: [],
      suspended: [],
    });
  });

  it("leaves a worker an operator suspended alone, and names its link at every run", async () => {
    const { ledger } = makeDeps();
    await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
    const { scheduler, started } = schedulerWith("Suspended");
    expect(await reconcileOpenLinks({ ledger, scheduler, settings: defaultSettings })).toEqual({
      checked: 1,
      restarted: [],
      suspended: [link],
    });
    expect(started).toEqual([]);
  });
});
