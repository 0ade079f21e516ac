import { TableClient } from "@azure/data-tables";
import { TableAppKeyStore } from "../../shared/ledger/appKeys";
import { useAzurite } from "../support/azurite";
import { watchTableTraffic } from "../support/tableTraffic";

const azurite = useAzurite();
let counter = 0;

/** A key store on its own table (created on first use), with the round trips it makes. */
function storeOn(table: string) {
  const client = TableClient.fromConnectionString(azurite.connectionString, table, {
    allowInsecureConnection: true,
  });
  return { store: new TableAppKeyStore(client), calls: watchTableTraffic(client).methods };
}

describe("TableAppKeyStore (acceptance key)", () => {
  it("creates the key on first use, even before the ledger table exists", async () => {
    const { store } = storeOn(`appkeys${++counter}`);
    const key = await store.acceptanceKey();
    expect(key).toHaveLength(32);
  });

  it("gives an instance started later the same key in one round trip", async () => {
    const table = `appkeys${++counter}`;
    const first = await storeOn(table).store.acceptanceKey();
    const later = storeOn(table);
    expect((await later.store.acceptanceKey()).equals(first)).toBe(true);
    expect(later.calls).toEqual(["GET"]);
    // Cached: a request after that makes no call.
    await later.store.acceptanceKey();
    expect(later.calls).toEqual(["GET"]);
  });

  it("gives instances that start together one key", async () => {
    const table = `appkeys${++counter}`;
    const stores = Array.from({ length: 5 }, () => storeOn(table).store);
    const keys = await Promise.all(stores.map((s) => s.acceptanceKey()));
    expect(new Set(keys.map((k) => k.toString("base64"))).size).toBe(1);
  });
});
