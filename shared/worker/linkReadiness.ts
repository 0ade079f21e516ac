import type { WorkerSettings } from "../config";
import { describeLink, type LinkRef } from "../domain/linkRef";
import type { LinkDetailedStatus } from "../synapse/synapseLinkClient";

/** What the worker may do with a link before it edits it. */
export type Readiness =
  | { kind: "ready" }
  /** Ask again later; `act` says what the orchestrator should do first (start or resume the link). */
  | { kind: "wait"; reason: string; act?: "start" | "resume" }
  /** Tables cannot be added to this link as it is: the pending tables fail with `reason`. */
  | { kind: "refuse"; reason: string };

/**
 * Link readiness, decided from the service's detailed status alone. Tables are only ever added to
 * a running link: the service accepts an edit on a stopped link, but its tables would not start.
 * `isApplyingChanges` is honoured when the service sends it; when it is absent (as in every real
 * recording) readiness does not depend on it.
 */
export function linkReadiness(
  link: LinkRef,
  detailed: Pick<LinkDetailedStatus, "status" | "rawStatus" | "isApplyingChanges">,
  settings: Pick<WorkerSettings, "autoStartLinks">,
): Readiness {
  const { status, rawStatus } = detailed;
  const auto = settings.autoStartLinks;
  switch (status) {
    case "Running":
      return detailed.isApplyingChanges === true
        ? { kind: "wait", reason: "the link is applying another change" }
        : { kind: "ready" };
    case "Starting":
    case "Resuming":
      return { kind: "wait", reason: `link is ${rawStatus}` };
    case "Stopped":
    case "Initial":
      if (auto) return { kind: "wait", reason: "starting the link", act: "start" };
      break;
    case "Paused":
      if (auto) return { kind: "wait", reason: "resuming the link", act: "resume" };
      break;
    case "Stopping":
    case "Pausing":
      if (auto) return { kind: "wait", reason: `waiting for ${rawStatus}` };
      break;
    case "Unknown":
      break;
  }
  return {
    kind: "refuse",
    reason:
      `Link connection ${describeLink(link)} is ${rawStatus || "in an unknown state"}: tables can only be ` +
      `added to a running link. Start it${status === "Paused" ? " (resume)" : ""}, or set AUTO_START_LINKS=true to let the app do it.`,
  };
}
