import { describeLink, type LinkRef } from "../domain/linkRef";
import { NON_TERMINAL_STATUSES } from "../domain/tableStatus";
import type { LinkTableRecord } from "../ledger/ledger";
import { publishTableOutcomes, type SettledTable } from "../outcomes/outcomePublisher";
import { SynapseRequestError } from "../synapse/synapseLinkClient";
import type { WorkerDeps } from "./workerDeps";

/** The service's answer for a link connection that does not exist (deleted, or never created). */
export function isMissingLink(error: unknown): boolean {
  return error instanceof SynapseRequestError && error.statusCode === 404;
}

/**
 * Why the app can no longer reach the link at all: its workspace left SYNAPSE_WORKSPACES (a
 * redeploy changed the settings) after its requests were recorded. Undefined: it is configured.
 */
export function unconfiguredWorkspace(
  deps: Pick<WorkerDeps, "workspaces">,
  link: LinkRef,
): string | undefined {
  const wanted = link.workspace.toLowerCase();
  if (deps.workspaces.some((w) => w.toLowerCase() === wanted)) return undefined;
  return `workspace ${link.workspace} is no longer configured (SYNAPSE_WORKSPACES: ${deps.workspaces.join(", ")}), so link connection ${describeLink(link)} cannot be reached`;
}

/**
 * The link is gone, or out of the app's reach, while tables are in flight: no poll will ever see
 * them again, so each ends now, failed with `error`. A removal of a link that was deleted is done
 * (the link, and the table in it, are gone); with `removalsDone` false it fails too. The failed
 * tables are reported like a poll's, and their requests finish at the next completion. Returns
 * how many tables ended.
 */
export async function endTablesOfLink(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
  ending: { error: string; removalsDone: boolean },
): Promise<number> {
  const { error, removalsDone } = ending;
  const records = await deps.ledger.listLinkTables(link, NON_TERMINAL_STATUSES);
  const ended = records.map((r): LinkTableRecord =>
    removalsDone && r.status === "Removing" && r.action === "remove"
      ? { ...r, status: "Removed", updatedAt: now }
      : { ...r, status: "Failed", error, updatedAt: now },
  );
  await deps.ledger.saveLinkTables(link, ended);
  await publishTableOutcomes(
    deps.outcomes,
    ended.flatMap((r): SettledTable[] =>
      r.status === "Failed"
        ? [
            {
              ...link,
              table: r.source,
              requestIds: r.requestIds,
              status: "Failed",
              remediationAttempts: r.attempts,
              error,
              ...(r.requestedAt ? { requestedAt: r.requestedAt } : {}),
            },
          ]
        : [],
    ),
  );
  return ended.length;
}

/** {@link endTablesOfLink} for a link the service says does not exist. */
export function endTablesOfMissingLink(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
): Promise<number> {
  return endTablesOfLink(deps, link, now, {
    error: `Link connection ${describeLink(link)} does not exist: it was deleted while its tables were being onboarded`,
    removalsDone: true,
  });
}
