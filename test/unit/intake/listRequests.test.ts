import { listRequests, MAX_SCANNED } from "../../../shared/intake/listRequests";
import { InMemoryLedger } from "../../support/inMemoryLedger";
import { NOW, request } from "../worker/workerTestKit";

const at = (minute: number) => new Date(Date.parse(NOW) + minute * 60_000).toISOString();

async function ledgerWith(count: number): Promise<InMemoryLedger> {
  const ledger = new InMemoryLedger();
  for (let i = 1; i <= count; i++) await ledger.recordRequest(request(`r${i}`, ["dbo.A", "dbo.B"]), at(i));
  return ledger;
}

async function ok(ledger: InMemoryLedger, query: Parameters<typeof listRequests>[1]) {
  const result = await listRequests({ ledger }, query);
  if (result.kind !== "ok") throw new Error(JSON.stringify(result));
  return result.body;
}

describe("listRequests", () => {
  it("lists requests newest first and pages with a token, neither skipping nor repeating", async () => {
    const ledger = await ledgerWith(5);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const body = await ok(ledger, { limit: "2", ...(token ? { continuationToken: token } : {}) });
      seen.push(...body.requests.map((r) => r.requestId));
      token = body.continuationToken;
      pages++;
    } while (token);
    expect(seen).toEqual(["r5", "r4", "r3", "r2", "r1"]);
    expect(pages).toBe(3);
  });

  it("summarizes each request: status, origin, progress as final of all tables, and no callback URL", async () => {
    const ledger = new InMemoryLedger();
    await ledger.recordRequest(
      { ...request("r1", ["dbo.A", "dbo.B"]), callbackUrl: "https://example.org/hook?sig=secret" },
      NOW,
    );
    await ledger.markClaimed({ workspace: "demo", linkConnection: "demo-link" }, "r1", at(1));
    await ledger.setRequestTableStatuses(
      [{ requestId: "r1", table: { schema: "dbo", name: "A", status: "Replicating" } }],
      at(2),
    );
    const body = await ok(ledger, {});
    expect(body.requests).toEqual([
      {
        requestId: "r1",
        workspace: "demo",
        linkConnection: "demo-link",
        action: "add",
        status: "InProgress",
        origin: "http",
        createdAt: NOW,
        updatedAt: at(2),
        progress: { final: 1, total: 2 },
      },
    ]);
    expect(JSON.stringify(body)).not.toContain("example.org");
  });

  it("filters by status and by link, and by creation time", async () => {
    const ledger = await ledgerWith(4);
    await ledger.recordRequest({ ...request("other", ["dbo.A"]), linkConnection: "other-link" }, at(9));
    await ledger.markClaimed({ workspace: "demo", linkConnection: "demo-link" }, "r2", at(5));
    const ids = async (query: Parameters<typeof listRequests>[1]) =>
      (await ok(ledger, query)).requests.map((r) => r.requestId);
    expect(await ids({ status: "InProgress" })).toEqual(["r2"]);
    expect(await ids({ status: "InProgress,Queued", link: "demo/other-link" })).toEqual(["other"]);
    expect(await ids({ link: "demo/demo-link", since: at(3) })).toEqual(["r4", "r3"]);
  });

  it("reads at most MAX_SCANNED index entries for a filtered page, and gives a token to go on", async () => {
    const ledger = await ledgerWith(MAX_SCANNED + 10);
    const reads = jest.spyOn(ledger, "getRequest");
    const body = await ok(ledger, { status: "Failed" });
    expect(body.requests).toEqual([]);
    expect(reads.mock.calls.length).toBeLessThanOrEqual(MAX_SCANNED);
    expect(body.continuationToken).toBeDefined();
    const rest = await ok(ledger, { status: "Failed", continuationToken: body.continuationToken! });
    expect(rest.continuationToken).toBeUndefined();
  });

  it("refuses bad parameters, naming each", async () => {
    const result = await listRequests(
      { ledger: new InMemoryLedger() },
      { link: "no-slash", status: "Done", since: "yesterday", limit: "1000", continuationToken: "%%" },
    );
    expect(result.kind).toBe("refused");
    if (result.kind !== "refused") return;
    expect(result.refusal.errors.map((e) => e.pointer)).toEqual([
      "link",
      "status",
      "since",
      "limit",
      "continuationToken",
    ]);
  });
});
