import { v5 } from "uuid";
import {
  linkTableId,
  normaliseLinkTableId,
  sameLinkTableId,
  uuidV5,
} from "../../../shared/domain/linkTableId";

describe("uuidV5", () => {
  it("matches the RFC 4122 reference value for www.example.com in the DNS namespace", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  // Computed with the hand-written SHA-1 implementation this replaced, so ids derived before the
  // switch to the uuid package (event, request and outcome ids) stay the same.
  it("gives the value the hand-written implementation gave for a non-ASCII name", () => {
    expect(uuidV5("höhe/ß", "5b0d6c0e-3f7a-4f7e-9a55-4b7f0b7c1d2a")).toBe(
      "5990972a-0317-5c02-9aca-5a2ca2811aa6",
    );
  });

  it("gives the uuid package's value for names of every kind, emoji and NUL included", () => {
    const namespace = "0f1c9b6e-5d8a-4e3b-9c71-2a6d4f8e0b35";
    for (const name of [
      "",
      "a",
      "idempotency\nkey\n" + "f".repeat(64),
      "日本語",
      "🙂 table",
      "x\u0000y",
      "\uFFFD",
    ])
      expect(uuidV5(name, namespace)).toBe(v5(name, namespace));
  });

  it("refuses a name with a lone surrogate, as the uuid package does, instead of reading it as U+FFFD", () => {
    const namespace = "0f1c9b6e-5d8a-4e3b-9c71-2a6d4f8e0b35";
    expect(() => uuidV5("event\n\uD800", namespace)).toThrow(URIError);
    expect(() => uuidV5("\uDC00x", namespace)).toThrow(URIError);
  });
});

describe("linkTableId", () => {
  const link = { workspace: "demo", linkConnection: "demo-link" };

  // Dashed values computed with the hand-written implementation: the undashed id is the same UUID,
  // so ledger rows written before the change still name the same table (through sameLinkTableId).
  it.each([
    [link, { schema: "dbo", name: "Orders" }, 0, "2e8299b7-f186-5216-a2e7-4886d6515335"],
    [link, { schema: "dbo", name: "Orders" }, 1, "f361611f-b543-54e3-af05-a07f3e5c3f50"],
    [
      { workspace: "prod-ws", linkConnection: "sales-link" },
      { schema: "sales", name: "Invoices" },
      2,
      "a43daf66-4f16-5d12-b759-2ad0b9aad6a4",
    ],
  ])("for %j %j attempt %i is the earlier id %s without dashes", (l, table, attempt, dashed) => {
    const id = linkTableId(l, table, attempt);
    expect(id).toBe(dashed.replace(/-/g, ""));
    expect(sameLinkTableId(id, dashed)).toBe(true);
  });

  it("is 32 lower-case hex digits without dashes", () => {
    expect(linkTableId(link, { schema: "dbo", name: "Orders" })).toMatch(/^[0-9a-f]{32}$/);
  });

  it("is the same for the same table whatever the identifier case", () => {
    expect(linkTableId(link, { schema: "dbo", name: "Orders" })).toBe(
      linkTableId({ workspace: "DEMO", linkConnection: "Demo-Link" }, { schema: "DBO", name: "orders" }),
    );
  });

  it("differs between tables, links and remediation attempts", () => {
    const ids = new Set([
      linkTableId(link, { schema: "dbo", name: "Orders" }),
      linkTableId(link, { schema: "dbo", name: "Customers" }),
      linkTableId({ ...link, linkConnection: "other-link" }, { schema: "dbo", name: "Orders" }),
      linkTableId(link, { schema: "dbo", name: "Orders" }, 1),
    ]);
    expect(ids.size).toBe(4);
  });
});

describe("normaliseLinkTableId", () => {
  it.each([
    ["887e9d4df0fa4afaaad0d7a2c7f42d88", "887e9d4df0fa4afaaad0d7a2c7f42d88"],
    ["2E8299B7-F186-5216-A2E7-4886D6515335", "2e8299b7f1865216a2e74886d6515335"],
    ["{2e8299b7-f186-5216-a2e7-4886d6515335}", "2e8299b7f1865216a2e74886d6515335"],
    ["custom-Id", "customid"],
  ])("turns %s into %s", (input, expected) => {
    expect(normaliseLinkTableId(input)).toBe(expected);
  });
});

describe("sameLinkTableId", () => {
  it.each([
    ["undashed and dashed", "2e8299b7f1865216a2e74886d6515335", "2e8299b7-f186-5216-a2e7-4886d6515335", true],
    ["upper and lower case", "2E8299B7F1865216A2E74886D6515335", "2e8299b7f1865216a2e74886d6515335", true],
    ["braced and bare", "{2e8299b7-f186-5216-a2e7-4886d6515335}", "2e8299b7f1865216a2e74886d6515335", true],
    ["two different ids", "2e8299b7f1865216a2e74886d6515335", "f361611fb54354e3af05a07f3e5c3f50", false],
    ["a missing first id", undefined, "2e8299b7f1865216a2e74886d6515335", false],
    ["a missing second id", "2e8299b7f1865216a2e74886d6515335", undefined, false],
    ["two missing ids", undefined, undefined, false],
    ["two empty ids", "", "", false],
  ])("compares %s: %p and %p → %p", (_case, a, b, expected) => {
    expect(sameLinkTableId(a, b)).toBe(expected);
  });
});
