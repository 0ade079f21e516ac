// Link-table behaviour over HTTP with a virtual clock, under the default profile (the recorded service): edits stored
// at once, the lifecycle, failures with SQL Server's error numbers and texts, SQL error 22718 ("enabled once"), the
// 5,000-table limit, all-or-nothing edits and querytablestatus paging. Non-default answers: synapseSim.profiles.test.ts.
import type { SimSeed, SynapseSim } from "../../dev/synapse-sim";
import { DEFAULT_TIMINGS } from "../../dev/synapse-sim/linkState";
import {
  addOp,
  ENABLED_ONCE_TEXT,
  objectOf,
  removeOp,
  tableRows,
  valueOf,
  wireApi,
  type TableStatusRow,
  type WireCall,
  type WireReply,
} from "./synapseSim.wire";
import { salesSeed, useSynapseSim } from "../support/synapseSim";

const T0 = Date.parse("2025-05-01T00:00:00Z");
const { waitingMs, snapshotMs, removeCleanupMs, linkTransitionMs } = DEFAULT_TIMINGS;

const seed: SimSeed = salesSeed({
  links: [
    { name: "merge-link", actionOnExistingTargetTable: "MergeWithExistingData" },
    { name: "drop-link", actionOnExistingTargetTable: "DropAndRecreateTable" },
    { name: "stopped-link", status: "Stopped" },
    { name: "fresh-link", status: "Initial" },
  ],
  sourceTables: [
    { schema: "dbo", name: "Archive", primaryKey: ["ArchiveId"] },
    { schema: "dbo", name: "Staging", primaryKey: ["StagingId"] },
  ],
  targetTables: [
    { schema: "dbo", name: "Archive", rowCount: 10 },
    { schema: "dbo", name: "Staging", rowCount: 0 },
  ],
});

