// Each non-default profile answer over HTTP (and through the real ArtifactsClient where the app would notice):
// what changes compared with the default profile of synapseSim.tables.test.ts.
import type { SimProfile, SimSeed, SynapseSim } from "../../dev/synapse-sim";
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
import { artifactsClientFor, salesSeed, useSynapseSim } from "../support/synapseSim";

const T0 = Date.parse("2025-07-01T00:00:00Z");
const { applyMs, waitingMs, snapshotMs, removeCleanupMs } = DEFAULT_TIMINGS;

const seed: SimSeed = salesSeed();

/** One simulator per profile, on a virtual clock, with the helpers the tests below share. */
function withProfile(profile: Partial<SimProfile> | string): {
  sim: () => SynapseSim;
  api: () => WireCall;
  advance: (ms: number) => void;
  edit: (link: string, ...linkTables: object[]) => Promise<WireReply>;
  tableStatus: (link: string) => Promise<TableStatusRow[]>;
} {
  let sim: SynapseSim | undefined;
  let api: WireCall | undefined;
  let now = T0;
  useSynapseSim(
    { clock: () => now, seed, profile },
    {
      started: (s) => ([sim, api] = [s, wireApi(s)]),
      beforeEachTest: () => (now = T0),
      reseed: () => seed,
    },
  );
  const must = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the simulator is not started");
    return value;
  };
  return {
    sim: () => must(sim),
    api: () => must(api),
    advance: (ms) => {
      now += ms;
    },
    edit: (link, ...linkTables) => must(api)("POST", `/linkconnections/${link}/edittables`, { linkTables }),
    tableStatus: async (link) =>
      tableRows(
        (await must(api)("POST", `/linkconnections/${link}/querytablestatus`, { maxSegmentCount: 1000 }))
          .json,
      ),
  };
}

describe("profile ids:undashed", () => {
  const p = withProfile("ids:undashed");
  const dashed = "8BBB9091-983B-48F5-9808-CB322A30E1E1";
  const undashed = "8bbb9091983b48f59808cb322a30e1e1";

  test("a dashed upper-case id comes back as 32 lower-case hex digits in edittables, linktables and querytablestatus", async () => {
    const res = await p.edit("sales-link", addOp("Orders", dashed));
    expect(res.status).toBe(200);
    expect(objectOf(objectOf(res.json).properties).linkTables).toMatchObject([{ id: undashed }]);
    expect(
      valueOf((await p.api()("GET", "/linkconnections/sales-link/linktables")).json).map((t) => t.id),
    ).toEqual([undashed]);
    expect((await p.tableStatus("sales-link"))[0]?.id).toBe(undashed);
  });

  test("a removal by the dashed form of the id finds the table", async () => {
    await p.edit("sales-link", addOp("Orders", dashed));
    expect((await p.edit("sales-link", removeOp(dashed))).status).toBe(200);
    expect(await p.tableStatus("sales-link")).toEqual([]);
  });

  test("an id that is not a GUID is a 400 naming it", async () => {
    const res = await p.edit("sales-link", addOp("Orders", "orders-1"));
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("linkTables[0].id 'orders-1' is not a GUID");
  });
});

describe("profile ids:swappedInStatus", () => {
  const p = withProfile("ids:swappedInStatus");
  const id = "8bbb9091983b48f59808cb322a30e1e1";

  test("querytablestatus carries the client's id in linkTableId and another GUID in id; linktables keeps the id as sent", async () => {
    expect((await p.edit("sales-link", addOp("Orders", id))).status).toBe(200);
    const [row] = await p.tableStatus("sales-link");
    expect(row?.linkTableId).toBe(id);
    expect(row?.id).not.toBe(id);
    expect(
      valueOf((await p.api()("GET", "/linkconnections/sales-link/linktables")).json).map((t) => t.id),
    ).toEqual([id]);
  });
});

