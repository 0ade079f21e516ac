import { nextPollSeconds } from "../../../shared/worker/pollInterval";

const settings = { pollMinSeconds: 30, pollMaxSeconds: 300 };

describe("nextPollSeconds", () => {
  it("drops to the minimum when a status changed", () => {
    expect(nextPollSeconds({ changed: 1, counts: {} }, 240, settings)).toBe(30);
  });
  it("stays at the minimum while an edit is still being applied", () => {
    expect(nextPollSeconds({ changed: 0, counts: { Adding: 2 } }, 120, settings)).toBe(30);
  });
  it("doubles while nothing moves, up to the maximum", () => {
    expect(nextPollSeconds({ changed: 0, counts: { Snapshotting: 1 } }, 30, settings)).toBe(60);
    expect(nextPollSeconds({ changed: 0, counts: { Snapshotting: 1 } }, 200, settings)).toBe(300);
  });
});
