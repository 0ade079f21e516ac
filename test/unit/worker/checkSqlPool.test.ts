import { SynapseRequestError } from "../../../shared/synapse/synapseLinkClient";
import type { ControlPlane, ResumeProgress } from "../../../shared/synapse/controlPlane";
import { checkSqlPool, type SqlPoolDeps } from "../../../shared/worker/checkSqlPool";
import { claimPendingRequests } from "../../../shared/worker/claimPendingRequests";
import { recordWorkerHealth } from "../../../shared/worker/recordWorkerHealth";
import { link, makeDeps, NOW, request } from "./workerTestKit";

const minutesLater = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

/** The project's ARM port over one pool whose status the test sets; resume calls are counted. */
class OnePoolControlPlane implements ControlPlane {
  status = "Paused";
  resumes = 0;
  pollResumeFails: Error | undefined;

  manages(): boolean {
    return true;
  }
  getWorkspace() {
    return Promise.resolve({ name: link.workspace });
  }
  getSqlPool(_workspace: string, pool: string) {
    return Promise.resolve({ name: pool, status: this.status });
  }
  listSqlPools() {
    return Promise.resolve([{ name: "dw", status: this.status }]);
  }
  beginResume(): Promise<ResumeProgress> {
    this.resumes++;
    this.status = "Resuming";
    return Promise.resolve({ done: false, state: `resume-${this.resumes}` });
  }
  pollResume(): Promise<ResumeProgress> {
    if (this.pollResumeFails) return Promise.reject(this.pollResumeFails);
    return Promise.resolve({ done: false, state: `resume-${this.resumes}` });
  }
}

async function pendingTableBehindPausedPool(settings: { autoResumeSqlPools: boolean }) {
  const { deps: workerDeps, ledger, settled } = makeDeps();
  await ledger.recordRequest(request("r1", ["dbo.A"]), NOW);
  await claimPendingRequests(workerDeps, link, NOW);
  const controlPlane = new OnePoolControlPlane();
  const deps: SqlPoolDeps = {
    ledger,
    settings: { ...settings, sqlPoolDeadlineMinutes: 10 },
    controlPlane,
    outcomes: workerDeps.outcomes,
    synapse: workerDeps.synapse,
    config: { arm: { sqlPools: [{ ...link, pool: "dw" }], gitModeAcknowledged: false } },
  };
  return { deps, ledger, controlPlane, settled };
}

describe("checkSqlPool", () => {
  it("keeps SQL_POOL_DEADLINE_MINUTES through a fault and a recovery the worker records meanwhile, then fails and reports the tables", async () => {
    const { deps, ledger, settled } = await pendingTableBehindPausedPool({ autoResumeSqlPools: false });
    expect((await checkSqlPool(deps, link, NOW)).kind).toBe("wait");
    expect(settled).toEqual([]);
    await recordWorkerHealth(ledger, link, {
      fault: "querytablestatus failed (HTTP 500)",
      faultAt: minutesLater(4),
      retryAt: minutesLater(5),
      consecutiveFaults: 1,
      updatedAt: minutesLater(4),
    });
    await recordWorkerHealth(ledger, link, { consecutiveFaults: 0, updatedAt: minutesLater(6) });

    const late = await checkSqlPool(deps, link, minutesLater(11));
    expect(late).toMatchObject({
      kind: "failed",
      reason: expect.stringMatching(/for 10 minutes/) as unknown,
    });
    expect(ledger.record(link, "dbo.A")?.status).toBe("Failed");
    expect(settled.map((t) => `${t.table.name} ${t.status}`)).toEqual(["A Failed"]);
  });

  it("starts a new wait when the recorded one was not seen for over an hour (checks were off), instead of failing at once", async () => {
    const { deps, ledger } = await pendingTableBehindPausedPool({ autoResumeSqlPools: false });
    expect((await checkSqlPool(deps, link, NOW)).kind).toBe("wait");
    // No check for three hours (the ARM settings removed for a while, say); then the pool is checked again.
    const later = await checkSqlPool(deps, link, minutesLater(180));
    expect(later.kind).toBe("wait");
    expect((await ledger.getWorkerHealth(link))?.waitingSince).toBe(minutesLater(180));
    expect((await checkSqlPool(deps, link, minutesLater(191))).kind).toBe("failed");
  });

  it("keeps a wait checked all along: its last sighting is refreshed every few minutes", async () => {
    const { deps, ledger } = await pendingTableBehindPausedPool({ autoResumeSqlPools: false });
    deps.settings = { ...deps.settings, sqlPoolDeadlineMinutes: 120 };
    for (let minute = 0; minute <= 110; minute += 1) {
      expect((await checkSqlPool(deps, link, minutesLater(minute))).kind).toBe("wait");
    }
    expect((await ledger.getWorkerHealth(link))?.waitingSince).toBe(NOW);
    expect((await checkSqlPool(deps, link, minutesLater(121))).kind).toBe("failed");
  });

  it("drops a resume the service no longer knows (404 on its operation) and resumes the Paused pool anew", async () => {
    const { deps, controlPlane, ledger } = await pendingTableBehindPausedPool({ autoResumeSqlPools: true });
    controlPlane.pollResumeFails = new SynapseRequestError(
      "operation not found",
      404,
      "NotFound",
      "poll resume dw",
    );

    await ledger.saveWorkerHealth(link, {
      consecutiveFaults: 0,
      sqlPoolResume: "resume-from-an-earlier-pause",
      updatedAt: NOW,
    });

    const result = await checkSqlPool(deps, link, NOW);
    expect(result).toMatchObject({ kind: "wait" });
    expect(controlPlane.resumes).toBe(1);
    expect((await ledger.getWorkerHealth(link))?.sqlPoolResume).toBe("resume-1");
  });

  it.each([
    [
      "a 5xx from the operation's URL",
      new SynapseRequestError("bad gateway", 502, undefined, "poll resume dw"),
    ],
    ["an operation that failed", new Error("The long-running operation has failed")],
  ])(
    "stops following a resume on %s: a Resuming pool is waited for, not resumed again",
    async (_case, error) => {
      const { deps, controlPlane, ledger } = await pendingTableBehindPausedPool({ autoResumeSqlPools: true });
      controlPlane.status = "Resuming";
      controlPlane.pollResumeFails = error;
      await ledger.saveWorkerHealth(link, {
        consecutiveFaults: 0,
        sqlPoolResume: "resume-1",
        updatedAt: NOW,
      });

      const result = await checkSqlPool(deps, link, NOW);
      expect(result).toMatchObject({ kind: "wait", reason: "waiting for SQL pool dw (Resuming)" });
      expect((await ledger.getWorkerHealth(link))?.sqlPoolResume).toBeUndefined();
      expect(result.notice).toMatch(/the resume of SQL pool dw could not be followed/);
      expect(controlPlane.resumes).toBe(0);
    },
  );
});