describe("synapse-sim link tables (default profile)", () => {
  let sim: SynapseSim;
  let api: WireCall;
  let now = T0;

  useSynapseSim(
    { clock: () => now, seed },
    {
      started: (s) => ([sim, api] = [s, wireApi(s)]),
      beforeEachTest: () => (now = T0),
      reseed: () => seed,
    },
  );

  const edit = (link: string, ...linkTables: object[]): Promise<WireReply> =>
    api("POST", `/linkconnections/${link}/edittables`, { linkTables });
  const tableStatus = async (link: string): Promise<TableStatusRow[]> =>
    tableRows(
      (await api("POST", `/linkconnections/${link}/querytablestatus`, { maxSegmentCount: 1000 })).json,
    );
  const linkTables = async (link: string): Promise<Record<string, unknown>[]> =>
    valueOf((await api("GET", `/linkconnections/${link}/linktables`)).json);
  /** Every querytablestatus row, following continuation tokens. */
  const everyTableStatus = async (link: string): Promise<TableStatusRow[]> => {
    const rows: TableStatusRow[] = [];
    let token: unknown;
    do {
      const res = await api("POST", `/linkconnections/${link}/querytablestatus`, {
        maxSegmentCount: 1000,
        ...(token === undefined ? {} : { continuationToken: token }),
      });
      rows.push(...tableRows(res.json));
      token = objectOf(res.json).continuationToken ?? undefined;
    } while (token !== undefined);
    return rows;
  };
  const ids = async (link: string): Promise<unknown[]> => (await linkTables(link)).map((t) => t.id);
  const detailed = async (link: string): Promise<Record<string, unknown>> =>
    objectOf((await api("GET", `/linkconnections/${link}/detailedstatus`)).json);

  test("edittables answers 200 with the whole link resource, Data Factory id and type, the tables and a new etag", async () => {
    const before = objectOf((await api("GET", "/linkconnections/sales-link")).json);
    const res = await edit("sales-link", addOp("Orders"));
    expect(res.status).toBe(200);
    const body = objectOf(res.json);
    expect(body).toMatchObject({
      name: "sales-link",
      type: "Microsoft.DataFactory/factories/linkconnections",
      properties: {
        linkTables: [
          {
            id: "id-Orders",
            source: { schemaName: "dbo", tableName: "Orders" },
            target: { schemaName: "dbo", tableName: "Orders", distributionOptions: { type: "Round_RoBin" } },
          },
        ],
      },
    });
    expect(body.id).toMatch(
      /\/providers\/Microsoft\.DataFactory\/factories\/[^/]+\/linkconnections\/sales-link$/,
    );
    expect(typeof body.etag).toBe("string");
    expect(body.etag).not.toBe(before.etag);
    const second = objectOf((await edit("sales-link", addOp("Customers"))).json);
    expect(second.etag).not.toBe(body.etag);
  });

  test("an added table shows in linktables and querytablestatus at once, Waiting", async () => {
    await edit("sales-link", addOp("Orders"));
    expect(await ids("sales-link")).toEqual(["id-Orders"]);
    expect(await tableStatus("sales-link")).toMatchObject([{ id: "id-Orders", status: "Waiting" }]);
  });

  test("linktables items carry id, source and target only (no name, no etag)", async () => {
    await edit("sales-link", addOp("Orders"));
    const [item] = await linkTables("sales-link");
    expect(Object.keys(item ?? {}).sort()).toEqual(["id", "source", "target"]);
  });

  test("a table added without a target is listed without one", async () => {
    await edit("sales-link", {
      id: "bare",
      source: { schemaName: "dbo", tableName: "Orders" },
      operationType: "add",
    });
    expect(await linkTables("sales-link")).toEqual([
      { id: "bare", source: { schemaName: "dbo", tableName: "Orders" } },
    ]);
  });

  test("link-table ids come back exactly as sent, dashes and case included", async () => {
    const dashed = "8BBB9091-983B-48F5-9808-CB322A30E1E1";
    await edit("sales-link", addOp("Orders", dashed));
    expect(await ids("sales-link")).toEqual([dashed]);
    expect((await tableStatus("sales-link"))[0]?.id).toBe(dashed);
  });

  test("an added table goes Waiting → Snapshotting → Replicating on the sim clock", async () => {
    await edit("sales-link", addOp("Orders"));
    const seen: string[] = [];
    for (const step of [0, waitingMs - 1, 1, snapshotMs - 1, 1]) {
      now += step;
      seen.push((await tableStatus("sales-link"))[0]?.status ?? "");
    }
    expect(seen).toEqual(["Waiting", "Waiting", "Snapshotting", "Snapshotting", "Replicating"]);
    expect(sim.link("sales-link")?.tables).toEqual([
      { id: "id-Orders", schema: "dbo", name: "Orders", status: "Replicating" },
    ]);
  });

  test("a table without a primary key goes Failed after Waiting with SQL error 22720 and its catalogue text", async () => {
    expect((await edit("sales-link", addOp("AuditLog"))).status).toBe(200);
    now += waitingMs - 1;
    expect((await tableStatus("sales-link"))[0]?.status).toBe("Waiting");
    now += 1;
    expect((await tableStatus("sales-link"))[0]).toMatchObject({
      status: "Failed",
      errorCode: "22720",
      errorMessage: "Enabling Change Feed on a table without primary key is not allowed.",
    });
    expect((await detailed("sales-link")).isPartiallyFailed).toBe(true);
  });

  test("a table with an unsupported column type goes Failed with SQL error 22737 and its catalogue text", async () => {
    await edit("sales-link", addOp("Shapes"));
    now += waitingMs;
    expect((await tableStatus("sales-link"))[0]).toMatchObject({
      status: "Failed",
      errorCode: "22737",
      errorMessage:
        "Can not enable Change Feed on a table where the column data type are user-defined types, geometry, geography, hierarchyid, sql_variant or timestamp",
    });
  });

  test("a source table that does not exist goes Failed saying so", async () => {
    await edit("sales-link", addOp("Ghost"));
    now += waitingMs;
    const row = (await tableStatus("sales-link"))[0];
    expect(row).toMatchObject({ status: "Failed", errorCode: "SourceTableNotFound" });
    expect(row?.errorMessage).toMatch(/\[dbo\]\.\[Ghost\] does not exist/);
  });

  test("a non-empty target table fails the add when actionOnExistingTargetTable is absent, naming the setting", async () => {
    await edit("sales-link", addOp("Archive"));
    now += waitingMs;
    const row = (await tableStatus("sales-link"))[0];
    expect(row?.status).toBe("Failed");
    expect(row?.errorMessage).toContain("actionOnExistingTargetTable");
  });

  test.each(["merge-link", "drop-link"])("%s proceeds over a non-empty target table", async (link) => {
    await edit(link, addOp("Archive"));
    now += waitingMs + snapshotMs;
    expect((await tableStatus(link))[0]?.status).toBe("Replicating");
  });

  test("an existing but empty target table does not fail the add", async () => {
    await edit("sales-link", addOp("Staging"));
    now += waitingMs + snapshotMs;
    expect((await tableStatus("sales-link"))[0]?.status).toBe("Replicating");
  });

  test("a tableFailure fault fails that table for the given number of adds", async () => {
    sim.addFault({
      kind: "tableFailure",
      schema: "dbo",
      name: "Orders",
      errorCode: "SqlTimeout",
      errorMessage: "boom",
      times: 1,
    });
    await edit("sales-link", addOp("Orders"));
    now += waitingMs;
    expect((await tableStatus("sales-link"))[0]).toMatchObject({
      status: "Failed",
      errorCode: "SqlTimeout",
      errorMessage: "boom",
    });

    // Remediation: remove, wait out the clean-up, add again — the fault is used up.
    await edit("sales-link", removeOp("id-Orders"));
    now += removeCleanupMs;
    await edit("sales-link", addOp("Orders", "id-Orders-2"));
    now += waitingMs + snapshotMs;
    expect((await tableStatus("sales-link"))[0]).toMatchObject({ id: "id-Orders-2", status: "Replicating" });
  });

  test("adding a table that another link holds is a 400 with SQL error 22718 naming the table and that link table's id", async () => {
    const holderId = (await tableStatus("other-link"))[0]?.linkTableId ?? "";
    const res = await edit("sales-link", addOp("Legacy"));
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("22718");
    expect(res.error?.message).toMatch(ENABLED_ONCE_TEXT);
    expect(ENABLED_ONCE_TEXT.exec(res.error?.message ?? "")?.slice(1)).toEqual([
      "dbo.Legacy",
      holderId.toUpperCase(),
    ]);
    expect(res.error?.target).toBe("linkTables[0]");
    expect(await linkTables("sales-link")).toEqual([]);
  });

  test("retrying an add with the same id is a no-op answered 200", async () => {
    await edit("sales-link", addOp("Orders"));
    expect((await edit("sales-link", addOp("Orders"))).status).toBe(200);
    expect(await ids("sales-link")).toEqual(["id-Orders"]);
  });

  test("adding a table already in the link under another id is rejected naming the first id", async () => {
    await edit("sales-link", addOp("Orders", "first"));
    const res = await edit("sales-link", addOp("Orders", "second"));
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("'first'");
  });

  test("a removed table leaves linktables and querytablestatus at once", async () => {
    expect((await edit("other-link", { id: "legacy-id", operationType: "remove" })).status).toBe(200);
    expect(await linkTables("other-link")).toEqual([]);
    expect(await tableStatus("other-link")).toEqual([]);
  });

  test("re-adding a removed table meets SQL error 22718 until removeCleanupMs after the removal was stored", async () => {
    await edit("other-link", { id: "legacy-id", operationType: "Remove" });
    const rightAway = await edit("sales-link", addOp("Legacy"));
    expect(rightAway.status).toBe(400);
    expect(rightAway.error?.code).toBe("22718");
    expect(rightAway.error?.message).toMatch(ENABLED_ONCE_TEXT);

    now += removeCleanupMs - 1;
    expect((await edit("sales-link", addOp("Legacy"))).error?.code).toBe("22718");
    now += 1;
    expect((await edit("sales-link", addOp("Legacy"))).status).toBe(200);
  });

  test("re-adding to the same link within the clean-up window is refused the same way", async () => {
    await edit("other-link", removeOp("legacy-id"));
    const res = await edit("other-link", addOp("Legacy", "legacy-again"));
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("22718");
  });

  test("a retried removal finds nothing and is a 400 LinkTableNotFound", async () => {
    await edit("other-link", removeOp("legacy-id"));
    const again = await edit("other-link", removeOp("legacy-id"));
    expect(again.status).toBe(400);
    expect(again.error?.code).toBe("LinkTableNotFound");
  });

  test("re-adding a table that had snapshotted fails over its now non-empty target unless the link allows it", async () => {
    await edit("other-link", removeOp("legacy-id"));
    now += removeCleanupMs;
    await edit("other-link", addOp("Legacy", "legacy-again"));
    now += waitingMs;
    const row = (await tableStatus("other-link"))[0];
    expect(row?.status).toBe("Failed");
    expect(row?.errorMessage).toContain("actionOnExistingTargetTable");
  });

  test("beyond 5,000 tables the extra table goes Failed with SQL error 22753 and the current count", async () => {
    const many = Array.from({ length: 4999 }, (_, i) => ({ schema: "bulk", name: `T${i}` }));
    sim.reset({
      links: [{ name: "big-link", tables: many }],
      sourceTables: [...many, { schema: "bulk", name: "Extra1" }, { schema: "bulk", name: "Extra2" }].map(
        (t) => ({
          ...t,
          primaryKey: ["Id"],
        }),
      ),
    });
    expect(
      (await edit("big-link", addOp("Extra1", "e1", "bulk"), addOp("Extra2", "e2", "bulk"))).status,
    ).toBe(200);
    now += waitingMs;
    expect(await linkTables("big-link")).toHaveLength(5001);
    const rows = await everyTableStatus("big-link");
    expect(rows.slice(4999)).toMatchObject([
      { id: "e1", status: "Snapshotting" },
      {
        id: "e2",
        status: "Failed",
        errorCode: "22753",
        errorMessage:
          "The number of tables enabled for a Change Feed table group can not exceed 5000. Current number of table enabled: 5000.",
      },
    ]);
  });

  test("one bad link table rejects the whole edit and nothing is stored", async () => {
    const res = await edit("sales-link", addOp("Orders"), addOp("Legacy"));
    expect(res.status).toBe(400);
    expect(await linkTables("sales-link")).toEqual([]);
    expect((await edit("sales-link", addOp("Orders"))).status).toBe(200);
  });

  test("operationType is case-insensitive", async () => {
    expect((await edit("sales-link", { ...addOp("Orders"), operationType: "Add" })).status).toBe(200);
    expect((await edit("sales-link", { ...addOp("Customers"), operationType: "ADD" })).status).toBe(200);
    expect(await linkTables("sales-link")).toHaveLength(2);
  });

  test("an operationType other than add, update or remove is rejected", async () => {
    const res = await edit("sales-link", { ...addOp("Orders"), operationType: "drop" });
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("linkTables[0].operationType");
    expect(res.error?.message).toMatch(/add, update, remove/);
  });

  test("an add without id or source names is rejected naming each missing field", async () => {
    const res = await edit("sales-link", { source: { schemaName: "dbo" }, operationType: "add" });
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("linkTables[0].id");
    expect(res.error?.message).toContain("linkTables[0].source.tableName");
    expect(res.error?.details.map((d) => d.target)).toEqual([
      "linkTables[0].id",
      "linkTables[0].source.tableName",
    ]);
  });

  test("the target is stored exactly as sent and returned by linktables", async () => {
    const targets = {
      Orders: {
        schemaName: "dbo",
        tableName: "Orders",
        distributionOptions: { type: "Hash", distributionColumn: "OrderId" },
        structureOptions: { type: "Clustered_ColumnStore" },
      },
      Customers: {
        schemaName: "stage",
        tableName: "Cust",
        distributionOptions: { type: "Replicate" },
        structureOptions: { type: "Heap" },
      },
      Staging: { schemaName: "dbo", tableName: "Staging", distributionOptions: { type: "Round_RoBin" } },
    };
    await edit(
      "sales-link",
      ...Object.entries(targets).map(([name, target]) => addOp(name, `id-${name}`, "dbo", target)),
    );
    const byId = Object.fromEntries((await linkTables("sales-link")).map((t) => [t.id, t.target]));
    expect(byId).toEqual({
      "id-Orders": targets.Orders,
      "id-Customers": targets.Customers,
      "id-Staging": targets.Staging,
    });
  });

  test("update changes the target at once", async () => {
    await edit("sales-link", addOp("Orders"));
    const target = {
      schemaName: "dbo",
      tableName: "Orders",
      distributionOptions: { type: "Hash", distributionColumn: "OrderId" },
      structureOptions: { type: "Heap" },
    };
    expect((await edit("sales-link", { id: "id-Orders", target, operationType: "update" })).status).toBe(200);
    expect((await linkTables("sales-link"))[0]?.target).toEqual(target);
  });

  test("updating or removing a table that is not in the link is rejected", async () => {
    const res = await edit("sales-link", { id: "nope", operationType: "remove" });
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("LinkTableNotFound");
  });

  test.each(["fresh-link", "stopped-link"])(
    "edittables on the not-running %s is stored; the table waits until the link runs",
    async (link) => {
      expect((await edit(link, addOp("Orders"))).status).toBe(200);
      expect(await ids(link)).toEqual(["id-Orders"]);
      now += 10 * (waitingMs + snapshotMs);
      expect((await tableStatus(link))[0]?.status).toBe("Waiting");
      expect((await api("POST", `/linkconnections/${link}/start`)).status).toBe(200);
      now += linkTransitionMs + waitingMs - 1;
      expect((await tableStatus(link))[0]?.status).toBe("Waiting");
      now += 1;
      expect((await tableStatus(link))[0]?.status).toBe("Snapshotting");
      now += snapshotMs;
      expect((await tableStatus(link))[0]?.status).toBe("Replicating");
    },
  );

  test("querytablestatus pages with maxSegmentCount and an opaque continuation token", async () => {
    const names = ["T1", "T2", "T3", "T4", "T5", "T6", "T7"];
    sim.reset({
      links: [{ name: "paged", tables: names.map((name) => ({ schema: "dbo", name, id: name })) }],
      sourceTables: [],
    });
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let token: unknown;
    do {
      const res = await api("POST", "/linkconnections/paged/querytablestatus", {
        maxSegmentCount: 3,
        ...(token === undefined ? {} : { continuationToken: token }),
      });
      expect(res.status).toBe(200);
      const rows = tableRows(res.json);
      pageSizes.push(rows.length);
      seen.push(...rows.map((v) => v.id));
      token = objectOf(res.json).continuationToken ?? undefined;
    } while (token !== undefined);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(names);
  });

  test("querytablestatus defaults to 50 per page", async () => {
    const names = Array.from({ length: 51 }, (_, i) => `T${i}`);
    sim.reset({
      links: [{ name: "paged", tables: names.map((name) => ({ schema: "dbo", name })) }],
      sourceTables: [],
    });
    const res = objectOf((await api("POST", "/linkconnections/paged/querytablestatus", {})).json);
    expect(tableRows(res)).toHaveLength(50);
    expect(typeof res.continuationToken).toBe("string");
  });

  test("a continuation token the service did not issue is rejected", async () => {
    const res = await api("POST", "/linkconnections/sales-link/querytablestatus", {
      continuationToken: "garbage",
    });
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("continuationToken");
  });
});
