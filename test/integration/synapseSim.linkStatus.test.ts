// Link connection lifecycle over HTTP with a virtual clock: start / stop / pause / resume, re-snapshot on restart,
// the link definition (CreateOrUpdate, Get, Delete, landing zone credential) and unknown links.
import type { SimSeed, SynapseSim } from "../../dev/synapse-sim";
import { DEFAULT_TIMINGS } from "../../dev/synapse-sim/linkState";
import { useSynapseSim } from "../support/synapseSim";
import { wireApi, type WireCall, type WireReply } from "./synapseSim.wire";

const V2212 = "2022-12-01-preview";
const V2304 = "2023-04-18-preview";
const T0 = Date.parse("2025-06-01T00:00:00Z");
const { linkTransitionMs, waitingMs, snapshotMs } = DEFAULT_TIMINGS;

/** The parts of response bodies these tests read; each response carries only some of them. */
interface WireBody {
  id: string;
  etag: string;
  type: string;
  name: string;
  status: string;
  startTime?: string;
  stopTime?: string;
  continuousRunId: string;
  landingZoneCredentialExpireTime?: string;
  value: { status: string }[];
  properties: {
    id: string;
    targetDatabase: { typeProperties: { actionOnExistingTargetTable?: string } };
    landingZone: { sasToken: unknown };
  };
}

const seed: SimSeed = {
  links: [
    { name: "running", tables: [{ schema: "dbo", name: "Orders", id: "orders" }] },
    { name: "stopped", status: "Stopped", tables: [{ schema: "dbo", name: "Customers", id: "customers" }] },
    { name: "paused", status: "Paused" },
    { name: "fresh", status: "Initial" },
  ],
  sourceTables: [
    { schema: "dbo", name: "Orders", primaryKey: ["OrderId"] },
    { schema: "dbo", name: "Customers", primaryKey: ["CustomerId"] },
    { schema: "dbo", name: "Products", primaryKey: ["ProductId"] },
  ],
};

