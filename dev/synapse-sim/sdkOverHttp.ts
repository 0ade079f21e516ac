// Lets the real @azure/synapse-artifacts ArtifactsClient talk to the simulator over plain http.
//
// Found with @azure/core-rest-pipeline 1.24 (what @azure/synapse-artifacts 1.0.0-beta.12 resolves to here):
// - the bearerTokenAuthenticationPolicy the ArtifactsClient installs throws "Bearer token authentication is not
//   permitted for non-TLS protected (non-https) URLs." for any http:// URL, localhost included, and
//   `allowInsecureConnection: true` does NOT lift that check (it only governs the HTTP client);
// - so the client is given an https:// endpoint (the bearer policy runs and adds the token as in production), and a
//   per-retry policy — which runs after the bearer policy — turns the URL back into http:// just before sending;
//   `allowInsecureConnection: true` is then needed for the HTTP client to send to http://localhost.
// The policy also sends X-Forwarded-Proto: https, so the simulator writes https nextLinks the SDK will follow.
import type { ArtifactsClientOptionalParams } from "@azure/synapse-artifacts";

type AdditionalPolicy = NonNullable<ArtifactsClientOptionalParams["additionalPolicies"]>[number];

/** `new ArtifactsClient(credential, endpoint, options)` for a simulator at `simUrl` (e.g. sim.url). */
export function artifactsClientOverHttp(
  simUrl: string,
  options: ArtifactsClientOptionalParams = {},
): { endpoint: string; options: ArtifactsClientOptionalParams } {
  const url = new URL(simUrl);
  if (url.protocol !== "http:") throw new Error(`expected an http:// simulator URL, got ${simUrl}`);
  const httpsOrigin = `https://${url.host}`;
  const httpOrigin = `http://${url.host}`;
  const toPlainHttp: AdditionalPolicy = {
    position: "perRetry",
    policy: {
      name: "synapseSimPlainHttp",
      sendRequest: (request, next) => {
        if (request.url.startsWith(httpsOrigin)) {
          request.url = httpOrigin + request.url.slice(httpsOrigin.length);
          request.headers.set("X-Forwarded-Proto", "https");
        }
        return next(request);
      },
    },
  };
  return {
    endpoint: httpsOrigin,
    options: {
      ...options,
      allowInsecureConnection: true,
      additionalPolicies: [...(options.additionalPolicies ?? []), toPlainHttp],
    },
  };
}
