import type { HttpResponseInit } from "@azure/functions";
import { PROBLEM_CONTENT_TYPE, type Problem } from "../shared/http/problem";

/** RFC 9457 response for every error of the HTTP API. */
export function problemResponse(problem: Problem): HttpResponseInit {
  return {
    status: problem.status,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problem),
  };
}

/** 202 for anything that was queued: where to watch it, in the body and in Location. */
export function acceptedResponse(requestId: string, statusUrl: string): HttpResponseInit {
  return {
    status: 202,
    headers: { Location: statusUrl },
    jsonBody: { requestId, status: "Queued", statusUrl },
  };
}
