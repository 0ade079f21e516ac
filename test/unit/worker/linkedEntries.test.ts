import { SynapseRequestError, SynapseThrottledError } from "../../../shared/synapse/synapseLinkClient";
import { entriesByTable, entryToWatch, removalToRetry } from "../../../shared/worker/linkedEntries";

const source = { schema: "dbo", name: "A" };
const entry = (id: string) => ({ id, source });

// "ours" is the id the app sent for the table (appLinkTableId).
describe("entryToWatch", () => {
  it.each([
    ["the link lists no entry: the add has not landed", undefined, undefined],
    ["only the app's entry", [entry("ours")], { id: "ours" }],
    ["the app's entry, spelt with dashes and upper case", [entry("OU-RS")], { id: "OU-RS" }],
    [
      "both, the app's listed first: the one it did not send is still watched, its own removed",
      [entry("ours"), entry("studio")],
      { id: "studio", duplicate: "ours" },
    ],
    ["only an entry the link already held (kept)", [entry("studio")], { id: "studio" }],
    [
      "both, the app's listed last: the one it did not send is watched, its own removed",
      [entry("studio"), entry("ours")],
      { id: "studio", duplicate: "ours" },
    ],
  ])("%s", (_name, entries, expected) => {
    expect(entryToWatch("ours", entries)).toEqual(expected);
  });
});

describe("entriesByTable", () => {
  it("keeps every entry of a table, in the order listed", () => {
    const other = { id: "b1", source: { schema: "dbo", name: "B" } };
    expect(entriesByTable([entry("a1"), other, entry("a2")])).toEqual(
      new Map([
        ["dbo.a", [entry("a1"), entry("a2")]],
        ["dbo.b", [other]],
      ]),
    );
  });
});

describe("removalToRetry", () => {
  it.each([
    ["no failure", undefined, false],
    ["a refusal (400)", new SynapseRequestError("not allowed", 400, "BadRequest", "editTables"), false],
    ["a server error (500)", new SynapseRequestError("boom", 500, "InternalServerError", "editTables"), true],
    ["a network error", new Error("socket hang up"), true],
    [
      "a 503 without Retry-After (60 s)",
      new SynapseThrottledError("busy", 503, "ServiceUnavailable", "editTables", 60),
      true,
    ],
    [
      "a 429 asking for 2,131 s",
      new SynapseThrottledError("throttled", 429, "TooManyRequests", "editTables", 2131),
      false,
    ],
  ])("%s: retried at the next confirm check = %s", (_name, error, retried) => {
    expect(removalToRetry(error === undefined ? undefined : { error })).toBe(retried);
  });
});
