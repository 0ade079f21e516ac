import { resolveTarget } from "../../../shared/domain/tableTarget";

describe("resolveTarget", () => {
  const source = { schema: "dbo", name: "Orders" };

  it("defaults to the source name, round robin and a clustered columnstore index", () => {
    expect(resolveTarget(source, undefined)).toEqual({
      schema: "dbo",
      name: "Orders",
      distribution: "RoundRobin",
      structure: "ClusteredColumnstoreIndex",
    });
  });

  it("keeps the distribution column for Hash and drops it otherwise", () => {
    expect(
      resolveTarget(source, { distribution: "Hash", distributionColumn: "OrderId" }).distributionColumn,
    ).toBe("OrderId");
    expect(
      resolveTarget(source, { distribution: "Replicate", distributionColumn: "OrderId" }).distributionColumn,
    ).toBeUndefined();
  });

  it("uses rule defaults when the caller gives none", () => {
    expect(resolveTarget(source, {}, { distribution: "Replicate", structure: "Heap" })).toMatchObject({
      distribution: "Replicate",
      structure: "Heap",
    });
  });
});
