import { createHttpHeaders } from "@azure/core-rest-pipeline";
import {
  formatServiceError,
  parseServiceErrorBody,
  retryAfterMs,
} from "../../../shared/synapse/serviceErrors";

describe("parseServiceErrorBody", () => {
  it.each<[string, unknown, { code?: string; message?: string }]>([
    [
      "the real service's top-level body (recorded 404)",
      '{"code":"NotFound","message":"The document could not be retrieved because it does not exist.","target":"/x","details":null,"error":null}',
      { code: "NotFound", message: "The document could not be retrieved because it does not exist." },
    ],
    [
      "the real wrong-audience body",
      '{"code":"InvalidTokenAuthenticationAudience","message":"Token Authentication failed with SecurityTokenInvalidAudienceException - IDX10214: Audience validation failed."}',
      {
        code: "InvalidTokenAuthenticationAudience",
        message:
          "Token Authentication failed with SecurityTokenInvalidAudienceException - IDX10214: Audience validation failed.",
      },
    ],
    [
      "the wrapped Azure shape",
      '{"error":{"code":"LinkConnectionNotFound","message":"Link connection x not found."}}',
      { code: "LinkConnectionNotFound", message: "Link connection x not found." },
    ],
    ["an already parsed wrapped body", { error: { code: "C", message: "M" } }, { code: "C", message: "M" }],
    ["a wrapper with only a message", { error: { message: "M" } }, { message: "M" }],
    [
      "plain text",
      "Request Error: 429. Retry in 2131 seconds.",
      { message: "Request Error: 429. Retry in 2131 seconds." },
    ],
    ["an empty body", "", {}],
    ["no body", undefined, {}],
    ["JSON without code or message", '{"status":"bad"}', {}],
  ])("reads %s", (_case, body, expected) => {
    expect(parseServiceErrorBody(body)).toEqual(expected);
  });
});

describe("formatServiceError", () => {
  it.each<[{ code?: string; message?: string }, string | undefined]>([
    [{ code: "C", message: "M" }, "C: M"],
    [{ message: "M" }, "M"],
    [{ code: "C" }, "C"],
    [{}, undefined],
  ])("formats %j as %p", (error, expected) => {
    expect(formatServiceError(error)).toBe(expected);
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2026-01-05T08:00:00Z");
  it.each<[string, number, Record<string, string>, number | undefined]>([
    ["Retry-After in seconds on a 429", 429, { "retry-after": "2131" }, 2_131_000],
    ["Retry-After in seconds on a 503", 503, { "retry-after": "5" }, 5_000],
    ["retry-after-ms before Retry-After", 429, { "retry-after-ms": "250", "retry-after": "9" }, 250],
    ["x-ms-retry-after-ms", 429, { "x-ms-retry-after-ms": "1500" }, 1_500],
    ["Retry-After as an HTTP date", 429, { "retry-after": "Mon, 05 Jan 2026 08:01:00 GMT" }, 60_000],
    ["Retry-After as a date in the past", 429, { "retry-after": "Mon, 05 Jan 2026 07:00:00 GMT" }, 0],
    ["no header", 429, {}, undefined],
    ["an unreadable header", 429, { "retry-after": "soon" }, undefined],
    ["a status that is not throttling", 500, { "retry-after": "5" }, undefined],
  ])("reads %s", (_case, status, headers, expected) => {
    expect(retryAfterMs(status, createHttpHeaders(headers), now)).toBe(expected);
  });
});