describe("profile enabledOnce:failedStatus", () => {
  const p = withProfile("enabledOnce:failedStatus");

  test("adding a table another link holds is accepted, then the table shows Failed with SQL error 22718", async () => {
    const res = await p.edit("sales-link", addOp("Legacy"));
    expect(res.status).toBe(200);
    expect((await p.tableStatus("sales-link"))[0]?.status).toBe("Waiting");
    p.advance(waitingMs);
    const row = (await p.tableStatus("sales-link"))[0];
    expect(row).toMatchObject({ status: "Failed", errorCode: "22718" });
    expect(ENABLED_ONCE_TEXT.exec(row?.errorMessage ?? "")?.[1]).toBe("dbo.Legacy");
  });

  test("re-adding within the removal clean-up window is accepted, then Failed with SQL error 22718", async () => {
    await p.edit("other-link", removeOp("legacy-id"));
    expect((await p.edit("sales-link", addOp("Legacy"))).status).toBe(200);
    p.advance(waitingMs);
    expect((await p.tableStatus("sales-link"))[0]).toMatchObject({ status: "Failed", errorCode: "22718" });
  });

  test("after the clean-up window a re-add no longer meets 22718, only the target the removed link filled", async () => {
    await p.edit("other-link", removeOp("legacy-id"));
    await p.edit("sales-link", addOp("Legacy"));
    p.advance(waitingMs);
    await p.edit("sales-link", removeOp("id-Legacy"));
    p.advance(removeCleanupMs);
    await p.edit("sales-link", addOp("Legacy", "legacy-2"));
    p.advance(waitingMs + snapshotMs);
    // The first link snapshotted Legacy before it was removed: its target is not empty any more.
    expect((await p.tableStatus("sales-link"))[0]).toMatchObject({
      id: "legacy-2",
      errorCode: "TargetTableNotEmpty",
    });
  });
});

describe("profile applying:present", () => {
  const p = withProfile({ applying: "present" });
  const applying = async (): Promise<unknown> =>
    objectOf((await p.api()("GET", "/linkconnections/sales-link/detailedstatus")).json).isApplyingChanges;

  test("isApplyingChanges is false before any edit, true for applyMs after an edit, then false", async () => {
    expect(await applying()).toBe(false);
    await p.edit("sales-link", addOp("Orders"));
    expect(await applying()).toBe(true);
    p.advance(applyMs - 1);
    expect(await applying()).toBe(true);
    p.advance(1);
    expect(await applying()).toBe(false);
  });

  test("the real ArtifactsClient reads isApplyingChanges true right after an edit", async () => {
    const client = artifactsClientFor(p.sim().url);
    await p.edit("sales-link", addOp("Orders"));
    expect((await client.linkConnectionOperations.getDetailedStatus("sales-link")).isApplyingChanges).toBe(
      true,
    );
  });
});

describe("profile waiting:WaitingForSnapshot", () => {
  const p = withProfile("waiting:WaitingForSnapshot");

  test("a new table shows WaitingForSnapshot, then Snapshotting and Replicating", async () => {
    await p.edit("sales-link", addOp("Orders"));
    expect((await p.tableStatus("sales-link"))[0]?.status).toBe("WaitingForSnapshot");
    p.advance(waitingMs);
    expect((await p.tableStatus("sales-link"))[0]?.status).toBe("Snapshotting");
    p.advance(snapshotMs);
    expect((await p.tableStatus("sales-link"))[0]?.status).toBe("Replicating");
    expect(p.sim().link("sales-link")?.tables[0]?.status).toBe("Replicating");
  });
});

describe("profile permanentErrors:badRequest", () => {
  const p = withProfile("permanentErrors:badRequest");

  test("a table without a primary key is a 400 with SQL error 22720 and nothing is stored", async () => {
    const res = await p.edit("sales-link", addOp("Orders"), addOp("AuditLog"));
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({
      code: "22720",
      message: "Enabling Change Feed on a table without primary key is not allowed.",
      target: "linkTables[1]",
    });
    expect(await p.tableStatus("sales-link")).toEqual([]);
  });

  test("a table with an unsupported column type is a 400 with SQL error 22737", async () => {
    const res = await p.edit("sales-link", addOp("Shapes"));
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("22737");
  });

  test("the 5,001st table is a 400 with SQL error 22753 and the current count", async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ schema: "bulk", name: `T${i}` }));
    p.sim().reset({
      links: [{ name: "big-link", tables: many }],
      sourceTables: [...many, { schema: "bulk", name: "Extra" }].map((t) => ({ ...t, primaryKey: ["Id"] })),
    });
    const res = await p.edit("big-link", addOp("Extra", "e", "bulk"));
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({
      code: "22753",
      message:
        "The number of tables enabled for a Change Feed table group can not exceed 5000. Current number of table enabled: 5000.",
    });
  });

  test("a removal in the same request makes room for the add", async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ schema: "bulk", name: `T${i}`, id: `t${i}` }));
    p.sim().reset({
      links: [{ name: "big-link", tables: many }],
      sourceTables: [...many, { schema: "bulk", name: "Extra" }].map((t) => ({
        schema: t.schema,
        name: t.name,
        primaryKey: ["Id"],
      })),
    });
    expect((await p.edit("big-link", removeOp("t0"), addOp("Extra", "e", "bulk"))).status).toBe(200);
  });
});

