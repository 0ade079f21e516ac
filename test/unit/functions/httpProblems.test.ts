import { readFileSync } from "node:fs";
import { join } from "node:path";
import { problemFor, refusalResponse } from "../../../functions/httpProblems";
import type { Refusal } from "../../../shared/intake/refusals";

const link = { workspace: "demo", linkConnection: "demo-link" };
const table = { schema: "dbo", name: "Orders" };
const openapi = readFileSync(join(__dirname, "../../../openapi.json"), "utf8");

/** Every refusal kind, with the status, problem type and body the HTTP API answers it with. */
const cases: [Refusal, number, string, Record<string, unknown>][] = [
  [
    { kind: "unsupportedMediaType", contentType: undefined },
    415,
    "unsupported-media-type",
    { detail: "Content-Type must be application/json, not missing" },
  ],
  [
    { kind: "bodyTooLarge", bytes: 300000, limit: 262144 },
    413,
    "body-too-large",
    { detail: "The body is 300000 bytes; the limit is 262144 bytes" },
  ],
  [
    { kind: "signatureInvalid", header: "webhook-id", reason: "missing webhook-id header" },
    401,
    "invalid-signature",
    {
      detail: "missing webhook-id header",
      errors: [{ pointer: "webhook-id", detail: "missing webhook-id header" }],
    },
  ],
  [
    { kind: "malformedJson", reason: "Unexpected end of JSON input" },
    400,
    "malformed-json",
    {
      detail: "The body is not valid JSON: Unexpected end of JSON input",
      errors: [{ pointer: "", detail: "not valid JSON" }],
    },
  ],
  [
    { kind: "invalidFields", errors: [{ pointer: "/tables", detail: "must list at least one table" }] },
    400,
    "invalid-request",
    {
      detail: "The request has 1 invalid field(s): /tables",
      errors: [{ pointer: "/tables", detail: "must list at least one table" }],
    },
  ],
  [
    { kind: "workspaceRequired", configured: ["demo", "prod"] },
    400,
    "invalid-request",
    {
      detail: "workspace is required when more than one workspace is configured (demo, prod)",
      errors: [
        {
          pointer: "/workspace",
          detail: "is required when more than one workspace is configured (demo, prod)",
        },
      ],
    },
  ],
  [
    { kind: "invalidParameters", errors: [{ pointer: "workspace", detail: "invalid" }] },
    400,
    "invalid-request",
    {
      detail: "Invalid parameter(s): workspace",
      errors: [{ pointer: "workspace", detail: "invalid" }],
    },
  ],
  [
    { kind: "tableNotQualified" },
    400,
    "invalid-request",
    {
      detail: "table must be {schema}.{table}, each 1-128 characters without control characters",
      errors: [
        {
          pointer: "table",
          detail: "must be {schema}.{table}, each 1-128 characters without control characters",
        },
      ],
    },
  ],
  [
    { kind: "linkNotAllowed", link, namedIn: "route" },
    403,
    "link-not-allowed",
    { detail: "Link connection demo/demo-link is not allowed by this app's configuration" },
  ],
  [
    { kind: "linkNotAllowed", link, namedIn: "body" },
    403,
    "link-not-allowed",
    {
      detail:
        "Link connection demo/demo-link is not allowed by this app's configuration (ALLOWED_LINKS / ROUTING_RULES / SYNAPSE_WORKSPACES)",
    },
  ],
  [
    { kind: "linkNotFound", link },
    404,
    "link-not-found",
    { detail: "Link connection demo-link does not exist in workspace demo" },
  ],
  [
    { kind: "requestNotFound", requestId: "r-1" },
    404,
    "request-not-found",
    { detail: "No onboarding request r-1" },
  ],
  [
    { kind: "tableNotLinked", link, table },
    409,
    "table-not-linked",
    { detail: "dbo.Orders is not in link connection demo-link; nothing to detach" },
  ],
  [
    { kind: "tableNotDetached", link, table },
    409,
    "table-not-detached",
    { detail: "dbo.Orders is not detached from demo-link; add tables with POST /api/onboarding" },
  ],
  [
    { kind: "messageTooLarge", bytes: 100_000, limit: 49_152, tables: 300 },
    413,
    "request-too-large",
    {
      detail:
        "These 300 tables make a queue message of 100000 bytes; one request can carry at most 49152 bytes " +
        "(a 64 KiB Storage queue message, base64-encoded). Split the tables into about 4 requests",
    },
  ],
];

describe("httpProblems: one table from refusals to RFC 9457 problems", () => {
  it.each(cases)("%o → %i %s", (refusal, status, slug, rest) => {
    const problem = problemFor(refusal);
    const type = `urn:synapse-link-autopilot:problem:${slug}`;
    expect(problem).toEqual({ type, title: expect.any(String), status, ...rest });
    // Members in the order the wire always had: type, title, status, detail, then the extensions.
    expect(Object.keys(problem)).toEqual(["type", "title", "status", ...Object.keys(rest)]);
    expect(openapi).toContain(`"${type}"`);
  });

  it("answers with application/problem+json and the problem as the body", () => {
    const response = refusalResponse({ kind: "requestNotFound", requestId: "r-1" });
    expect(response).toEqual({
      status: 404,
      headers: { "Content-Type": "application/problem+json" },
      body: JSON.stringify({
        type: "urn:synapse-link-autopilot:problem:request-not-found",
        title: "Not Found",
        status: 404,
        detail: "No onboarding request r-1",
      }),
    });
  });
});
