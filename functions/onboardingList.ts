import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";
import { listRequests } from "../shared/intake/listRequests";
import { refusalResponse } from "./httpProblems";

/** GET /api/onboarding?link=…&status=…&since=…&limit=…&continuationToken=… — requests, newest first. */
export async function onboardingList(request: HttpRequest): Promise<HttpResponseInit> {
  const q = request.query;
  const result = await listRequests(getDependencies(), {
    link: q.get("link"),
    status: q.get("status"),
    since: q.get("since"),
    limit: q.get("limit"),
    continuationToken: q.get("continuationToken"),
  });
  return result.kind === "ok" ? { status: 200, jsonBody: result.body } : refusalResponse(result.refusal);
}

// Shares the route with onboardingHttp (POST): the method tells them apart.
app.http("onboardingList", {
  route: "onboarding",
  methods: ["GET"],
  authLevel: "function",
  handler: onboardingList,
});
