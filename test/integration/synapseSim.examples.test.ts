// Replays every x-ms-example of the 2023-04-18-preview spec against the simulator over HTTP, then drives the same
// operations through the real @azure/synapse-artifacts ArtifactsClient (which speaks 2022-12-01-preview). The
// examples are hand-written; where the real service's recordings (Azure CLI, 2022 and 2023) differ from them, the
// simulator follows the recordings and the comparison says which recorded difference it allows.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ArtifactsClient } from "@azure/synapse-artifacts";
import { startSynapseSim, type SimSeed, type SynapseSim } from "../../dev/synapse-sim";
import {
  loadSpecDocument,
  SPEC_DIR,
  specOperations,
  type ApiVersion,
} from "../../dev/synapse-sim/specDocument";
import { dropNulls, SpecValidator } from "../../dev/synapse-sim/specValidator";
import { artifactsClientFor, simCredential, useSynapseSim } from "../support/synapseSim";

interface Example {
  parameters: Record<string, unknown> & { linkConnectionName?: string; "api-version": ApiVersion };
  responses: Record<string, { body?: Record<string, unknown> }>;
}

const EXAMPLES_DIR = join(SPEC_DIR, "2023-04-18-preview", "examples");
const exampleFiles = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".json"));
const operations = specOperations(loadSpecDocument("2023-04-18-preview"));
const validator = new SpecValidator();
const LINK = "testLinkConnection";
const T0 = Date.parse("2025-03-01T08:00:00Z");

function readExample(file: string): Example {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), "utf8")) as Example;
}

/** The operation an example belongs to, found through the spec's own x-ms-examples references. */
function operationFor(file: string): (typeof operations)[number] {
  const spec = JSON.parse(
    readFileSync(join(SPEC_DIR, "2023-04-18-preview", "linkConnections.json"), "utf8"),
  ) as {
    paths: Record<
      string,
      Record<string, { operationId: string; "x-ms-examples"?: Record<string, { $ref: string }> }>
    >;
  };
  for (const methods of Object.values(spec.paths)) {
    for (const op of Object.values(methods)) {
      const refs = Object.values(op["x-ms-examples"] ?? {}).map((e) => e.$ref);
      if (refs.includes(`./examples/${file}`)) {
        const found = operations.find((o) => o.operationId === op.operationId);
        if (found) return found;
      }
    }
  }
  throw new Error(`no operation references ${file}`);
}

const sourceTables = [{ schema: "exampleSourceSchema", name: "exampleSourceTable", primaryKey: ["Id"] }];
const runningLink: SimSeed = { links: [{ name: LINK }], sourceTables };
const editTablesExample = readExample("LinkConnection_EditTables.json");
const createExample = readExample("LinkConnection_CreateOrUpdate.json");

