import { configuredWorkspaceName, type LinkRef } from "../domain/linkRef";
import { isLinkAllowed, type Routing } from "../routing/routingRules";
import { invalidLinkParameters } from "./identifiers";
import type { Refusal } from "./refusals";

export interface LinkPolicy {
  routing: Routing;
  /** The configured workspaces: a link in any other is refused. */
  workspaces: readonly string[];
}

/** The configured spelling of a workspace name: Synapse names are case-insensitive (`DEMO` is `demo`). */
export function configuredWorkspace(
  policy: Pick<LinkPolicy, "workspaces">,
  name: string,
): string | undefined {
  return configuredWorkspaceName(policy.workspaces, name);
}

/** Refuses a link in a workspace that is not configured or that the routing does not allow. */
export function refuseUnlessAllowed(
  policy: LinkPolicy,
  link: LinkRef,
  namedIn: "body" | "route",
): Extract<Refusal, { kind: "linkNotAllowed" }> | undefined {
  if (configuredWorkspace(policy, link.workspace) !== undefined && isLinkAllowed(policy.routing, link)) {
    return undefined;
  }
  return { kind: "linkNotAllowed", link, namedIn };
}

/**
 * The link a route names: valid names first (so garbage is a 400, not a Synapse 404), then allowed
 * by the configuration.
 */
export function refuseRouteLink(
  policy: LinkPolicy,
  link: LinkRef,
): Extract<Refusal, { kind: "invalidParameters" | "linkNotAllowed" }> | undefined {
  const errors = invalidLinkParameters(link);
  if (errors.length > 0) return { kind: "invalidParameters", errors };
  return refuseUnlessAllowed(policy, link, "route");
}
