import type { TransactionAction } from "@azure/data-tables";
import { transactionChunks } from "../../../shared/ledger/tableStorageLedger";

const row = (i: number, text = ""): TransactionAction => [
  "upsert",
  { partitionKey: "p", rowKey: `t_${i}`, text },
  "Replace",
];
const keys = (chunks: TransactionAction[][]) => chunks.map((c) => c.map(([, e]) => e.rowKey));

describe("transactionChunks", () => {
  it("cuts 250 small rows into 100, 100 and 50 from the start, in order", () => {
    const chunks = transactionChunks(
      Array.from({ length: 250 }, (_, i) => row(i)),
      "fromStart",
    );
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(keys(chunks).flat()).toEqual(Array.from({ length: 250 }, (_, i) => `t_${i}`));
  });

  it("fills the last transactions first from the end, so the last 100 rows travel together", () => {
    const chunks = transactionChunks(
      Array.from({ length: 250 }, (_, i) => row(i)),
      "fromEnd",
    );
    expect(chunks.map((c) => c.length)).toEqual([50, 100, 100]);
    expect(keys(chunks).flat()).toEqual(Array.from({ length: 250 }, (_, i) => `t_${i}`));
  });

  it("keeps a transaction under the 4 MiB payload limit when rows carry long texts", () => {
    // 100 rows of 30,000 three-byte characters (about 90 KB each) would be about 9 MB in one.
    const rows = Array.from({ length: 100 }, (_, i) => row(i, "字".repeat(30_000)));
    const chunks = transactionChunks(rows, "fromStart");
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      const bytes = chunk.reduce((sum, [, e]) => sum + Buffer.byteLength(JSON.stringify(e)), 0);
      expect(bytes).toBeLessThan(4 * 1024 * 1024);
    }
    expect(keys(chunks).flat()).toHaveLength(100);
  });

  it("cuts by count only when told no byte limit (creates: every delivery cuts alike, whatever the rows hold)", () => {
    const rows = Array.from({ length: 150 }, (_, i) => row(i, i % 2 ? "字".repeat(30_000) : ""));
    expect(transactionChunks(rows, "fromEnd", Infinity).map((c) => c.length)).toEqual([50, 100]);
  });
});
