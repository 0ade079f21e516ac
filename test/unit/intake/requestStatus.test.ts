import { getRequestStatus } from "../../../shared/intake/requestStatus";
import { InMemoryLedger } from "../../support/inMemoryLedger";
import { NOW, request } from "../worker/workerTestKit";

describe("getRequestStatus", () => {
  it("shows a recorded request with exactly the contract's fields", async () => {
    const ledger = new InMemoryLedger();
    await ledger.recordRequest(request("r-1", ["dbo.Orders"]), NOW);
    const result = await getRequestStatus({ ledger }, "r-1");
    expect(result).toMatchObject({ kind: "ok", body: { requestId: "r-1", workspace: "demo" } });
    if (result.kind !== "ok") return;
    expect(Object.keys(result.body).sort()).toEqual(
      ["createdAt", "linkConnection", "requestId", "status", "tables", "updatedAt", "workspace"].sort(),
    );
  });

  it("refuses an unknown request id", async () => {
    expect(await getRequestStatus({ ledger: new InMemoryLedger() }, "nope")).toEqual({
      kind: "refused",
      refusal: { kind: "requestNotFound", requestId: "nope" },
    });
  });
});
