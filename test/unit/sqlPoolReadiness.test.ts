import { sqlPoolReadiness, type SqlPoolReadiness } from "../../shared/worker/sqlPoolReadiness";

const NOW = "2026-01-05T10:00:00.000Z";
const waitOnly = { autoResumeSqlPools: false, sqlPoolDeadlineMinutes: 60 };
const autoResume = { autoResumeSqlPools: true, sqlPoolDeadlineMinutes: 60 };

function decide(
  status: string,
  settings = waitOnly,
  extra: { waitingSince?: string; resumeInFlight?: boolean } = {},
): SqlPoolReadiness {
  return sqlPoolReadiness({ pool: "dw", status, resumeInFlight: false, ...extra }, NOW, settings);
}

describe("sqlPoolReadiness", () => {
  it.each(["Online", "online", "ONLINE", " Online "])(
    "lets the edit proceed when the pool is %p",
    (status) => {
      expect(decide(status)).toEqual({ kind: "ready" });
    },
  );

  it.each(["Paused", "Pausing", "Resuming", "Scaling", "paused", "Creating", "Inaccessible", "SomethingNew"])(
    "waits on a pool that is %p, naming the pool and its status",
    (status) => {
      const result = decide(status);
      expect(result).toMatchObject({ kind: "wait", resume: false });
      expect(result.kind === "wait" && result.reason).toMatch(
        new RegExp(`^waiting for SQL pool dw \\(${status}\\)`),
      );
    },
  );

  it("says how to get a Paused pool going when it may not resume it", () => {
    expect(decide("Paused")).toEqual({
      kind: "wait",
      reason: "waiting for SQL pool dw (Paused); resume it, or set AUTO_RESUME_SQL_POOLS=true",
      resume: false,
    });
  });

  it("asks for a resume of a Paused pool (any case) with AUTO_RESUME_SQL_POOLS, once", () => {
    expect(decide("paused", autoResume)).toMatchObject({ kind: "wait", resume: true });
    expect(decide("Paused", autoResume, { resumeInFlight: true })).toMatchObject({
      kind: "wait",
      resume: false,
    });
  });

  it.each(["Pausing", "Resuming", "Scaling"])(
    "does not resume a pool that is %p: it waits for it to settle",
    (status) => {
      expect(decide(status, autoResume)).toMatchObject({ kind: "wait", resume: false });
    },
  );

  it("treats a missing status as not ready", () => {
    expect(decide("")).toMatchObject({ kind: "wait", reason: "waiting for SQL pool dw (no status)" });
  });

  it("keeps waiting up to the deadline, then fails with the pool, its status and the setting", () => {
    expect(decide("Paused", waitOnly, { waitingSince: "2026-01-05T09:00:01.000Z" })).toMatchObject({
      kind: "wait",
    });
    const failed = decide("Paused", waitOnly, { waitingSince: "2026-01-05T09:00:00.000Z" });
    expect(failed.kind).toBe("fail");
    expect(failed.kind === "fail" && failed.reason).toMatch(
      /^SQL pool dw stayed unavailable \(Paused\) for 60 minutes \(SQL_POOL_DEADLINE_MINUTES\).*AUTO_RESUME_SQL_POOLS=true/,
    );
  });

  it("fails past the deadline even while its own resume is in flight", () => {
    expect(
      decide("Resuming", autoResume, { waitingSince: "2026-01-05T08:00:00.000Z", resumeInFlight: true }),
    ).toMatchObject({
      kind: "fail",
    });
  });

  it("an Online pool is ready however long it was waited for", () => {
    expect(decide("Online", waitOnly, { waitingSince: "2025-01-01T00:00:00.000Z" })).toEqual({
      kind: "ready",
    });
  });
});
