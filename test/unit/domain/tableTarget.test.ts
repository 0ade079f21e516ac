import { resolveTarget } from "../../../shared/domain/tableTarget";

describe("resolveTarget", () => {
  const source = { schema: "dbo", name: "Orders" };

  it("defaults to the source name, round robin and no structure (the service's own default)", () => {
    expect(resolveTarget(source, undefined)).toEqual({
      schema: "dbo",
      name: "Orders",
      distribution: "RoundRobin",
    });
  });

  it("keeps a structure the request asks for", () => {
    expect(resolveTarget(source, { structure: "ClusteredColumnstoreIndex" }).structure).toBe(
      "ClusteredColumnstoreIndex",
    );
  });

  it("prefers the request's structure to the rule's", () => {
    expect(
      resolveTarget(
        source,
        { structure: "ClusteredIndex" },
        { distribution: "RoundRobin", structure: "Heap" },
      ).structure,
    ).toBe("ClusteredIndex");
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
