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
 * The link was deleted while its tables were in flight: no poll will ever see them again, so each
 * ends now. Adds and re-adds fail naming the link; a removal is done (the link, and the table in
 * it, are gone). The failed tables are reported like a poll's, and their requests finish at the
 * next completion. Returns how many tables ended.
 */
export async function endTablesOfMissingLink(
  deps: Pick<WorkerDeps, "ledger" | "outcomes">,
  link: LinkRef,
  now: string,
): Promise<number> {
  const records = await deps.ledger.listLinkTables(link, NON_TERMINAL_STATUSES);
  const error = `Link connection ${describeLink(link)} does not exist: it was deleted while its tables were being onboarded`;
  const ended = records.map((r): LinkTableRecord =>
    r.status === "Removing" && r.action === "remove"
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
