// Link-table behaviour over HTTP with a virtual clock: lifecycle, failures, one-link-per-table, the enabled-once
// transient, the 5,000-table limit, all-or-nothing edits and querytablestatus paging.
import { startSynapseSim, type SimSeed, type SynapseSim } from "../../dev/synapse-sim";
import type { CloudError } from "../../dev/synapse-sim/cloudError";
import { DEFAULT_TIMINGS } from "../../dev/synapse-sim/linkState";

const V = "2022-12-01-preview";
const T0 = Date.parse("2025-05-01T00:00:00Z");
const { applyMs, waitingMs, snapshotMs, removeCleanupMs } = DEFAULT_TIMINGS;

const seed: SimSeed = {
  links: [
    { name: "sales-link" },
    { name: "other-link", tables: [{ schema: "dbo", name: "Legacy", id: "legacy-id" }] },
    { name: "merge-link", actionOnExistingTargetTable: "MergeWithExistingData" },
    { name: "drop-link", actionOnExistingTargetTable: "DropAndRecreateTable" },
    { name: "stopped-link", status: "Stopped" },
  ],
  sourceTables: [
    { schema: "dbo", name: "Orders", primaryKey: ["OrderId"] },
    { schema: "dbo", name: "Customers", primaryKey: ["CustomerId"] },
    { schema: "dbo", name: "AuditLog" },
    { schema: "dbo", name: "Legacy", primaryKey: ["LegacyId"] },
    { schema: "dbo", name: "Archive", primaryKey: ["ArchiveId"] },
    { schema: "dbo", name: "Staging", primaryKey: ["StagingId"] },
  ],
  targetTables: [
    { schema: "dbo", name: "Archive", rowCount: 10 },
    { schema: "dbo", name: "Staging", rowCount: 0 },
  ],
};

/** A link table as querytablestatus / linktables return it (the fields these tests read). */
interface TableRow {
  id: string;
  status: string;
  errorCode?: string;
  errorMessage?: string;
  target: Record<string, unknown> & { structureOptions: { type: string } };
}

/** The parts of response bodies these tests read; each response carries only some of them. */
interface WireBody {
  error: Required<CloudError["error"]>;
  value: TableRow[];
  continuationToken?: string | null;
  isApplyingChanges: boolean;
  isPartiallyFailed: boolean;
}

interface Reply {
  status: number;
  body: WireBody;
}