describe("synapse-sim link connection status", () => {
  let sim: SynapseSim;
  let wire: WireCall;
  let now = T0;
  useSynapseSim(
    { clock: () => now, seed },
    {
      started: (s) => ([sim, wire] = [s, wireApi(s, V2212)]),
      beforeEachTest: () => (now = T0),
      reseed: () => seed,
    },
  );

  async function api(
    method: string,
    path: string,
    body?: unknown,
    apiVersion = V2212,
  ): Promise<WireReply & { body: WireBody }> {
    const reply = await wire(method, path, body, apiVersion);
    return { ...reply, body: reply.json as WireBody };
  }
  const status = async (link: string): Promise<string> =>
    (await api("GET", `/linkconnections/${link}/detailedstatus`)).body.status;
  const tableStatuses = async (link: string): Promise<string[]> =>
    (await api("POST", `/linkconnections/${link}/querytablestatus`, {})).body.value.map((v) => v.status);

  test.each([
    ["start", "stopped", "Starting", "Running"],
    ["start", "fresh", "Starting", "Running"],
    ["stop", "running", "Stopping", "Stopped"],
    ["pause", "running", "Pausing", "Paused"],
    ["resume", "paused", "Resuming", "Running"],
  ])("%s on the %s link goes through %s to %s after linkTransitionMs", async (verb, link, during, after) => {
    const res = await api("POST", `/linkconnections/${link}/${verb}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(await status(link)).toBe(during);
    now += linkTransitionMs - 1;
    expect(await status(link)).toBe(during);
    now += 1;
    expect(await status(link)).toBe(after);
    expect(sim.link(link)?.status).toBe(after);
  });

  test.each([
    ["start", "running", "Running"],
    ["resume", "running", "Running"],
    ["pause", "stopped", "Stopped"],
    ["stop", "paused", "Paused"],
    ["stop", "fresh", "Initial"],
  ])("%s on the %s link is rejected naming its status %s", async (verb, link, current) => {
    const res = await api("POST", `/linkconnections/${link}/${verb}`);
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain(current);
    expect(await status(link)).toBe(current);
  });

  test("a transition in progress blocks another one", async () => {
    await api("POST", "/linkconnections/running/stop");
    const res = await api("POST", "/linkconnections/running/start");
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("Stopping");
  });

  test("stop is accepted while the link is still Starting and leads to Stopped", async () => {
    await api("POST", "/linkconnections/fresh/start");
    now += 6_000;
    const res = await api("POST", "/linkconnections/fresh/stop");
    expect(res.status).toBe(200);
    expect(await status("fresh")).toBe("Stopping");
    now += linkTransitionMs;
    expect(await status("fresh")).toBe("Stopped");
  });

  test("detailedstatus right after start has the recorded fields and no isApplyingChanges", async () => {
    await api("POST", "/linkconnections/fresh/start");
    const body = (await api("GET", "/linkconnections/fresh/detailedstatus")).body;
    expect(Object.keys(body).sort()).toEqual(
      ["continuousRunId", "etag", "id", "isPartiallyFailed", "name", "startTime", "status"].sort(),
    );
    expect(body).toMatchObject({ name: "fresh", status: "Starting", startTime: new Date(T0).toISOString() });
  });

  test("a link never started has no startTime", async () => {
    const body = (await api("GET", "/linkconnections/fresh/detailedstatus")).body;
    expect(body.status).toBe("Initial");
    expect(body).not.toHaveProperty("startTime");
  });

  test("detailedstatus carries the link's etag, which changes with each start or stop", async () => {
    const before = (await api("GET", "/linkconnections/running/detailedstatus")).body.etag;
    await api("POST", "/linkconnections/running/stop");
    const after = (await api("GET", "/linkconnections/running/detailedstatus")).body.etag;
    expect(typeof before).toBe("string");
    expect(after).not.toBe(before);
  });

  test("stop then start re-snapshots every table", async () => {
    expect(await tableStatuses("running")).toEqual(["Replicating"]);
    await api("POST", "/linkconnections/running/stop");
    now += linkTransitionMs;
    await api("POST", "/linkconnections/running/start");
    expect(await tableStatuses("running")).toEqual(["Waiting"]);
    now += linkTransitionMs + waitingMs;
    expect(await tableStatuses("running")).toEqual(["Snapshotting"]);
    now += snapshotMs;
    expect(await tableStatuses("running")).toEqual(["Replicating"]);
  });

  test("pause then resume continues where it paused", async () => {
    await api("POST", "/linkconnections/running/edittables", {
      linkTables: [{ id: "p", source: { schemaName: "dbo", tableName: "Products" }, operationType: "add" }],
    });
    now += waitingMs + 10_000; // 10 s into the snapshot
    await api("POST", "/linkconnections/running/pause");
    now += 3_600_000;
    expect(await tableStatuses("running")).toEqual(["Replicating", "Snapshotting"]);
    await api("POST", "/linkconnections/running/resume");
    now += linkTransitionMs + snapshotMs - 10_001;
    expect(await tableStatuses("running")).toEqual(["Replicating", "Snapshotting"]);
    now += 1;
    expect(await tableStatuses("running")).toEqual(["Replicating", "Replicating"]);
  });

  test("startTime and stopTime are the times start and stop were accepted; each start has a new continuousRunId", async () => {
    const before = (await api("GET", "/linkconnections/stopped/detailedstatus")).body;
    await api("POST", "/linkconnections/stopped/start");
    const starting = (await api("GET", "/linkconnections/stopped/detailedstatus")).body;
    expect(starting).toMatchObject({ status: "Starting", startTime: new Date(T0).toISOString() });
    expect(starting).not.toHaveProperty("stopTime");
    expect(starting.continuousRunId).not.toBe(before.continuousRunId);
    now += linkTransitionMs;
    await api("POST", "/linkconnections/stopped/stop");
    const stopping = (await api("GET", "/linkconnections/stopped/detailedstatus")).body;
    expect(stopping).toMatchObject({
      status: "Stopping",
      startTime: new Date(T0).toISOString(),
      stopTime: new Date(T0 + linkTransitionMs).toISOString(),
    });
  });

  test("CreateOrUpdate creates an Initial link and returns the resource", async () => {
    const body = { properties: { compute: { coreCount: 4, computeType: "General" } } };
    const res = await api("PUT", "/linkconnections/new-link", body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "new-link",
      type: "Microsoft.Synapse/workspaces/linkconnections",
      properties: body.properties,
    });
    expect(res.body.id).toMatch(/\/Microsoft\.Synapse\/workspaces\/[^/]+\/linkconnections\/new-link$/);
    expect(typeof res.body.etag).toBe("string");
    expect(res.body.properties.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.body.properties.id).toBe(
      (await api("GET", "/linkconnections/new-link/detailedstatus")).body.id,
    );
    expect(await status("new-link")).toBe("Initial");
  });

  test("actionOnExistingTargetTable is stored at 2023-04-18-preview and returned by Get", async () => {
    const body = {
      properties: {
        targetDatabase: { typeProperties: { actionOnExistingTargetTable: "MergeWithExistingData" } },
      },
    };
    await api("PUT", "/linkconnections/fresh", body, V2304);
    const got = await api("GET", "/linkconnections/fresh", undefined, V2304);
    expect(got.body.properties.targetDatabase.typeProperties.actionOnExistingTargetTable).toBe(
      "MergeWithExistingData",
    );
  });

  test("a PUT at 2022-12-01-preview cannot carry actionOnExistingTargetTable, so the stored value is lost", async () => {
    sim.reset({
      links: [{ name: "l", actionOnExistingTargetTable: "DropAndRecreateTable" }],
      sourceTables: [],
    });
    const got = await api("GET", "/linkconnections/l");
    expect(got.body.properties.targetDatabase.typeProperties.actionOnExistingTargetTable).toBe(
      "DropAndRecreateTable",
    );
    await api("PUT", "/linkconnections/l", { properties: got.body.properties });
    const after = await api("GET", "/linkconnections/l");
    expect(after.body.properties.targetDatabase.typeProperties.actionOnExistingTargetTable).toBeUndefined();
  });

  test("an invalid actionOnExistingTargetTable is rejected at 2023-04-18-preview naming the field", async () => {
    const body = {
      properties: { targetDatabase: { typeProperties: { actionOnExistingTargetTable: "Overwrite" } } },
    };
    const res = await api("PUT", "/linkconnections/fresh", body, V2304);
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain(
      "properties.targetDatabase.typeProperties.actionOnExistingTargetTable",
    );
  });

  test("Delete removes the link; a second Delete answers 204", async () => {
    expect((await api("DELETE", "/linkconnections/running")).status).toBe(200);
    expect((await api("GET", "/linkconnections/running")).status).toBe(404);
    const again = await api("DELETE", "/linkconnections/running");
    expect(again.status).toBe(204);
    expect(again.text).toBe("");
  });

  test("UpdateLandingZoneCredential masks the token in Get and takes the expiry from the SAS se= field", async () => {
    const sas = "sv=2022-11-02&ss=b&se=2025-12-31T05%3A30%3A00Z&sig=abc";
    const res = await api("POST", "/linkconnections/running/updateLandingZoneCredential", {
      sasToken: { type: "SecureString", value: sas },
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    const got = await api("GET", "/linkconnections/running");
    expect(got.body.properties.landingZone.sasToken).toEqual({ type: "SecureString", value: "**********" });
    const detailed = await api("GET", "/linkconnections/running/detailedstatus");
    expect(detailed.body.landingZoneCredentialExpireTime).toBe("2025-12-31T05:30:00.000Z");
  });

  test.each([
    ["GET", "/linkconnections/nope"],
    ["POST", "/linkconnections/nope/start"],
    ["GET", "/linkconnections/nope/detailedstatus"],
    ["GET", "/linkconnections/nope/linktables"],
  ])("%s %s on an unknown link is the recorded top-level 404 NotFound body", async (method, path) => {
    const res = await api(method, path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toEqual({
      code: "NotFound",
      message: "The document could not be retrieved because it does not exist.",
      target: expect.stringMatching(
        /\/providers\/Microsoft\.DataFactory\/factories\/[^/]+\/linkconnections\/nope$/,
      ),
      details: null,
      error: null,
    });
  });
});
