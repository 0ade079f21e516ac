import { queueMessageSchema, toOnboardingRequest } from "../../../shared/intake/queueMessage";
import { queuedAdd, tableEntry } from "../../support/onboardingTables";

const base = queuedAdd;

const table = (target: Record<string, unknown>) =>
  tableEntry("dbo", "Orders", { distribution: "RoundRobin", ...target });

describe("queue message targets", () => {
  it("accepts a target without a structure and keeps it without one", () => {
    const message = queueMessageSchema.parse({ ...base, tables: [table({})] });
    expect(toOnboardingRequest(message).tables[0]?.target).toEqual({
      schema: "dbo",
      name: "Orders",
      distribution: "RoundRobin",
    });
  });

  it("keeps the structure of a message queued with one", () => {
    const message = queueMessageSchema.parse({
      ...base,
      tables: [table({ structure: "ClusteredColumnstoreIndex" })],
    });
    expect(toOnboardingRequest(message).tables[0]?.target.structure).toBe("ClusteredColumnstoreIndex");
  });

  it("reads the re-add of a message queued by an earlier version, which spelled it readd", () => {
    const message = queueMessageSchema.parse({ ...base, action: "readd", tables: [table({})] });
    expect(toOnboardingRequest(message).action).toBe("reAdd");
  });

  it("refuses an action it does not know", () => {
    expect(queueMessageSchema.safeParse({ ...base, action: "upsert", tables: [table({})] }).success).toBe(
      false,
    );
  });
});
