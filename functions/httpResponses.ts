import type { HttpResponseInit } from "@azure/functions";

/** 202 for anything that was queued: where to watch it, in the body and in Location. */
export function acceptedResponse(requestId: string, statusUrl: string): HttpResponseInit {
  return {
    status: 202,
    headers: { Location: statusUrl },
    jsonBody: { requestId, status: "Queued", statusUrl },
  };
}
