import { randomUUID } from "node:crypto";
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { getDependencies } from "../shared/dependencies";
import { MAX_BODY_BYTES, submitOnboarding } from "../shared/intake/submitOnboarding";
import { problemFor, problemResponse, refusalResponse } from "./httpProblems";
import { acceptedResponse } from "./httpResponses";
import { onboardingQueueOutput } from "./onboardingQueueOutput";

/** POST /api/onboarding — verify, parse, validate, enqueue (docs/api.md#onboarding-request). */
export async function onboardingHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  // Refuse an oversized body before reading it.
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return refusalResponse({ kind: "bodyTooLarge", bytes: declared, limit: MAX_BODY_BYTES });
  }
  const { appKeys, config, workspaces } = getDependencies();
  // Read together: the key comes from storage once per instance (then cached, no storage call per
  // request), and the body is streamed in; neither waits for the other.
  const [acceptanceKey, body] = await Promise.all([appKeys.acceptanceKey(), request.arrayBuffer()]);
  const result = submitOnboarding(
    {
      acceptanceKey,
      webhookSecrets: config.intake.webhookSecrets,
      callbackAllowList: config.outcomes.callbackAllowList,
      routing: config.intake.routing,
      workspaces,
      newRequestId: randomUUID,
    },
    {
      contentType: request.headers.get("content-type") ?? undefined,
      body: Buffer.from(body),
      header: (name) => request.headers.get(name) ?? undefined,
      origin: new URL(request.url).origin,
      now: new Date(),
    },
  );
  if (result.kind === "refused") {
    const problem = problemFor(result.refusal);
    context.log(`onboarding request refused: ${problem.status} ${problem.detail}`);
    return problemResponse(problem);
  }
  context.extraOutputs.set(onboardingQueueOutput, result.message);
  context.log(
    `queued request ${result.requestId} for ${result.message.workspace}/${result.message.linkConnection}`,
  );
  return acceptedResponse(result.requestId, result.statusUrl);
}

app.http("onboardingHttp", {
  route: "onboarding",
  methods: ["POST"],
  authLevel: "function",
  extraOutputs: [onboardingQueueOutput],
  handler: onboardingHttp,
});