describe("synapse-sim link tables", () => {
  let sim: SynapseSim;
  let now = T0;

  beforeAll(async () => {
    sim = await startSynapseSim({ clock: () => now, seed });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    now = T0;
    sim.reset(seed);
  });

  async function api(method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${sim.url}${path}?api-version=${V}`, {
      method,
      headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as WireBody };
  }

  const addOp = (name: string, id = `id-${name}`, schema = "dbo", target?: object): object => ({
    id,
    source: { schemaName: schema, tableName: name },
    target: target ?? {
      schemaName: schema,
      tableName: name,
      distributionOptions: { type: "Round_RoBin" },
      structureOptions: { type: "Clustered_ColumnStore" },
    },
    operationType: "add",
  });
  const edit = (link: string, ...linkTables: object[]): Promise<Reply> =>
    api("POST", `/linkconnections/${link}/edittables`, { linkTables });
  const tableStatus = async (link: string): Promise<TableRow[]> =>
    (await api("POST", `/linkconnections/${link}/querytablestatus`, { maxSegmentCount: 1000 })).body.value;
  const linkTables = async (link: string): Promise<TableRow[]> =>
    (await api("GET", `/linkconnections/${link}/linktables`)).body.value;
  const applying = async (link: string): Promise<boolean> =>
    (await api("GET", `/linkconnections/${link}/detailedstatus`)).body.isApplyingChanges;

  test("an added table shows in linktables and querytablestatus only once the edit is applied", async () => {
    expect((await edit("sales-link", addOp("Orders"))).status).toBe(200);
    expect(await applying("sales-link")).toBe(true);
    expect(await linkTables("sales-link")).toEqual([]);
    expect(await tableStatus("sales-link")).toEqual([]);

    now += applyMs - 1;
    expect(await applying("sales-link")).toBe(true);
    now += 1;
    expect(await applying("sales-link")).toBe(false);
    expect((await linkTables("sales-link")).map((t) => t.id)).toEqual(["id-Orders"]);
    expect(await tableStatus("sales-link")).toMatchObject([{ id: "id-Orders", status: "Waiting" }]);
  });

  test("an added table goes Waiting → Snapshotting → Replicating on the sim clock", async () => {
    await edit("sales-link", addOp("Orders"));
    const seen: string[] = [];
    for (const step of [applyMs, waitingMs - 1, 1, snapshotMs - 1, 1]) {
      now += step;
      seen.push((await tableStatus("sales-link"))[0]!.status);
    }
    expect(seen).toEqual(["Waiting", "Waiting", "Snapshotting", "Snapshotting", "Replicating"]);
    expect(sim.link("sales-link")?.tables).toEqual([
      { id: "id-Orders", schema: "dbo", name: "Orders", status: "Replicating" },
    ]);
  });

  test("a source table without a primary key goes Failed after Waiting, with an error about the primary key", async () => {
    await edit("sales-link", addOp("AuditLog"));
    now += applyMs + waitingMs - 1;
    expect((await tableStatus("sales-link"))[0]!.status).toBe("Waiting");
    now += 1;
    const row = (await tableStatus("sales-link"))[0]!;
    expect(row).toMatchObject({ status: "Failed", errorCode: "SourceTableMissingPrimaryKey" });
    expect(row.errorMessage).toMatch(/primary key/i);
    expect((await api("GET", "/linkconnections/sales-link/detailedstatus")).body.isPartiallyFailed).toBe(
      true,
    );
    expect(sim.link("sales-link")?.tables[0]?.errorMessage).toMatch(/primary key/i);
  });

  test("a source table that does not exist goes Failed saying so", async () => {
    await edit("sales-link", addOp("Ghost"));
    now += applyMs + waitingMs;
    const row = (await tableStatus("sales-link"))[0]!;
    expect(row.status).toBe("Failed");
    expect(row.errorMessage).toMatch(/\[dbo\]\.\[Ghost\] does not exist/);
  });

  test("a non-empty target table fails the add when actionOnExistingTargetTable is absent, naming the setting", async () => {
    await edit("sales-link", addOp("Archive"));
    now += applyMs + waitingMs;
    const row = (await tableStatus("sales-link"))[0]!;
    expect(row.status).toBe("Failed");
    expect(row.errorMessage).toContain("actionOnExistingTargetTable");
  });

  test.each(["merge-link", "drop-link"])("%s proceeds over a non-empty target table", async (link) => {
    await edit(link, addOp("Archive"));
    now += applyMs + waitingMs + snapshotMs;
    expect((await tableStatus(link))[0]!.status).toBe("Replicating");
  });

  test("an existing but empty target table does not fail the add", async () => {
    await edit("sales-link", addOp("Staging"));
    now += applyMs + waitingMs + snapshotMs;
    expect((await tableStatus("sales-link"))[0]!.status).toBe("Replicating");
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
    now += applyMs + waitingMs;
    expect((await tableStatus("sales-link"))[0]).toMatchObject({
      status: "Failed",
      errorCode: "SqlTimeout",
      errorMessage: "boom",
    });

    // Remediation: remove, wait out the clean-up, add again — the fault is used up.
    await edit("sales-link", {
      id: "id-Orders",
      source: { schemaName: "dbo", tableName: "Orders" },
      operationType: "remove",
    });
    now += applyMs + removeCleanupMs;
    await edit("sales-link", addOp("Orders", "id-Orders-2"));
    now += applyMs + waitingMs + snapshotMs;
    expect((await tableStatus("sales-link"))[0]).toMatchObject({ id: "id-Orders-2", status: "Replicating" });
  });

  test("adding a table that is in another link is rejected with a message naming that link", async () => {
    const res = await edit("sales-link", addOp("Legacy"));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("'other-link'");
    expect(res.body.error.message).not.toContain("enabled once");
    expect(await applying("sales-link")).toBe(false);
  });

  test("retrying an add with the same id is a no-op", async () => {
    await edit("sales-link", addOp("Orders"));
    now += applyMs;
    expect((await edit("sales-link", addOp("Orders"))).status).toBe(200);
    expect(await applying("sales-link")).toBe(false);
    expect(await linkTables("sales-link")).toHaveLength(1);
  });

  test("adding a table already in the link under another id is rejected", async () => {
    await edit("sales-link", addOp("Orders", "first"));
    const res = await edit("sales-link", addOp("Orders", "second"));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("'first'");
  });

  test("re-adding a removed table fails with the enabled-once transient until the clean-up ends", async () => {
    await edit("other-link", { id: "legacy-id", operationType: "Remove" });
    const whileRemoving = await edit("sales-link", addOp("Legacy"));
    expect(whileRemoving.status).toBe(400);
    expect(whileRemoving.body.error.message).toContain(
      "A table can only be enabled once among all table groups",
    );

    now += applyMs; // removal applied: the clean-up window starts now
    expect(await linkTables("other-link")).toEqual([]);
    now += removeCleanupMs - 1;
    const duringCleanup = await edit("sales-link", addOp("Legacy"));
    expect(duringCleanup.status).toBe(400);
    expect(duringCleanup.body.error.message).toContain(
      "A table can only be enabled once among all table groups",
    );

    now += 1;
    expect((await edit("sales-link", addOp("Legacy"))).status).toBe(200);
  });

  test("a removed table disappears from linktables and querytablestatus once the edit is applied", async () => {
    await edit("other-link", { id: "legacy-id", operationType: "remove" });
    now += applyMs - 1;
    expect(await tableStatus("other-link")).toHaveLength(1);
    now += 1;
    expect(await tableStatus("other-link")).toEqual([]);
    expect(await linkTables("other-link")).toEqual([]);
  });

  test("re-adding a table that had snapshotted fails over its now non-empty target unless the link allows it", async () => {
    await edit("other-link", { id: "legacy-id", operationType: "remove" });
    now += applyMs + removeCleanupMs;
    await edit("other-link", addOp("Legacy", "legacy-again"));
    now += applyMs + waitingMs;
    const row = (await tableStatus("other-link"))[0]!;
    expect(row.status).toBe("Failed");
    expect(row.errorMessage).toContain("actionOnExistingTargetTable");
  });

  test("a link cannot go beyond 5,000 tables", async () => {
    const many = Array.from({ length: 4999 }, (_, i) => ({ schema: "bulk", name: `T${i}` }));
    const bigSeed: SimSeed = {
      links: [{ name: "big-link", tables: many }],
      sourceTables: [...many, { schema: "bulk", name: "Extra1" }, { schema: "bulk", name: "Extra2" }].map(
        (t) => ({ ...t, primaryKey: ["Id"] }),
      ),
    };
    sim.reset(bigSeed);
    const tooMany = await edit("big-link", addOp("Extra1", "e1", "bulk"), addOp("Extra2", "e2", "bulk"));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe("LinkConnectionTableLimitExceeded");
    expect(tooMany.body.error.message).toMatch(/5000/);
    expect((await edit("big-link", addOp("Extra1", "e1", "bulk"))).status).toBe(200);
    now += applyMs;
    expect(await linkTables("big-link")).toHaveLength(5000);
  });

  test("one bad link table rejects the whole edit and nothing is applied", async () => {
    const res = await edit("sales-link", addOp("Orders"), addOp("Legacy"));
    expect(res.status).toBe(400);
    now += applyMs;
    expect(await linkTables("sales-link")).toEqual([]);
    expect((await edit("sales-link", addOp("Orders"))).status).toBe(200);
  });

  test("operationType is case-insensitive", async () => {
    expect((await edit("sales-link", { ...addOp("Orders"), operationType: "Add" })).status).toBe(200);
    expect((await edit("sales-link", { ...addOp("Customers"), operationType: "ADD" })).status).toBe(200);
    now += applyMs;
    expect(await linkTables("sales-link")).toHaveLength(2);
  });

  test("an operationType other than add, update or remove is rejected", async () => {
    const res = await edit("sales-link", { ...addOp("Orders"), operationType: "drop" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("linkTables[0].operationType");
    expect(res.body.error.message).toMatch(/add, update, remove/);
  });

  test("an add without id or source names is rejected naming each missing field", async () => {
    const res = await edit("sales-link", { source: { schemaName: "dbo" }, operationType: "add" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("linkTables[0].id");
    expect(res.body.error.message).toContain("linkTables[0].source.tableName");
    expect(res.body.error.details.map((d) => d.error.target)).toEqual([
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
      Staging: {
        schemaName: "dbo",
        tableName: "Staging",
        distributionOptions: { type: "Round_RoBin" },
        structureOptions: { type: "Clustered_ColumnStore" },
      },
    };
    await edit(
      "sales-link",
      ...Object.entries(targets).map(([name, target]) => addOp(name, `id-${name}`, "dbo", target)),
    );
    now += applyMs;
    const byId = Object.fromEntries((await linkTables("sales-link")).map((t) => [t.id, t.target]));
    expect(byId).toEqual({
      "id-Orders": targets.Orders,
      "id-Customers": targets.Customers,
      "id-Staging": targets.Staging,
    });
  });

  test("update changes the target options once applied", async () => {
    await edit("sales-link", addOp("Orders"));
    now += applyMs;
    const target = {
      schemaName: "dbo",
      tableName: "Orders",
      distributionOptions: { type: "Hash", distributionColumn: "OrderId" },
      structureOptions: { type: "Heap" },
    };
    expect((await edit("sales-link", { id: "id-Orders", target, operationType: "update" })).status).toBe(200);
    expect((await linkTables("sales-link"))[0]!.target.structureOptions.type).toBe("Clustered_ColumnStore");
    now += applyMs;
    expect((await linkTables("sales-link"))[0]!.target).toEqual(target);
  });

  test("updating or removing a table that is not in the link is rejected", async () => {
    const res = await edit("sales-link", { id: "nope", operationType: "remove" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("LinkTableNotFound");
  });

  test("editing a link that is not Running is rejected naming its status", async () => {
    const res = await edit("stopped-link", addOp("Orders"));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("LinkConnectionNotRunning");
    expect(res.body.error.message).toContain("Stopped");
  });

  test("querytablestatus pages with maxSegmentCount and an opaque continuation token", async () => {
    const names = ["T1", "T2", "T3", "T4", "T5", "T6", "T7"];
    sim.reset({
      links: [{ name: "paged", tables: names.map((name) => ({ schema: "dbo", name, id: name })) }],
      sourceTables: [],
    });
    const ids: string[] = [];
    const pageSizes: number[] = [];
    let token: unknown;
    do {
      const res = await api("POST", "/linkconnections/paged/querytablestatus", {
        maxSegmentCount: 3,
        ...(token === undefined ? {} : { continuationToken: token }),
      });
      expect(res.status).toBe(200);
      pageSizes.push(res.body.value.length);
      ids.push(...res.body.value.map((v) => v.id));
      token = res.body.continuationToken ?? undefined;
    } while (token !== undefined);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(ids).toEqual(names);
  });

  test("querytablestatus defaults to 50 per page", async () => {
    const names = Array.from({ length: 51 }, (_, i) => `T${i}`);
    sim.reset({
      links: [{ name: "paged", tables: names.map((name) => ({ schema: "dbo", name })) }],
      sourceTables: [],
    });
    const res = await api("POST", "/linkconnections/paged/querytablestatus", {});
    expect(res.body.value).toHaveLength(50);
    expect(typeof res.body.continuationToken).toBe("string");
  });

  test("a continuation token the service did not issue is rejected", async () => {
    const res = await api("POST", "/linkconnections/sales-link/querytablestatus", {
      continuationToken: "garbage",
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("continuationToken");
  });
});
