/** One invalid field of a request: a JSON Pointer into the body (or a header name) and what is wrong. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** RFC 9457 problem details, as every error response of the HTTP API is shaped. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
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
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** `type` is a stable URN a caller can switch on (listed in openapi.json). */
export function problem(
  status: number,
  slug: string,
  detail: string,
  extra: Partial<Pick<Problem, "errors" | "instance" | "requestId">> = {},
): Problem {
  return {
    type: `urn:synapse-link-autopilot:problem:${slug}`,
    title: TITLES[status] ?? "Error",
    status,
    detail,
    ...extra,
  };
}