describe("profile duplicateAdd:refused (default)", () => {
  const p = withProfile("");

  test("an add of a table the link holds under another id is a 400 naming the entry; the same id again is a no-op", async () => {
    await p.edit("sales-link", addOp("Orders", "first"));
    const again = await p.edit("sales-link", addOp("Orders", "second"));
    expect(again.status).toBe(400);
    expect(objectOf(again.json)).toMatchObject({ code: "LinkTableAlreadyExists" });
    expect((await p.edit("sales-link", addOp("Orders", "first"))).status).toBe(200);
    expect((await p.tableStatus("sales-link")).map((r) => r.id)).toEqual(["first"]);
  });
});

describe("profile duplicateAdd:enabledOnce", () => {
  const badRequest = withProfile("duplicateAdd:enabledOnce");
  const failedStatus = withProfile("duplicateAdd:enabledOnce,enabledOnce:failedStatus");

  test("an add of a table the link holds is a 400 with SQL error 22718, the same id included", async () => {
    const p = badRequest;
    await p.edit("sales-link", addOp("Orders", "first"));
    for (const id of ["second", "first"]) {
      const res = await p.edit("sales-link", addOp("Orders", id));
      expect(res.status).toBe(400);
      expect(objectOf(res.json)).toMatchObject({
        code: "22718",
        message: expect.stringMatching(ENABLED_ONCE_TEXT),
      });
    }
    expect((await p.tableStatus("sales-link")).map((r) => r.id)).toEqual(["first"]);
  });

  test("with enabledOnce:failedStatus the add is stored as a second entry, which fails with 22718", async () => {
    const p = failedStatus;
    await p.edit("sales-link", addOp("Orders", "first"));
    expect((await p.edit("sales-link", addOp("Orders", "second"))).status).toBe(200);
    expect((await p.edit("sales-link", addOp("Orders", "first"))).status).toBe(200);
    p.advance(waitingMs + snapshotMs);
    expect((await p.tableStatus("sales-link")).map((r) => [r.id, r.status, r.errorCode])).toEqual([
      ["first", "Replicating", undefined],
      ["second", "Failed", "22718"],
    ]);
  });
});

describe("profile duplicateAdd:kept", () => {
  const p = withProfile("duplicateAdd:kept");

  test("an add of a table the link holds is accepted and changes nothing; the answer lists the entry it kept", async () => {
    await p.edit("sales-link", addOp("Orders", "first"));
    const res = await p.edit("sales-link", addOp("Orders", "second"));
    expect(res.status).toBe(200);
    const listed = (objectOf(res.json).properties as { linkTables: { id: string }[] }).linkTables;
    expect(listed.map((t) => t.id)).toEqual(["first"]);
    expect((await p.tableStatus("sales-link")).map((r) => r.id)).toEqual(["first"]);
  });
});

describe("profile errorShape:wrapped", () => {
  const p = withProfile({ errorShape: "wrapped" });

  test("an unknown link is a 404 wrapped in error", async () => {
    const res = await p.api()("GET", "/linkconnections/nope");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error: {
        code: "NotFound",
        message: "The document could not be retrieved because it does not exist.",
        target: expect.stringMatching(/\/linkconnections\/nope$/),
      },
    });
  });

  test("a 400 carries its details wrapped too", async () => {
    const res = await p.edit("sales-link", addOp("Legacy"));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      error: { code: "22718", details: [{ error: { code: "22718", target: "linkTables[0]" } }] },
    });
  });

  test("the real ArtifactsClient surfaces the wrapped code and status", async () => {
    const client = artifactsClientFor(p.sim().url);
    await expect(client.linkConnectionOperations.getDetailedStatus("nope")).rejects.toMatchObject({
      statusCode: 404,
      code: "NotFound",
    });
  });
});

describe("profile errorShape:topLevel (default)", () => {
  const p = withProfile("");

  test("the real ArtifactsClient surfaces the top-level code, status and message", async () => {
    const client = artifactsClientFor(p.sim().url);
    await expect(client.linkConnectionOperations.getDetailedStatus("nope")).rejects.toMatchObject({
      statusCode: 404,
      code: "NotFound",
      message: "The document could not be retrieved because it does not exist.",
    });
  });

  test("a 400 from edittables reaches the real ArtifactsClient with SQL error 22718's code and text", async () => {
    const client = artifactsClientFor(p.sim().url);
    const linkTables = [
      { id: "id-Legacy", source: { schemaName: "dbo", tableName: "Legacy" }, operationType: "add" },
    ];
    await expect(
      client.linkConnectionOperations.editTables("sales-link", { linkTables }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: "22718",
      message: expect.stringMatching(ENABLED_ONCE_TEXT),
    });
  });
});
