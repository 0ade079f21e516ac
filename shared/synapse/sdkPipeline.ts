import type { TokenCredential } from "@azure/core-auth";
import { bearerTokenAuthenticationPolicyName, type Pipeline } from "@azure/core-rest-pipeline";
import { formatServiceError, type ServiceError } from "./serviceErrors";
import { SynapseThrottledError } from "./synapseLinkClient";
import { throttleBudgetPolicy } from "./throttleBudget";

/*
 * What the two Azure SDK clients the app builds (the Synapse data plane's ArtifactsClient and ARM's
 * SynapseManagementClient) share: retry options, the throttling budget, the static-token swap for
 * the simulator, and how a throttled call is explained.
 */

export type SynapseAuth =
  | { kind: "credential"; credential: TokenCredential }
  /** A fixed bearer token; config only allows it for loopback (simulator) endpoints. */
  | { kind: "staticToken"; token: string };

/**
 * The SDK's exponential back-off for 5xx and network errors, made explicit: three retries at
 * about 1, 2 and 4 s, so together with the throttling bound a call stays near a minute at worst.
 */
export const SDK_RETRY_OPTIONS = { maxRetries: 3, retryDelayInMs: 1_000, maxRetryDelayInMs: 8_000 } as const;

/** The credential a client is built with: a static-token client never asks it, but the SDK requires one. */
export function credentialFor(auth: SynapseAuth): TokenCredential {
  return auth.kind === "credential"
    ? auth.credential
    : { getToken: () => Promise.reject(new Error("static-token client has no credential")) };
}

/**
 * The app's policies on a client's pipeline: the throttling budget after the retry policy (so a
 * long Retry-After ends the call instead of holding the activity), and for a static token the
 * bearer policy replaced, since the SDK's refuses non-https URLs by design.
 */
export function addAppPolicies(pipeline: Pipeline, auth: SynapseAuth, maxCallWaitMs: number): void {
  pipeline.addPolicy(throttleBudgetPolicy(maxCallWaitMs), { afterPhase: "Retry" });
  if (auth.kind === "staticToken") {
    pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
    pipeline.addPolicy(
      {
        name: "synapseStaticToken",
        sendRequest(request, next) {
          request.headers.set("Authorization", `Bearer ${auth.token}`);
          return next(request);
        },
      },
      { phase: "Sign" },
    );
  }
}

/** A throttled call, explained: where, the status, why the app stopped waiting, when to retry, what the service said. */
export function throttledError(
  call: { where: string; operation: string },
  status: number,
  retryAfterSeconds: number,
  service: ServiceError,
  why?: string,
): SynapseThrottledError {
  const said = formatServiceError(service);
  return new SynapseThrottledError(
    `${call.where} was throttled (HTTP ${status})${why ? `; ${why}` : ""}: retry in ${retryAfterSeconds} s` +
      (said ? `. Service said: ${said}` : ""),
    status,
    service.code,
    call.operation,
    retryAfterSeconds,
    service.message,
  );
}