describe("synapse-sim replays the spec's examples", () => {
  let sim: SynapseSim;
  let now = T0;
  useSynapseSim({ clock: () => now }, { started: (s) => (sim = s), beforeEachTest: () => (now = T0) });

  async function send(
    method: string,
    path: string,
    apiVersion: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; json: unknown }> {
    const res = await fetch(`${sim.url}${path}?api-version=${apiVersion}`, {
      method,
      headers: { Authorization: "Bearer example-token", "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, json: text === "" ? undefined : JSON.parse(text) };
  }

  /** An empty simulator, then the link the CreateOrUpdate example's request defines. */
  async function putCreateExample(): Promise<void> {
    sim.reset({ links: [], sourceTables });
    await send(
      "PUT",
      `/linkconnections/${LINK}`,
      "2023-04-18-preview",
      createExample.parameters.linkConnection,
    );
  }

  /** Puts a link definition in place exactly as an example's response body shows it. */
  async function putDefinitionOf(body: Record<string, unknown>): Promise<void> {
    const res = await send("PUT", `/linkconnections/${LINK}`, "2023-04-18-preview", {
      description: body.description,
      properties: body.properties,
    });
    expect(res.status).toBe(200);
  }

  /** Adds the EditTables example's table (with `id`) and lets it reach Replicating. */
  async function addExampleTable(id: string): Promise<void> {
    const edit = structuredClone(editTablesExample.parameters.editTablesRequest) as {
      linkTables: { id: string }[];
    };
    edit.linkTables[0]!.id = id;
    expect(
      (await send("POST", `/linkconnections/${LINK}/edittables`, "2023-04-18-preview", edit)).status,
    ).toBe(200);
    now += 30_000 + 120_000;
  }

  /**
   * A link resource as the hand-written examples spell it: the recorded service adds `etag` and `properties.id`,
   * and spells the type "linkconnections" (lower-case c) where the examples write "linkConnections".
   */
  function asInExamples(resource: Record<string, unknown>): Record<string, unknown> {
    expect(resource.type).toBe("Microsoft.Synapse/workspaces/linkconnections");
    expect(typeof resource.etag).toBe("string");
    const { etag: _etag, id: _id, type: _type, properties, ...rest } = resource;
    const { id: serviceId, ...definition } = properties as Record<string, unknown>;
    expect(typeof serviceId).toBe("string");
    return { ...rest, properties: definition };
  }

  function exampleResource(example: Record<string, unknown>): Record<string, unknown> {
    const { id: _id, type: _type, ...rest } = example;
    return rest;
  }

  /** How each example's preconditions are put in place; a new example file without an entry fails the test. */
  const arrange: Record<string, () => Promise<void> | void> = {
    "LinkConnection_CreateOrUpdate.json": () => {
      sim.reset({ links: [], sourceTables });
    },
    "LinkConnection_Get.json": async () => {
      sim.reset({ links: [], sourceTables });
      await putDefinitionOf(readExample("LinkConnection_Get.json").responses["200"]!.body!);
    },
    "LinkConnections_ListByWorkspace.json": async () => {
      sim.reset({ links: [], sourceTables });
      const body = readExample("LinkConnections_ListByWorkspace.json").responses["200"]!.body!;
      await putDefinitionOf((body.value as Record<string, unknown>[])[0]!);
    },
    "LinkConnection_Delete.json": () => {
      sim.reset(runningLink);
    },
    "LinkConnection_EditTables.json": () => {
      sim.reset(runningLink);
    },
    "LinkConnection_GetDetailedStatus.json": () => {
      sim.reset(runningLink);
    },
    "LinkConnection_ListLinkTables.json": async () => {
      sim.reset(runningLink);
      await addExampleTable("7bbb9091983b48f59808cb322a30e1e1");
    },
    "LinkConnection_QueryTableStatus.json": async () => {
      sim.reset(runningLink);
      await addExampleTable("8bbb9091983b48f59808cb322a30e1e1");
    },
    "LinkConnection_Start.json": () => {
      sim.reset({ links: [{ name: LINK, status: "Stopped" }], sourceTables });
    },
    "LinkConnection_UpdateLandingZoneCredential.json": () => {
      sim.reset(runningLink);
    },
  };

  /** Key fields of each example's response body that the simulator must reproduce. */
  const expectKeyFields: Record<
    string,
    (actual: Record<string, unknown>, example: Record<string, unknown>) => void
  > = {
    "LinkConnection_CreateOrUpdate.json": (actual, example) => {
      const { properties, ...rest } = asInExamples(actual);
      const { landingZone, ...definition } = properties as Record<string, unknown>;
      expect({ ...rest, properties: definition }).toEqual(exampleResource(example));
      // The request carried the landing zone; the spec's SecureString note says secrets come back masked.
      expect((landingZone as { sasToken: { value: string } }).sasToken.value).toMatch(/^\*+$/);
      expect(actual.id).toMatch(
        /\/Microsoft\.Synapse\/workspaces\/[^/]+\/linkconnections\/testLinkConnection$/,
      );
    },
    "LinkConnection_Get.json": (actual, example) => {
      expect(asInExamples(actual)).toEqual(exampleResource(example));
    },
    "LinkConnections_ListByWorkspace.json": (actual, example) => {
      const value = (actual.value as Record<string, unknown>[]).map(asInExamples);
      expect(value).toEqual((example.value as Record<string, unknown>[]).map(exampleResource));
      // The example's `"nextLink": null`; REC-23's one-page list has no nextLink key.
      expect(actual).not.toHaveProperty("nextLink");
    },
    "LinkConnection_GetDetailedStatus.json": (actual, example) => {
      expect(actual).toMatchObject({ name: example.name, status: "Running", isPartiallyFailed: false });
      // The example has isApplyingChanges; no recorded detailedstatus does (default profile applying:absent).
      expect(actual).not.toHaveProperty("isApplyingChanges");
      expect(typeof actual.id).toBe("string");
      expect(typeof actual.continuousRunId).toBe("string");
      expect(typeof actual.etag).toBe("string");
      expect(Number.isNaN(Date.parse(actual.startTime as string))).toBe(false);
    },
    "LinkConnection_ListLinkTables.json": (actual, example) => {
      // The example's items carry `name`; REC-22/23's do not.
      const items = (example.value as Record<string, unknown>[]).map(({ name: _name, ...item }) => item);
      expect(actual).toEqual({ value: items });
    },
    "LinkConnection_QueryTableStatus.json": (actual, example) => {
      const [row] = actual.value as Record<string, unknown>[];
      const [expected] = example.value as Record<string, unknown>[];
      expect(row).toMatchObject({ id: expected!.id, status: "Replicating" });
      expect(typeof row!.linkTableId).toBe("string");
      expect(Number.isNaN(Date.parse(row!.lastProcessedData as string))).toBe(false);
      expect(actual.continuationToken).toBeNull();
    },
  };

  test("every example file has an arrangement", () => {
    expect([...exampleFiles].sort()).toEqual(Object.keys(arrange).sort());
  });

  test.each(exampleFiles)("example %s gets the example's status and body shape", async (file) => {
    const example = readExample(file);
    const operation = operationFor(file);
    await arrange[file]!();
    const path = operation.pathTemplate.replace(
      "{linkConnectionName}",
      String(example.parameters.linkConnectionName),
    );
    const body = operation.body ? example.parameters[operation.body.name] : undefined;
    const res = await send(operation.method, path, example.parameters["api-version"], body);

    const statuses = Object.keys(example.responses).map(Number);
    expect(statuses).toContain(res.status);
    const exampleBody = example.responses[String(res.status)]?.body;
    if (file === "LinkConnection_EditTables.json") {
      // The example has no body; REC-22/23 answer with the whole link resource, the added table in it.
      expect(res.json).toMatchObject({
        name: LINK,
        type: "Microsoft.DataFactory/factories/linkconnections",
        properties: { linkTables: [{ id: "33f01131-553b-4b97-83a8-0db255a66901" }] },
      });
      return;
    }
    if (exampleBody === undefined) {
      expect(res.text).toBe("");
      return;
    }
    const actual = res.json as Record<string, unknown>;
    expect(
      validator.validateResponseBody(
        "2023-04-18-preview",
        operation.operationId,
        res.status,
        dropNulls(actual),
      ),
    ).toEqual([]);
    expectKeyFields[file]!(actual, exampleBody);
  });

  test("the Delete example's 204 answers a link that does not exist", async () => {
    sim.reset({ links: [], sourceTables });
    const res = await send("DELETE", `/linkconnections/${LINK}`, "2023-04-18-preview");
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
  });

  test("the example's actionOnExistingTargetTable is stored by CreateOrUpdate and returned by Get", async () => {
    await putCreateExample();
    const got = await send("GET", `/linkconnections/${LINK}`, "2023-04-18-preview");
    expect(got.json).toMatchObject({
      properties: {
        targetDatabase: { typeProperties: { actionOnExistingTargetTable: "DropAndRecreateTable" } },
      },
    });
  });

  describe("through the real ArtifactsClient (api-version 2022-12-01-preview)", () => {
    let client: ArtifactsClient;

    beforeAll(() => {
      // The SDK's bearer policy refuses http:// even with allowInsecureConnection (see dev/synapse-sim/sdkOverHttp.ts).
      client = artifactsClientFor(sim.url);
    });

    test("a plain http:// endpoint is refused by the SDK's bearer policy, allowInsecureConnection or not", async () => {
      const insecure = new ArtifactsClient(simCredential, sim.url, { allowInsecureConnection: true });
      await expect(insecure.linkConnectionOperations.getDetailedStatus(LINK)).rejects.toThrow(/non-TLS/);
    });

    test("EditTables, then GetDetailedStatus, ListLinkTables and QueryTableStatus follow the table to Replicating", async () => {
      sim.reset(runningLink);
      const ops = client.linkConnectionOperations;
      const edit = structuredClone(editTablesExample.parameters.editTablesRequest) as Parameters<
        typeof ops.editTables
      >[1];
      await ops.editTables(LINK, edit);

      const editCall = sim.callsTo("LinkConnection_EditTables", LINK)[0]!;
      expect(editCall).toMatchObject({ status: 200, apiVersion: "2022-12-01-preview", body: edit });
      const status = await ops.getDetailedStatus(LINK);
      expect(status).toMatchObject({ name: LINK, status: "Running" });
      expect(status.isApplyingChanges).toBeUndefined();
      const tables = await ops.listLinkTables(LINK);
      expect(tables.value).toEqual([
        { id: edit.linkTables![0]!.id, ...withoutOperationType(edit.linkTables![0]!) },
      ]);
      expect((await ops.queryTableStatus(LINK, { maxSegmentCount: 50 })).value?.[0]?.status).toBe("Waiting");

      now += 30_000 + 120_000;
      const replicating = await ops.queryTableStatus(LINK, { maxSegmentCount: 50 });
      expect(replicating.value?.[0]).toMatchObject({ id: edit.linkTables![0]!.id, status: "Replicating" });
      expect(replicating.value?.[0]?.lastProcessedData).toBeInstanceOf(Date);
      expect(replicating.continuationToken).toBeNull();
    });

    test("Get returns the definition put with the CreateOrUpdate example, sasToken masked", async () => {
      await putCreateExample();
      const got = await client.linkConnectionOperations.get(LINK);
      expect(got.name).toBe(LINK);
      expect(got.properties.compute).toEqual({
        coreCount: 8,
        computeType: "General",
        dataProcessIntervalMinutes: 60,
      });
      expect(got.properties.landingZone?.sasToken?.value).toMatch(/^\*+$/);
    });

    test("ListByWorkspace follows nextLink across pages", async () => {
      const paged = await startSynapseSim({
        pageSize: 2,
        seed: { links: ["a", "b", "c", "d", "e"].map((name) => ({ name })), sourceTables: [] },
      });
      try {
        const pagedClient = artifactsClientFor(paged.url);
        const names: string[] = [];
        for await (const link of pagedClient.linkConnectionOperations.listByWorkspace())
          names.push(link.name ?? "");
        expect(names).toEqual(["a", "b", "c", "d", "e"]);
        const listCalls = paged.callsTo("ListByWorkspace");
        expect(listCalls).toHaveLength(3);
        expect(listCalls.every((c) => c.apiVersion === "2022-12-01-preview")).toBe(true);
      } finally {
        await paged.close();
      }
    });
  });
});

function withoutOperationType<T extends { operationType?: string; id?: string }>(
  table: T,
): Omit<T, "operationType" | "id"> {
  const { operationType: _op, id: _id, ...rest } = table;
  return rest;
}
