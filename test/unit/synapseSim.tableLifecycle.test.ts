import { DEFAULT_TIMINGS } from "../../dev/synapse-sim/linkState";
import {
  freeze,
  restart,
  tableStatusAt,
  thaw,
  type TableProgress,
} from "../../dev/synapse-sim/tableLifecycle";

const t = DEFAULT_TIMINGS;
const snapshotStart = t.waitingMs;
const replicatingStart = t.waitingMs + t.snapshotMs;

describe("synapse-sim table lifecycle", () => {
  test("Waiting, then Snapshotting, then Replicating at the configured boundaries", () => {
    const p: TableProgress = { anchor: 1000 };
    expect(tableStatusAt(p, 1000, t)).toBe("Waiting");
    expect(tableStatusAt(p, 1000 + snapshotStart - 1, t)).toBe("Waiting");
    expect(tableStatusAt(p, 1000 + snapshotStart, t)).toBe("Snapshotting");
    expect(tableStatusAt(p, 1000 + replicatingStart - 1, t)).toBe("Snapshotting");
    expect(tableStatusAt(p, 1000 + replicatingStart, t)).toBe("Replicating");
  });

  test("a doomed table is Waiting first and Failed once Waiting ends", () => {
    const p: TableProgress = { anchor: 0, failure: { code: "C", message: "m" } };
    expect(tableStatusAt(p, snapshotStart - 1, t)).toBe("Waiting");
    expect(tableStatusAt(p, snapshotStart, t)).toBe("Failed");
    expect(tableStatusAt(p, 10 * replicatingStart, t)).toBe("Failed");
  });

  test("a frozen table keeps its status however much time passes", () => {
    const frozen = freeze({ anchor: 0 }, snapshotStart + 5);
    expect(tableStatusAt(frozen, 100 * replicatingStart, t)).toBe("Snapshotting");
  });

  test("thaw continues from the frozen point once the link runs again", () => {
    const frozen = freeze({ anchor: 0 }, snapshotStart + 5);
    const resumed = thaw(frozen, 1_000_000);
    expect(tableStatusAt(resumed, 999_000, t)).toBe("Snapshotting"); // still resuming: pinned
    expect(tableStatusAt(resumed, 1_000_000 + t.snapshotMs - 6, t)).toBe("Snapshotting");
    expect(tableStatusAt(resumed, 1_000_000 + t.snapshotMs - 5, t)).toBe("Replicating");
  });

  test("restart goes back to Waiting and starts over when the link runs again", () => {
    const restarted = restart({ anchor: 0 }, 1_000_000);
    expect(tableStatusAt({ anchor: 0 }, 900_000, t)).toBe("Replicating");
    expect(tableStatusAt(restarted, 900_000, t)).toBe("Waiting");
    expect(tableStatusAt(restarted, 1_000_000 + snapshotStart, t)).toBe("Snapshotting");
  });
});
