import { TableClient } from "@azure/data-tables";
import { resolveTarget } from "../../shared/domain/tableTarget";
import type { OnboardingRequest, RequestIndexEntry } from "../../shared/ledger/ledger";
import { TableStorageLedger } from "../../shared/ledger/tableStorageLedger";
import { useAzurite } from "../support/azurite";

const azurite = useAzurite();
let counter = 0;

function newLedger(): TableStorageLedger {
  const client = TableClient.fromConnectionString(azurite.connectionString, `dashboardtest${++counter}`, {
    allowInsecureConnection: true,
  });
  return new TableStorageLedger(client);
}

const linkA = { workspace: "demo", linkConnection: "demo-link" };
const linkB = { workspace: "demo", linkConnection: "other-link" };
const at = (minute: number) => new Date(Date.UTC(2026, 0, 5, 8, minute)).toISOString();

function request(requestId: string, link = linkA, kind: "http" | "event" = "http"): OnboardingRequest {
  return {
    ...link,
    requestId,
    action: "add",
    origin: { kind, id: requestId },
    receivedAt: at(0),
    tables: [
      {
        source: { schema: "dbo", name: "T" },
        target: resolveTarget({ schema: "dbo", name: "T" }, undefined),
      },
    ],
  };
}

const ids = (items: RequestIndexEntry[]) => items.map((e) => e.requestId);

async function allPages(
  ledger: TableStorageLedger,
  query: { link?: typeof linkA; since?: string },
  limit: number,
) {
  const pages: string[][] = [];
  let after: string | undefined;
  do {
    const page = await ledger.listRequestIndex({ ...query, ...(after ? { after } : {}), limit });
    pages.push(ids(page.items));
    after = page.after;
  } while (after !== undefined);
  return pages;
}

describe("TableStorageLedger request index (Azurite)", () => {
  it("lists requests newest first, in pages that neither skip nor repeat", async () => {
    const ledger = newLedger();
    for (const [i, id] of ["r1", "r2", "r3", "r4", "r5"].entries())
      await ledger.recordRequest(request(id), at(i));
    expect(await allPages(ledger, {}, 2)).toEqual([["r5", "r4"], ["r3", "r2"], ["r1"]]);
    const first = await ledger.listRequestIndex({ limit: 10 });
    expect(first.after).toBeUndefined();
    expect(first.items[0]).toEqual({ ...linkA, requestId: "r5", origin: "http", createdAt: at(4) });
  });

  it("narrows to one link from that link's own partition, and to requests since a time", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("a1", linkA), at(1));
    await ledger.recordRequest(request("b1", linkB, "event"), at(2));
    await ledger.recordRequest(request("a2", linkA), at(3));
    expect(await allPages(ledger, { link: linkB }, 10)).toEqual([["b1"]]);
    expect(await allPages(ledger, { link: linkA }, 1)).toEqual([["a2"], ["a1"]]);
    expect(await allPages(ledger, { since: at(2) }, 10)).toEqual([["a2", "b1"]]);
    expect(await allPages(ledger, { link: linkA, since: at(2) }, 10)).toEqual([["a2"]]);
    expect((await ledger.listRequestIndex({ link: linkB, limit: 1 })).items[0]?.origin).toBe("event");
  });

  it("indexes a redelivered request once, under its first time", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("r1"), at(1));
    expect(await ledger.recordRequest(request("r1"), at(7))).toBe("exists");
    expect((await ledger.listRequestIndex({ limit: 10 })).items).toEqual([
      { ...linkA, requestId: "r1", origin: "http", createdAt: at(1) },
    ]);
    expect((await ledger.listRequestIndex({ link: linkA, limit: 10 })).items).toHaveLength(1);
  });

  it("tracks every link with a request, once each, after it left the open list", async () => {
    const ledger = newLedger();
    await ledger.recordRequest(request("a1", linkA), at(1));
    await ledger.recordRequest(request("b1", linkB), at(2));
    await ledger.recordRequest(request("a2", linkA), at(3));
    await ledger.closeOpenLink(linkA, (await ledger.getOpenLink(linkA))!.etag);
    const first = await ledger.listTrackedLinks({ limit: 1 });
    const second = await ledger.listTrackedLinks({ after: first.after!, limit: 1 });
    expect([...first.items, ...second.items]).toEqual([
      { ...linkA, lastRequestAt: at(3) },
      { ...linkB, lastRequestAt: at(2) },
    ]);
    expect(second.after).toBeUndefined();
  });
});
