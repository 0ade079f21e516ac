// The HTTP surface: bearer auth, api-version, schema validation of bodies, routing errors, empty bodies,
// the call log, list paging and the /_sim/ control endpoint.
import { demoSeed, startSynapseSim, type SynapseSim } from "../../dev/synapse-sim";
import { readCloudError } from "../../dev/synapse-sim/cloudError";
import { useSynapseSim } from "../support/synapseSim";

const V = "2022-12-01-preview";

/** The parts of response bodies these tests read; each response carries only some of them. */
interface WireBody {
  value: { name: string }[];
  nextLink?: string;
  profile: Record<string, string>;
  links: { name: string; tables: unknown[] }[];
  sourceTables: unknown[];
  faults: unknown[];
}

interface Reply {
  status: number;
  body: WireBody;
  error?: ReturnType<typeof readCloudError>;
  text: string;
  headers: Headers;
}

interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as a JSON body. */
  json?: unknown;
  /** Sent verbatim. */
  body?: string;
}

async function request(
  url: string,
  { method = "GET", headers = {}, json, body }: RequestOptions = {},
): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: json === undefined ? headers : { "Content-Type": "application/json", ...headers },
    ...(json === undefined ? (body === undefined ? {} : { body }) : { body: JSON.stringify(json) }),
  });
  const text = await res.text();
  const parsed: unknown = text === "" ? undefined : JSON.parse(text);
  return {
    status: res.status,
    body: parsed as WireBody,
    error: readCloudError(parsed),
    text,
    headers: res.headers,
  };
}

