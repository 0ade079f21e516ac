import {
  fromServiceDistribution,
  fromServiceStructure,
  isEnabledOnceError,
  parseLinkStatus,
  parseTableStatus,
  toServiceDistribution,
  toServiceStructure,
} from "../../../shared/synapse/serviceStrings";

describe("service strings", () => {
  it("sends round robin with the service's own spelling Round_RoBin", () => {
    expect(toServiceDistribution("RoundRobin")).toBe("Round_RoBin");
    expect(toServiceStructure("ClusteredColumnstoreIndex")).toBe("Clustered_ColumnStore");
  });

  it("reads distributions and structures back whatever their case or underscores", () => {
    expect(fromServiceDistribution("Round_RoBin")).toBe("RoundRobin");
    expect(fromServiceDistribution("ROUND_ROBIN")).toBe("RoundRobin");
    expect(fromServiceDistribution("hash")).toBe("Hash");
    expect(fromServiceStructure("Clustered_ColumnStore")).toBe("ClusteredColumnstoreIndex");
    expect(fromServiceStructure("heap")).toBe("Heap");
    expect(fromServiceDistribution("Something_New")).toBeUndefined();
  });

  it("maps Studio's WaitingForSnapshot to Waiting and unknown strings to Unknown", () => {
    expect(parseTableStatus("WaitingForSnapshot")).toBe("Waiting");
    expect(parseTableStatus("replicating")).toBe("Replicating");
    expect(parseTableStatus("Exploded")).toBe("Unknown");
    expect(parseLinkStatus("running")).toBe("Running");
    expect(parseLinkStatus(undefined)).toBe("Unknown");
  });

  it.each<[string, string, string | undefined, boolean]>([
    [
      "the documented transient's wording",
      "A table can only be enabled once among all table groups",
      undefined,
      true,
    ],
    [
      "SQL error 22718's first sentence",
      "editTables failed (HTTP 400): Change Feed is already enabled on source table 'dbo.A' with link table id 'x'.",
      undefined,
      true,
    ],
    ["22718 as the code", "editTables failed (HTTP 400): refused", "22718", true],
    ["22718 in the message", "editTables failed (HTTP 400): SQL error 22718", undefined, true],
    ["a missing primary key", "Primary key missing", undefined, false],
  ])("recognises enabled once from %s: %p", (_case, message, code, expected) => {
    expect(isEnabledOnceError(message, code)).toBe(expected);
  });
});
