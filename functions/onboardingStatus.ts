import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";
import { problem } from "../shared/http/problem";
import { requestStatusBody } from "../shared/intake/requestStatusView";
import { problemResponse } from "./httpResponses";

/** GET /api/onboarding/{requestId} — the request and each of its tables, from the ledger. */
export async function onboardingStatus(request: HttpRequest): Promise<HttpResponseInit> {
  const requestId = request.params.requestId ?? "";
  const view = await getDependencies().ledger.getRequest(requestId);
  if (!view) return problemResponse(problem(404, "request-not-found", `No onboarding request ${requestId}`));
  return { status: 200, jsonBody: requestStatusBody(view) };
}

app.http("onboardingStatus", {
  route: "onboarding/{requestId}",
  methods: ["GET"],
  authLevel: "function",
  handler: onboardingStatus,
});
