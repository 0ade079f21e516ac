import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";
import { getRequestStatus } from "../shared/intake/requestStatus";
import { refusalResponse } from "./httpProblems";

/** GET /api/onboarding/{requestId} — the request and each of its tables, from the ledger. */
export async function onboardingStatus(request: HttpRequest): Promise<HttpResponseInit> {
  const deps = getDependencies();
  const token = request.query.get("accepted");
  const result = await getRequestStatus(
    deps,
    request.params.requestId ?? "",
    token ? { token, key: await deps.appKeys.acceptanceKey(), now: new Date() } : undefined,
  );
  return result.kind === "ok" ? { status: 200, jsonBody: result.body } : refusalResponse(result.refusal);
}

app.http("onboardingStatus", {
  route: "onboarding/{requestId}",
  methods: ["GET"],
  authLevel: "function",
  handler: onboardingStatus,
});
