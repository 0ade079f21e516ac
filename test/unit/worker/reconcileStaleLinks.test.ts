import { reconcileStaleLinks } from "../../../shared/worker/reconcileStaleLinks";
import { InMemoryLedger } from "../../support/inMemoryLedger";
import { defaultSettings, request } from "./workerTestKit";

describe("reconcileStaleLinks", () => {
  it("re-kicks only links whose queued requests are older than the threshold", async () => {
    const ledger = new InMemoryLedger();
    await ledger.recordRequest(request("old", ["dbo.A"]), "2026-01-05T08:00:00.000Z");
    await ledger.recordRequest(
      { ...request("new", ["dbo.B"]), linkConnection: "fresh-link" },
      "2026-01-05T08:09:00.000Z",
    );
    const started: string[] = [];
    const links = await reconcileStaleLinks(
      {
        ledger,
        settings: defaultSettings,
        scheduler: {
          getRuntimeStatus: () => Promise.resolve(undefined),
          start: (id) => {
            started.push(id);
            return Promise.resolve();
          },
          raiseEvent: () => Promise.resolve(),
        },
      },
      new Date("2026-01-05T08:10:00.000Z"),
      5,
    );
    expect(links).toEqual([{ workspace: "demo", linkConnection: "demo-link" }]);
    expect(started).toHaveLength(1);
  });
});
