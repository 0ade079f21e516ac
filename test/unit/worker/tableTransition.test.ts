import type { LinkTableRecord } from "../../../shared/ledger/ledger";
import type { LinkTableState } from "../../../shared/synapse/synapseLinkClient";
import { nextTableState, type TransitionContext } from "../../../shared/worker/tableTransition";
import { linkTableRecord, NOW } from "./workerTestKit";

const later = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
const settings = { remediationMaxAttempts: 2, tableDeadlineMinutes: 60, enabledOnceMaxRetries: 3 };

function record(patch: Partial<LinkTableRecord> = {}): LinkTableRecord {
  return linkTableRecord("A", { status: "Adding", linkTableId: "abc", editedAt: NOW, ...patch });
}

const failed = (errorCode: string | undefined, errorMessage: string): LinkTableState => ({
  id: "abc",
  status: "Failed",
  rawStatus: "Failed",
  ...(errorCode ? { errorCode } : {}),
  errorMessage,
});
const state = (status: LinkTableState["status"]): LinkTableState => ({
  id: "abc",
  status,
  rawStatus: status,
});

describe("nextTableState", () => {
  const at = (minutes: number, extra: Partial<TransitionContext> = {}): TransitionContext => ({
    now: later(minutes),
    settings,
    ...extra,
  });
  const rows: [
    string,
    LinkTableRecord,
    LinkTableState | undefined,
    TransitionContext,
    Partial<LinkTableRecord> | undefined,
  ][] = [
    ["no news, within the deadline: nothing changes", record(), undefined, at(5), undefined],
    [
      "the service's status is taken over",
      record(),
      state("Snapshotting"),
      at(5),
      { status: "Snapshotting" },
    ],
    [
      "Replicating clears an old error",
      record({ error: "old" }),
      state("Replicating"),
      at(5),
      { status: "Replicating", error: undefined },
    ],
    ["an Unknown status changes nothing", record(), state("Unknown"), at(5), undefined],
    [
      "past the deadline fails, naming the setting",
      record(),
      state("Snapshotting"),
      at(61),
      { status: "Failed", error: expect.stringMatching(/TABLE_DEADLINE_MINUTES/) as unknown as string },
    ],
    [
      "past the deadline, Replicating is taken over: the table got there while no poll looked",
      record({ status: "Snapshotting" }),
      state("Replicating"),
      at(61),
      { status: "Replicating" },
    ],
    [
      "a transient failure is removed and re-added",
      record(),
      failed("E1", "boom"),
      at(5),
      { status: "Pending", action: "reAdd", attempts: 1, error: "E1: boom" },
    ],
    [
      "a transient failure after the last attempt fails, counting them",
      record({ attempts: 2 }),
      failed("E1", "boom"),
      at(5),
      { status: "Failed", error: "E1: boom (after 2 remove-and-re-add attempts)" },
    ],
    [
      "no primary key (22720) fails at once",
      record(),
      failed("22720", "Enabling Change Feed on a table without primary key is not allowed."),
      at(5),
      { status: "Failed", attempts: 0 },
    ],
    [
      "the 5,000-table limit (22753) fails at once",
      record(),
      failed(
        undefined,
        "The number of tables enabled for a Change Feed table group can not exceed 5000. Current number of table enabled: 5000.",
      ),
      at(5),
      { status: "Failed" },
    ],
    [
      "a non-empty target under FailOnNonEmptyTable fails with the hint",
      record(),
      failed("TargetTableNotEmpty", "Target table dbo.A is not empty"),
      at(5, { targetHint: "HINT" }),
      { status: "Failed", error: "TargetTableNotEmpty: Target table dbo.A is not empty (HINT)" },
    ],
    [
      "a non-empty target under another setting is remediated",
      record(),
      failed("TargetTableNotEmpty", "Target table dbo.A is not empty"),
      at(5),
      { status: "Pending", action: "reAdd", attempts: 1 },
    ],
    [
      "enabled once with a holder is rejected naming it",
      record(),
      failed("22718", "A table can only be enabled once among all table groups."),
      at(5, { owner: "other-link" }),
      {
        status: "Rejected",
        error: expect.stringMatching(/already in link connection other-link/) as unknown as string,
      },
    ],
    [
      "enabled once without a holder is re-added after a cool-down",
      record(),
      failed("22718", "A table can only be enabled once among all table groups."),
      at(5),
      { status: "Pending", action: "reAdd", enabledOnceRetries: 1, attempts: 0 },
    ],
    [
      "enabled once past the retries fails naming both causes",
      record({ enabledOnceRetries: 3 }),
      failed("22718", "A table can only be enabled once among all table groups."),
      at(5),
      {
        status: "Failed",
        error: expect.stringMatching(/another workspace.*cleaned up/) as unknown as string,
      },
    ],
  ];
  it.each(rows)("%s", (_name, current, service, context, expected) => {
    const next = nextTableState(current, service, context);
    if (expected === undefined) {
      expect(next).toBeUndefined();
      return;
    }
    const entries = Object.entries(expected) as [string, unknown][];
    const present = Object.fromEntries(entries.filter(([, v]) => v !== undefined));
    expect(next).toEqual(expect.objectContaining({ ...present, updatedAt: context.now }));
    // A key expected as undefined must be gone from the record.
    for (const [key] of entries.filter(([, v]) => v === undefined)) expect(next).not.toHaveProperty(key);
  });
});
