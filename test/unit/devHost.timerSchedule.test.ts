import { nextOccurrence, parseTimerSchedule, timerInfo } from "../../dev/host/timerSchedule";
import { TimerTrigger } from "../../dev/host/timerTriggers";

const at = (iso: string) => Date.parse(iso);
const next = (expression: string, after: string) => {
  const ms = nextOccurrence(parseTimerSchedule(expression), at(after));
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

describe("NCRONTAB schedules", () => {
  it("*/30 in the seconds field fires on :00 and :30, strictly after the given time", () => {
    expect(next("*/30 * * * * *", "2024-05-01T10:00:10.000Z")).toBe("2024-05-01T10:00:30.000Z");
    expect(next("*/30 * * * * *", "2024-05-01T10:00:30.000Z")).toBe("2024-05-01T10:01:00.000Z");
    expect(next("*/30 * * * * *", "2024-05-01T10:00:29.999Z")).toBe("2024-05-01T10:00:30.000Z");
  });

  it("the app's reconcile schedule 0 */5 * * * * fires every five minutes on the minute", () => {
    expect(next("0 */5 * * * *", "2024-05-01T10:02:59.000Z")).toBe("2024-05-01T10:05:00.000Z");
    expect(next("0 */5 * * * *", "2024-05-01T23:59:00.000Z")).toBe("2024-05-02T00:00:00.000Z");
  });

  it("supports lists, ranges and ranges with steps", () => {
    expect(next("0 15,45 8-10/2 * * *", "2024-05-01T08:20:00.000Z")).toBe("2024-05-01T08:45:00.000Z");
    expect(next("0 15,45 8-10/2 * * *", "2024-05-01T08:50:00.000Z")).toBe("2024-05-01T10:15:00.000Z");
    expect(next("0 15,45 8-10/2 * * *", "2024-05-01T10:46:00.000Z")).toBe("2024-05-02T08:15:00.000Z");
  });

  it("supports day-of-week names and ranges (0 = Sunday), skipping the weekend", () => {
    // 2024-05-03 is a Friday.
    expect(next("0 0 9 * * MON-FRI", "2024-05-03T09:00:00.000Z")).toBe("2024-05-06T09:00:00.000Z");
    expect(next("0 0 9 * * 0", "2024-05-03T09:00:00.000Z")).toBe("2024-05-05T09:00:00.000Z");
  });

  it("requires both day-of-month and day-of-week to match, like NCrontab (Friday the 13th)", () => {
    expect(next("0 0 0 13 * 5", "2024-01-01T00:00:00.000Z")).toBe("2024-09-13T00:00:00.000Z");
  });

  it("supports month names and finds February 29th in the next leap year", () => {
    expect(next("0 0 12 1 JAN,JUL *", "2024-02-01T00:00:00.000Z")).toBe("2024-07-01T12:00:00.000Z");
    expect(next("0 0 0 29 2 *", "2024-03-01T00:00:00.000Z")).toBe("2028-02-29T00:00:00.000Z");
  });

  it("returns undefined for a schedule that never fires (February 30th)", () => {
    expect(next("0 0 0 30 2 *", "2024-01-01T00:00:00.000Z")).toBeUndefined();
  });

  it("accepts a 5-field expression (no seconds) as minute-level", () => {
    expect(next("*/10 * * * *", "2024-05-01T10:01:30.000Z")).toBe("2024-05-01T10:10:00.000Z");
  });

  it("accepts a TimeSpan as a constant interval", () => {
    const schedule = parseTimerSchedule("00:05:00");
    expect(schedule).toMatchObject({ kind: "interval", intervalMs: 300_000 });
    expect(nextOccurrence(schedule, 1000)).toBe(301_000);
  });

  it.each([
    ["* * * *", /6 fields/],
    ["* * * * * * *", /6 fields/],
    ["60 * * * * *", /second 60 is outside 0-59/],
    ["*/0 * * * * *", /step '0'/],
    ["0 0 0 * * 7", /day-of-week 7 is outside 0-6/],
    ["0 0 0 * FOO *", /'FOO' is not a valid month/],
    ["0 0 5-1 * * *", /reversed/],
    ["0 0 1,,2 * * *", /empty list item/],
  ])("rejects %s", (expression, message) => {
    expect(() => parseTimerSchedule(expression)).toThrow(message);
  });

  it("builds the Timer object of the host (DateTime.MinValue before the first run)", () => {
    expect(timerInfo(undefined, at("2024-05-01T10:00:30Z"), at("2024-05-01T10:00:00.500Z"))).toEqual({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: "0001-01-01T00:00:00.000Z",
        next: "2024-05-01T10:00:30.000Z",
        lastUpdated: "2024-05-01T10:00:00.500Z",
      },
    });
  });
});

describe("TimerTrigger", () => {
  it("fires on schedule in scaled time without overlapping a slow invocation, and stops", async () => {
    const fired: { last: string; next: string }[] = [];
    let running = 0;
    let maxRunning = 0;
    const trigger = new TimerTrigger({
      functionName: "t",
      schedule: parseTimerSchedule("* * * * * *"), // every virtual second
      timeScale: 50, // = every 20 ms of wall time
      invoke: async (timer) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        fired.push(timer.scheduleStatus);
        await new Promise((resolve) => setTimeout(resolve, 30)); // slower than the schedule
        running--;
      },
    });
    trigger.start();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await trigger.stop();
    const count = fired.length;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(maxRunning).toBe(1);
    for (let i = 1; i < fired.length; i++) {
      expect(Date.parse(fired[i]!.last)).toBeGreaterThan(Date.parse(fired[i - 1]!.last));
    }
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired.length).toBe(count);
  });

  it("runs once at start with runOnStartup and keeps the schedule after a failing invocation", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const trigger = new TimerTrigger({
      functionName: "t",
      schedule: parseTimerSchedule("0 0 0 1 1 *"), // once a year
      runOnStartup: true,
      invoke: () => {
        calls++;
        return Promise.reject(new Error("boom"));
      },
      onError: (error) => errors.push(error),
    });
    trigger.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    expect(new Date(trigger.next!).toISOString()).toMatch(/-01-01T00:00:00.000Z$/);
    await trigger.stop();
  });
});
