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

  it("recognises the documented enabled-once transient", () => {
    expect(isEnabledOnceError("A table can only be enabled once among all table groups")).toBe(true);
    expect(isEnabledOnceError("Primary key missing")).toBe(false);
  });
});
