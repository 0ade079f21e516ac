import { cloudErrorSchema } from "../../dev/synapse-sim/cloudError";
import { loadSpecDocument, specOperations } from "../../dev/synapse-sim/specDocument";
import { dropNulls, invalidRequestContent, SpecValidator } from "../../dev/synapse-sim/specValidator";

const validator = new SpecValidator();
const V2212 = "2022-12-01-preview";
const V2304 = "2023-04-18-preview";

describe("synapse-sim spec loading", () => {
  test("the 13 operations of the spec are routed, with the camel-case updateLandingZoneCredential path", () => {
    const ops = specOperations(loadSpecDocument(V2304));
    expect(ops.map((o) => o.operationId).sort()).toEqual(
      [
        "CreateOrUpdate",
        "Delete",
        "EditTables",
        "Get",
        "GetDetailedStatus",
        "ListByWorkspace",
        "ListLinkTables",
        "Pause",
        "QueryTableStatus",
        "Resume",
        "Start",
        "Stop",
        "UpdateLandingZoneCredential",
      ].map((n) => `LinkConnection_${n}`),
    );
    const update = ops.find((o) => o.operationId === "LinkConnection_UpdateLandingZoneCredential");
    expect(update?.pathPattern.test("/linkconnections/l1/updateLandingZoneCredential")).toBe(true);
  });

  test("the external CloudError $ref is replaced by the local CloudError definition", () => {
    const doc = loadSpecDocument(V2212);
    expect(JSON.stringify(doc)).not.toContain("common/v1/types.json");
    expect(doc.definitions.CloudError).toEqual(cloudErrorSchema);
  });
});

describe("synapse-sim request body validation", () => {
  test("linkTables that is not an array is named", () => {
    const issues = validator.validateRequestBody(V2212, "LinkConnection_EditTables", {
      linkTables: { id: "x" },
    });
    expect(issues).toEqual([{ path: "linkTables", message: "must be array" }]);
  });

  test("maxSegmentCount above the spec's maximum of 1000 is named", () => {
    const issues = validator.validateRequestBody(V2212, "LinkConnection_QueryTableStatus", {
      maxSegmentCount: 5000,
    });
    expect(issues).toEqual([{ path: "maxSegmentCount", message: "must be <= 1000" }]);
  });

  test("a nested wrong type is named with its array index", () => {
    const issues = validator.validateRequestBody(V2304, "LinkConnection_EditTables", {
      linkTables: [{ id: "a", source: { tableName: 5, schemaName: "dbo" }, operationType: "add" }],
    });
    expect(issues).toEqual([{ path: "linkTables[0].source.tableName", message: "must be string" }]);
  });

  test("every bad path appears in the InvalidRequestContent message and details", () => {
    const issues = validator.validateRequestBody(V2304, "LinkConnection_CreateOrUpdate", {
      properties: {
        compute: { dataProcessIntervalMinutes: 5 },
        sourceDatabase: { linkedService: { type: "LinkedServiceReference" } },
      },
    });
    const error = invalidRequestContent(issues);
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidRequestContent");
    expect(error.message).toContain("properties.compute.dataProcessIntervalMinutes");
    expect(error.message).toContain("properties.sourceDatabase.linkedService.referenceName");
    expect(error.details?.map((d) => d.target)).toEqual(
      expect.arrayContaining([
        "properties.compute.dataProcessIntervalMinutes",
        "properties.sourceDatabase.linkedService.referenceName",
      ]),
    );
  });

  test("actionOnExistingTargetTable is an enum in 2023-04-18-preview and unknown to 2022-12-01-preview", () => {
    const body = {
      properties: { targetDatabase: { typeProperties: { actionOnExistingTargetTable: "Overwrite" } } },
    };
    expect(validator.validateRequestBody(V2304, "LinkConnection_CreateOrUpdate", body)).toEqual([
      {
        path: "properties.targetDatabase.typeProperties.actionOnExistingTargetTable",
        message: "must be equal to one of the allowed values",
      },
    ]);
    expect(validator.validateRequestBody(V2212, "LinkConnection_CreateOrUpdate", body)).toEqual([]);
  });

  test("a missing required body is reported; operations without a body accept none", () => {
    expect(validator.validateRequestBody(V2212, "LinkConnection_EditTables", undefined)).toEqual([
      { path: "(body)", message: "the editTablesRequest body is required" },
    ]);
    expect(validator.validateRequestBody(V2212, "LinkConnection_Start", undefined)).toEqual([]);
  });

  test("a SecureString without its value is rejected", () => {
    const issues = validator.validateRequestBody(V2212, "LinkConnection_UpdateLandingZoneCredential", {
      sasToken: { type: "SecureString" },
    });
    expect(issues).toEqual([{ path: "sasToken.value", message: "must have required property 'value'" }]);
  });

  test("bare object-typed fields accept any value, as AutoRest reads them (continuationToken as a string)", () => {
    const body = dropNulls({ maxSegmentCount: 10, continuationToken: "abc" });
    expect(validator.validateRequestBody(V2212, "LinkConnection_QueryTableStatus", body)).toEqual([]);
  });

  test("nulls count as absent", () => {
    expect(dropNulls({ a: null, b: { c: null, d: 1 }, e: [1, null] })).toEqual({ b: { d: 1 }, e: [1, null] });
  });

  test("the recorded top-level error body passes the local CloudError schema", () => {
    const recorded404 = {
      code: "NotFound",
      message: "The document could not be retrieved because it does not exist.",
      target: "/subscriptions/x/linkconnections/l",
      details: null,
      error: null,
    };
    expect(validator.validateResponseBody(V2212, "LinkConnection_Get", 404, recorded404)).toEqual([]);
  });

  test("the wrapped ARM error body passes the local CloudError schema", () => {
    expect(
      validator.validateResponseBody(V2212, "LinkConnection_Get", 404, {
        error: { code: "X", message: "m" },
      }),
    ).toEqual([]);
  });

  test("an error body without a message fails the local CloudError schema", () => {
    expect(
      validator.validateResponseBody(V2212, "LinkConnection_Get", 404, { error: { code: "X" } }),
    ).not.toEqual([]);
    expect(validator.validateResponseBody(V2212, "LinkConnection_Get", 404, { code: "X" })).not.toEqual([]);
  });
});
