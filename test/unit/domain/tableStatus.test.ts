import { requestStatusOf } from "../../../shared/domain/tableStatus";

describe("requestStatusOf", () => {
  it("is InProgress while any table is still moving", () => {
    expect(requestStatusOf(["Replicating", "Snapshotting"])).toBe("InProgress");
  });
  it("is Succeeded when every table replicates or was removed as asked", () => {
    expect(requestStatusOf(["Replicating", "Removed"])).toBe("Succeeded");
  });
  it("is PartiallySucceeded when some tables failed or were rejected", () => {
    expect(requestStatusOf(["Replicating", "Rejected"])).toBe("PartiallySucceeded");
    expect(requestStatusOf(["Failed", "Replicating"])).toBe("PartiallySucceeded");
  });
  it("is Rejected when every table was rejected", () => {
    expect(requestStatusOf(["Rejected", "Rejected"])).toBe("Rejected");
  });
  it("is Failed when nothing succeeded and something failed", () => {
    expect(requestStatusOf(["Failed", "Rejected"])).toBe("Failed");
  });
});
