// Fault injection: status faults (429 + Retry-After, every Nth 503, times, operation filters), latency, socket
// resets — over raw HTTP and through the real ArtifactsClient's retry policy.
import { demoSeed, type SynapseSim } from "../../dev/synapse-sim";
import { readCloudError } from "../../dev/synapse-sim/cloudError";
import { artifactsClientFor, useSynapseSim } from "../support/synapseSim";

const V = "2022-12-01-preview";

describe("synapse-sim faults", () => {
  let sim: SynapseSim;
  useSynapseSim({ seed: demoSeed() }, { started: (s) => (sim = s), reseed: demoSeed });

  const get = (path = "/linkconnections/demo-link"): Promise<Response> =>
    fetch(`${sim.url}${path}?api-version=${V}`, { headers: { Authorization: "Bearer t" } });
  const detailedStatus = (): Promise<Response> => get("/linkconnections/demo-link/detailedstatus");

  test("a 429 fault answers with a CloudError and a Retry-After header", async () => {
    sim.addFault({ kind: "status", status: 429, retryAfterSeconds: 7, times: 1 });
    const res = await get();
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(readCloudError(await res.json())?.code).toBe("TooManyRequests");
    expect((await get()).status).toBe(200);
    expect(sim.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  test("everyNth 503 fails exactly every Nth matching request", async () => {
    sim.addFault({ kind: "status", status: 503, everyNth: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await get()).status);
    expect(statuses).toEqual([200, 200, 503, 200, 200, 503, 200]);
  });

  test("a fault restricted to operations leaves the others alone, by short or full operationId", async () => {
    sim.addFault({ kind: "status", status: 500, operations: ["GetDetailedStatus"] });
    sim.addFault({ kind: "status", status: 503, operations: ["LinkConnection_ListLinkTables"] });
    expect((await get()).status).toBe(200);
    expect((await detailedStatus()).status).toBe(500);
    expect((await get("/linkconnections/demo-link/linktables")).status).toBe(503);
  });

  test("everyNth counts only the requests its operations match", async () => {
    sim.addFault({ kind: "status", status: 503, everyNth: 2, operations: ["GetDetailedStatus"] });
    const statuses = [(await detailedStatus()).status, (await get()).status, (await detailedStatus()).status];
    expect(statuses).toEqual([200, 200, 503]);
  });

  test("a latency fault delays the response by at least its milliseconds", async () => {
    sim.addFault({ kind: "latency", ms: 300 });
    const started = Date.now();
    expect((await get()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  test("a reset fault drops the connection without a response and is recorded with status 0", async () => {
    sim.addFault({ kind: "reset", times: 1 });
    await expect(get()).rejects.toThrow();
    expect((await get()).status).toBe(200);
    expect(sim.calls.map((c) => c.status)).toEqual([0, 200]);
  });

  test("clearFaults removes every fault", async () => {
    sim.addFault({ kind: "status", status: 500 });
    expect((await get()).status).toBe(500);
    sim.clearFaults();
    expect((await get()).status).toBe(200);
  });

  test("addFault rejects a malformed fault", () => {
    expect(() => {
      sim.addFault({ kind: "status", status: 503, everyNth: 0 });
    }).toThrow(/everyNth/);
  });

  test("the ArtifactsClient retries a 429 after its Retry-After and succeeds", async () => {
    sim.addFault({
      kind: "status",
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
      operations: ["GetDetailedStatus"],
    });
    const client = artifactsClientFor(sim.url);
    const started = Date.now();
    const status = await client.linkConnectionOperations.getDetailedStatus("demo-link");
    expect(status.status).toBe("Running");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sim.callsTo("GetDetailedStatus").map((c) => c.status)).toEqual([429, 200]);
  });
});
