import type { HttpResponseInit } from "@azure/functions";
import { describeLink } from "../shared/domain/linkRef";
import { qualifiedName } from "../shared/domain/tableName";
import type { FieldError, Refusal, RefusalKind } from "../shared/intake/refusals";

/** RFC 9457 problem details, as every error response of the HTTP API is shaped. */
export interface Problem {
  /** A stable URN a caller can switch on (listed in openapi.json). */
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  /** Extension member: the request a conflict refers to. */
  requestId?: string;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
};

type Described = Pick<Problem, "detail" | "errors" | "requestId">;

interface Entry<R extends Refusal> {
  status: number;
  /** The last segment of the problem `type`, `urn:synapse-link-autopilot:problem:<slug>`. */
  slug: string;
  describe: (refusal: R) => Described;
}

/** One row of the table; `describe` writes the detail (and the extension members) of the problem. */
function problem<R extends Refusal>(
  status: number,
  slug: string,
  describe: (refusal: R) => Described,
): Entry<R> {
  return { status, slug, describe };
}

const listed = (errors: readonly FieldError[]) => errors.map((e) => e.pointer).join(", ");

/** A problem about one field, e.g. `workspace is required …` with the pointer `/workspace`. */
const oneField = (name: string, pointer: string, detail: string): Described => ({
  detail: `${name} ${detail}`,
  errors: [{ pointer, detail }],
});

const TABLE_PARAMETER = "must be {schema}.{table}, each 1-128 characters without control characters";

/** Every refusal of the intake use cases, with the status and problem type it is answered with. */
const PROBLEMS: { [K in RefusalKind]: Entry<Extract<Refusal, { kind: K }>> } = {
  unsupportedMediaType: problem(415, "unsupported-media-type", (r) => ({
    detail: `Content-Type must be application/json, not ${r.contentType ?? "missing"}`,
  })),
  bodyTooLarge: problem(413, "body-too-large", (r) => ({
    detail: `The body is ${r.bytes} bytes; the limit is ${r.limit} bytes`,
  })),
  signatureInvalid: problem(401, "invalid-signature", (r) => ({
    detail: r.reason,
    errors: [{ pointer: r.header, detail: r.reason }],
  })),
  malformedJson: problem(400, "malformed-json", (r) => ({
    detail: `The body is not valid JSON: ${r.reason}`,
    errors: [{ pointer: "", detail: "not valid JSON" }],
  })),
  invalidFields: problem(400, "invalid-request", (r) => ({
    detail: `The request has ${r.errors.length} invalid field(s): ${listed(r.errors)}`,
    errors: r.errors,
  })),
  workspaceRequired: problem(400, "invalid-request", (r) =>
    oneField(
      "workspace",
      "/workspace",
      `is required when more than one workspace is configured (${r.configured.join(", ")})`,
    ),
  ),
  invalidParameters: problem(400, "invalid-request", (r) => ({
    detail: `Invalid parameter(s): ${listed(r.errors)}`,
    errors: r.errors,
  })),
  tableNotQualified: problem(400, "invalid-request", () => oneField("table", "table", TABLE_PARAMETER)),
  linkNotAllowed: problem(403, "link-not-allowed", (r) => ({
    detail: `Link connection ${describeLink(r.link)} is not allowed by this app's configuration${
      r.namedIn === "body" ? " (ALLOWED_LINKS / ROUTING_RULES / SYNAPSE_WORKSPACES)" : ""
    }`,
  })),
  linkNotFound: problem(404, "link-not-found", (r) => ({
    detail: `Link connection ${r.link.linkConnection} does not exist in workspace ${r.link.workspace}`,
  })),
  requestNotFound: problem(404, "request-not-found", (r) => ({
    detail: `No onboarding request ${r.requestId}`,
  })),
  tableNotLinked: problem(409, "table-not-linked", (r) => ({
    detail: `${qualifiedName(r.table)} is not in link connection ${r.link.linkConnection}; nothing to detach`,
  })),
  tableNotDetached: problem(409, "table-not-detached", (r) => ({
    detail: `${qualifiedName(r.table)} is not detached from ${r.link.linkConnection}; add tables with POST /api/onboarding`,
  })),
  webhookIdReused: problem(409, "webhook-id-reused", (r) => ({
    detail: `webhook-id ${r.webhookId} was already used for request ${r.requestId}; sign each detach or attach with its own webhook-id`,
    requestId: r.requestId,
  })),
  messageTooLarge: problem(413, "request-too-large", (r) => ({
    detail:
      `These ${r.tables} tables make a queue message of ${r.bytes} bytes; one request can carry at ` +
      `most ${r.limit} bytes (a 64 KiB Storage queue message, base64-encoded). Split the tables into ` +
      `about ${Math.ceil(r.bytes / r.limit) + 1} requests`,
  })),
};

/** The problem a refusal is answered with. */
export function problemFor(refusal: Refusal): Problem {
  // The table is keyed by kind, so the entry found is the one for this refusal's own type.
  const { status, slug, describe } = PROBLEMS[refusal.kind] as Entry<Refusal>;
  return {
    type: `urn:synapse-link-autopilot:problem:${slug}`,
    title: TITLES[status] ?? "Error",
    status,
    ...describe(refusal),
  };
}

/** RFC 9457 response for every error of the HTTP API. */
export function problemResponse(details: Problem): HttpResponseInit {
  return {
    status: details.status,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(details),
  };
}

export function refusalResponse(refusal: Refusal): HttpResponseInit {
  return problemResponse(problemFor(refusal));
}
