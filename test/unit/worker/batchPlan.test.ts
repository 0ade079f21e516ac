import { linkTableId } from "../../../shared/domain/linkTableId";
import type { LinkTableRecord } from "../../../shared/ledger/ledger";
import { planBatch, type BatchPlanInput } from "../../../shared/worker/batchPlan";
import { reAddCooldownSeconds } from "../../../shared/worker/reAddCooldown";
import { link, linkTableRecord, NOW } from "./workerTestKit";

const later = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1000).toISOString();

const record = linkTableRecord;
const A = { schema: "dbo", name: "A" };

function plan(pending: LinkTableRecord[], overrides: Partial<BatchPlanInput> = {}) {
  return planBatch({
    link,
    pending,
    linked: new Map(),
    now: NOW,
    settings: { editBatchMaxTables: 100, maxTablesPerLink: 5000, reAddCooldownSeconds: 60 },
    ...overrides,
  });
}

describe("planBatch", () => {
  it("adds a new table with the id of its generation", () => {
    expect(plan([record("A")]).edits).toEqual([
      {
        operation: "add",
        id: linkTableId(link, { schema: "dbo", name: "A" }, 0),
        source: { schema: "dbo", name: "A" },
        target: record("A").target,
      },
    ]);
  });

  it("gives a remediated table a new id", () => {
    const [edit] = plan([record("A", { attempts: 1 })]).edits;
    expect(edit?.id).toBe(linkTableId(link, { schema: "dbo", name: "A" }, 1));
    expect(edit?.id).not.toBe(linkTableId(link, { schema: "dbo", name: "A" }, 0));
  });

  it("watches a table that is already in the link instead of adding it again", () => {
    const linked = new Map([["dbo.a", [{ id: "abc", source: { schema: "dbo", name: "A" } }]]]);
    const result = plan([record("A")], { linked });
    expect(result.edits).toEqual([]);
    expect(result.settled).toMatchObject([{ status: "Adding", linkTableId: "abc", editedAt: NOW }]);
  });

  it("waits out the re-add cool-down when a re-add's removal went out and its entry is gone (an unsaved answer)", () => {
    const result = plan([record("A", { action: "reAdd", linkTableId: "gone", sendingAt: NOW })], {
      linked: new Map(),
    });
    expect(result.edits).toEqual([]);
    expect(result.settled).toEqual([
      expect.objectContaining({ action: "add", status: "Pending", notBefore: later(60) }),
    ]);
    expect(result.settled[0]).not.toHaveProperty("sendingAt");
  });

  it("removes the first entry for a re-add that watched none (a schema change's re-snapshot)", () => {
    const linked = new Map([["dbo.a", [{ id: "x", source: A }]]]);
    expect(plan([record("A", { action: "reAdd" })], { linked }).edits).toEqual([
      { operation: "remove", id: "x", source: A },
    ]);
  });

  it("removes the entry it watched first for a re-add, never another entry of the table", () => {
    const a = { schema: "dbo", name: "A" };
    const linked = new Map([
      [
        "dbo.a",
        [
          { id: "studio", source: a },
          { id: "ABC", source: a },
        ],
      ],
    ]);
    const result = plan([record("A", { action: "reAdd", linkTableId: "abc" })], { linked });
    expect(result.edits).toMatchObject([{ operation: "remove", id: "ABC" }]);
    expect(result.duplicates).toEqual([]);
  });

  it.each([
    [
      "listed after",
      (ours: string) => [
        { id: "studio", source: A },
        { id: ours, source: A },
      ],
    ],
    [
      "listed before",
      (ours: string) => [
        { id: ours, source: A },
        { id: "studio", source: A },
      ],
    ],
  ])(
    "watches the entry it did not send when the link holds the table twice, and removes its own (%s)",
    (_order, entries) => {
      const ours = linkTableId(link, A, 0);
      const result = plan([record("A")], { linked: new Map([["dbo.a", entries(ours)]]) });
      expect(result.settled).toMatchObject([{ status: "Adding", linkTableId: "studio" }]);
      expect(result.duplicates).toEqual([{ id: ours, source: A }]);
    },
  );

  it("removes a table's first entry for a removal and plans nothing else (the confirm step takes any left)", () => {
    const result = plan([record("A", { action: "remove" })], {
      linked: new Map([
        [
          "dbo.a",
          [
            { id: "first", source: A },
            { id: "second", source: A },
          ],
        ],
      ]),
    });
    expect(result.edits).toEqual([{ operation: "remove", id: "first", source: A }]);
    expect(result.duplicates).toEqual([]);
  });

  it("sends a plain add when the link's tables were not read, and refuses to plan a removal without them", () => {
    expect(plan([record("A")], { linked: undefined }).edits).toMatchObject([{ operation: "add" }]);
    expect(() => plan([record("A", { action: "remove" })], { linked: undefined })).toThrow(
      /mustReadLinkTables/,
    );
  });

  it("settles a removal of a table the link does not hold as Removed", () => {
    expect(plan([record("A", { action: "remove" })]).settled).toMatchObject([{ status: "Removed" }]);
  });

  it("rejects tables beyond MAX_TABLES_PER_LINK with the numbers", () => {
    const linked = new Map([["dbo.x", [{ id: "x", source: { schema: "dbo", name: "X" } }]]]);
    const result = plan([record("A"), record("B")], {
      linked,
      settings: { editBatchMaxTables: 100, maxTablesPerLink: 2, reAddCooldownSeconds: 60 },
    });
    expect(result.edits).toHaveLength(1);
    expect(result.settled[0]).toMatchObject({
      status: "Rejected",
      error: "Link connection demo/demo-link already holds 2 tables; the limit is 2 (MAX_TABLES_PER_LINK)",
    });
  });

  it("defers tables over EDIT_BATCH_MAX_TABLES to the next batch", () => {
    const result = plan([record("A"), record("B"), record("C")], {
      settings: { editBatchMaxTables: 2, maxTablesPerLink: 5000, reAddCooldownSeconds: 60 },
    });
    expect(result.edits).toHaveLength(2);
    expect(result.deferred).toBe(1);
  });

  it("holds back a table whose cool-down has not ended and says when the earliest ends", () => {
    const result = plan([
      record("A", { notBefore: later(90) }),
      record("B", { notBefore: later(30) }),
      record("C"),
    ]);
    expect(result.edits.map((e) => e.source.name)).toEqual(["C"]);
    expect(result.nextEditAt).toBe(later(30));
  });
});

describe("reAddCooldownSeconds", () => {
  it.each([
    [120, 0, 120],
    [120, 1, 240],
    [120, 3, 960],
    [120, 6, 3600],
    [0, 4, 0],
  ])("base %i s after %i 'enabled once' refusals waits %i s", (base, retries, seconds) => {
    expect(reAddCooldownSeconds(base, retries)).toBe(seconds);
  });
});