describe("synapse-sim HTTP surface", () => {
  let sim: SynapseSim;
  const auth = { Authorization: "Bearer anything" };

  useSynapseSim({ seed: demoSeed() }, { started: (s) => (sim = s), reseed: demoSeed });

  test("the url has no trailing slash and carries the port", () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
  });

  test("a request without a bearer token is a 401 AuthenticationFailed in the recorded top-level shape", async () => {
    const res = await request(`${sim.url}/linkconnections/demo-link?api-version=${V}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      code: "AuthenticationFailed",
      message: expect.stringMatching(/^Token Authentication failed - /),
      target: null,
      details: null,
      error: null,
    });
  });

  test("a non-bearer Authorization header is a 401", async () => {
    const res = await request(`${sim.url}/linkconnections/demo-link?api-version=${V}`, {
      headers: { Authorization: "Basic abc" },
    });
    expect(res.status).toBe(401);
  });

  test("with a configured token only that bearer token is accepted", async () => {
    const locked = await startSynapseSim({ seed: demoSeed(), token: "s3cret" });
    try {
      const url = `${locked.url}/linkconnections/demo-link?api-version=${V}`;
      expect((await request(url, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
      expect((await request(url, { headers: { Authorization: "Bearer s3cret" } })).status).toBe(200);
    } finally {
      await locked.close();
    }
  });

  test.each([
    ["missing", "", "MissingApiVersionParameter"],
    ["unsupported", "?api-version=2021-06-01-preview", "UnsupportedApiVersion"],
  ])("a %s api-version is a 400 CloudError", async (_label, query, code) => {
    const res = await request(`${sim.url}/linkconnections/demo-link${query}`, { headers: auth });
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe(code);
    expect(res.error?.message).toContain("2023-04-18-preview");
  });

  test("both spec versions are served", async () => {
    for (const version of ["2022-12-01-preview", "2023-04-18-preview"]) {
      expect(
        (await request(`${sim.url}/linkconnections/demo-link?api-version=${version}`, { headers: auth }))
          .status,
      ).toBe(200);
    }
  });

  test("an edittables body whose linkTables is not an array is a 400 naming linkTables", async () => {
    const res = await request(`${sim.url}/linkconnections/demo-link/edittables?api-version=${V}`, {
      method: "POST",
      headers: auth,
      json: { linkTables: { id: "x" } },
    });
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("InvalidRequestContent");
    expect(res.error?.message).toContain("linkTables");
    expect(res.error?.details[0]?.target).toBe("linkTables");
  });

  test("a querytablestatus maxSegmentCount of 5000 is a 400 naming maxSegmentCount", async () => {
    const res = await request(`${sim.url}/linkconnections/demo-link/querytablestatus?api-version=${V}`, {
      method: "POST",
      headers: auth,
      json: { maxSegmentCount: 5000 },
    });
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("maxSegmentCount");
    expect(res.error?.message).toContain("1000");
  });

  test("a body that is not JSON is a 400", async () => {
    const res = await request(`${sim.url}/linkconnections/demo-link/edittables?api-version=${V}`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("InvalidRequestContent");
  });

  test("a missing required body is a 400 naming it", async () => {
    const res = await request(`${sim.url}/linkconnections/demo-link/querytablestatus?api-version=${V}`, {
      method: "POST",
      headers: auth,
    });
    expect(res.status).toBe(400);
    expect(res.error?.message).toContain("queryTableStatusRequest");
  });

  test("an unknown path is a 404 CloudError and a wrong method a 405 CloudError", async () => {
    const unknown = await request(`${sim.url}/pipelines?api-version=${V}`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe("NotFound");
    const wrongMethod = await request(`${sim.url}/linkconnections/demo-link/start?api-version=${V}`, {
      headers: auth,
    });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.error?.message).toContain("POST");
  });

  test("start, stop and delete answer 200 with an empty body, as recorded", async () => {
    const stop = await request(`${sim.url}/linkconnections/demo-link/stop?api-version=${V}`, {
      method: "POST",
      headers: auth,
    });
    expect(stop.status).toBe(200);
    expect(stop.text).toBe("");
    expect(stop.headers.get("content-length")).toBe("0");
    expect(stop.headers.has("location")).toBe(false);
    const del = await request(`${sim.url}/linkconnections/other-link?api-version=${V}`, {
      method: "DELETE",
      headers: auth,
    });
    expect(del.status).toBe(200);
    expect(del.text).toBe("");
  });

  test("every API call is recorded with its operation, link, api-version, body and status", async () => {
    const body = { maxSegmentCount: 10 };
    await request(`${sim.url}/linkconnections/demo-link/querytablestatus?api-version=${V}`, {
      method: "POST",
      headers: auth,
      json: body,
    });
    await request(`${sim.url}/linkconnections/other-link?api-version=${V}`);
    await request(`${sim.url}/_sim/state`);
    expect(sim.calls).toEqual([
      expect.objectContaining({
        operationId: "LinkConnection_QueryTableStatus",
        method: "POST",
        path: "/linkconnections/demo-link/querytablestatus",
        linkConnection: "demo-link",
        apiVersion: V,
        body,
        status: 200,
      }),
      expect.objectContaining({
        operationId: "LinkConnection_Get",
        linkConnection: "other-link",
        status: 401,
      }),
    ]);
    expect(sim.callsTo("QueryTableStatus")).toHaveLength(1);
    expect(sim.callsTo("LinkConnection_Get", "demo-link")).toHaveLength(0);
    expect(sim.callsTo("LinkConnection_Get", "other-link")).toHaveLength(1);
  });

  test("ListByWorkspace pages with an absolute nextLink that keeps the api-version", async () => {
    const paged = await startSynapseSim({ pageSize: 1, seed: demoSeed() });
    try {
      const first = await request(`${paged.url}/linkconnections?api-version=2023-04-18-preview`, {
        headers: auth,
      });
      expect(first.body.value.map((l) => l.name)).toEqual(["demo-link"]);
      const nextLink = first.body.nextLink ?? "";
      const next = new URL(nextLink);
      expect(next.origin).toBe(paged.url);
      expect(next.searchParams.get("api-version")).toBe("2023-04-18-preview");
      const second = await request(nextLink, { headers: auth });
      expect(second.body.value.map((l) => l.name)).toEqual(["other-link"]);
      expect(second.body).not.toHaveProperty("nextLink");
    } finally {
      await paged.close();
    }
  });

  test("a list that fits one page has no nextLink key at all", async () => {
    const res = await request(`${sim.url}/linkconnections?api-version=${V}`, { headers: auth });
    expect(res.body.value).toHaveLength(2);
    expect(Object.keys(res.body)).toEqual(["value"]);
  });

  describe("control endpoint /_sim/", () => {
    test("GET /_sim/state shows links, tables, source tables and faults", async () => {
      sim.addFault({ kind: "latency", ms: 1 });
      const res = await request(`${sim.url}/_sim/state`);
      expect(res.status).toBe(200);
      expect(res.body.links.map((l) => l.name)).toEqual(["demo-link", "other-link"]);
      expect(res.body.links[1]!.tables[0]).toMatchObject({
        schema: "dbo",
        name: "Legacy",
        status: "Replicating",
      });
      expect(res.body.sourceTables).toHaveLength(7);
      expect(res.body.faults).toEqual([{ kind: "latency", ms: 1, matched: 0, injected: 0 }]);
    });

    test("GET /_sim/state shows the active profile with its SIM_PROFILE text", async () => {
      const profiled = await startSynapseSim({ profile: "ids:undashed,applying:present" });
      try {
        const res = await request(`${profiled.url}/_sim/state`);
        expect(res.body.profile).toEqual({
          ids: "undashed",
          enabledOnce: "badRequest",
          applying: "present",
          waiting: "Waiting",
          permanentErrors: "failedStatus",
          errorShape: "topLevel",
          editAnswer: "wholeLink",
          duplicateAdd: "refused",
          text: "ids:undashed,applying:present",
        });
        expect((await request(`${sim.url}/_sim/state`)).body.profile.text).toBe("");
      } finally {
        await profiled.close();
      }
    });

    test("POST /_sim/faults adds a fault and DELETE /_sim/faults clears them", async () => {
      const added = await request(`${sim.url}/_sim/faults`, {
        method: "POST",
        json: { kind: "status", status: 503, operations: ["Get"] },
      });
      expect(added.status).toBe(201);
      expect(
        (await request(`${sim.url}/linkconnections/demo-link?api-version=${V}`, { headers: auth })).status,
      ).toBe(503);
      expect((await request(`${sim.url}/_sim/faults`, { method: "DELETE" })).status).toBe(200);
      expect(
        (await request(`${sim.url}/linkconnections/demo-link?api-version=${V}`, { headers: auth })).status,
      ).toBe(200);
    });

    test("POST /_sim/faults rejects an invalid fault naming the problem", async () => {
      const res = await request(`${sim.url}/_sim/faults`, {
        method: "POST",
        json: { kind: "status", status: 418 },
      });
      expect(res.status).toBe(400);
      expect(res.error?.message).toMatch(/status/);
    });

    test("POST /_sim/reset replaces the state with the posted seed and clears calls", async () => {
      await request(`${sim.url}/linkconnections/demo-link?api-version=${V}`, { headers: auth });
      const res = await request(`${sim.url}/_sim/reset`, {
        method: "POST",
        json: { links: [{ name: "only" }], sourceTables: [] },
      });
      expect(res.status).toBe(200);
      expect(sim.calls).toEqual([]);
      expect(sim.link("demo-link")).toBeUndefined();
      expect(sim.link("only")?.status).toBe("Running");
    });

    test("POST /_sim/reset without a body goes back to the start seed", async () => {
      sim.reset({ links: [], sourceTables: [] });
      await request(`${sim.url}/_sim/reset`, { method: "POST" });
      expect(sim.link("demo-link")?.status).toBe("Running");
    });

    test("POST /_sim/clock moves the sim clock forward", async () => {
      await request(`${sim.url}/linkconnections/demo-link/edittables?api-version=${V}`, {
        method: "POST",
        headers: auth,
        json: {
          linkTables: [{ id: "1", source: { schemaName: "dbo", tableName: "Orders" }, operationType: "add" }],
        },
      });
      expect(sim.link("demo-link")?.isApplyingChanges).toBe(true);
      const res = await request(`${sim.url}/_sim/clock`, {
        method: "POST",
        json: { advanceMs: 20_000 + 30_000 + 120_000 },
      });
      expect(res.status).toBe(200);
      expect(sim.link("demo-link")?.tables).toMatchObject([
        { schema: "dbo", name: "Orders", status: "Replicating" },
      ]);
    });

    test("GET /_sim/calls returns the call log", async () => {
      await request(`${sim.url}/linkconnections/demo-link?api-version=${V}`, { headers: auth });
      const res = await request(`${sim.url}/_sim/calls`);
      expect(res.body).toMatchObject([{ operationId: "LinkConnection_Get", status: 200 }]);
    });
  });
});
