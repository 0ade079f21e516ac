import { describeLink, linkWorkerInstanceId, type LinkRef } from "../domain/linkRef";
import { normaliseLinkTableId } from "../domain/linkTableId";
import type { TableStatus } from "../domain/tableStatus";
import type { LinkTableRecord } from "../ledger/ledger";
import { publishTableOutcomes, type SettledTable } from "../outcomes/outcomePublisher";
import type { LinkTableState, SynapseLinkClient } from "../synapse/synapseLinkClient";
import { isDue, nextEditAt } from "./batchPlan";
import { failTables, settledTable } from "./failTables";
import { endTablesOfMissingLink, linkIsGone, unconfiguredWorkspace } from "./missingLink";
import { findOwnerElsewhere } from "./tableOwners";
import { failureOf, nextTableState } from "./tableTransition";
import type { WorkerDeps } from "./workerDeps";

export interface MonitorSummary {
  /** Tables the worker still waits for (sent, not yet Replicating / Removed / Failed). */
  active: number;
  /** Tables waiting for an edit (remediation, deferred batch, cool-down); at least 1 when any is, not always all. */
  pending: number;
  /** Pending tables that may be edited now. */
  pendingDue: number;
  /** When the earliest held-back table may be edited. */
  nextEditAt?: string;
  /**
   * Tables per status: those in flight and those read while pending; every table of the link once
   * none is left in flight or pending (the link's last poll).
   */
  counts: Partial<Record<TableStatus, number>>;
  /** Statuses changed since the previous poll (keeps the poll interval short). */
  changed: number;
}

const WATCHED: ReadonlySet<TableStatus> = new Set(["Adding", "Waiting", "Snapshotting", "Suspended"]);
const IN_FLIGHT: readonly TableStatus[] = [...WATCHED, "Removing"];

/** The last status poll of each link, per Synapse client (so per process): when, and what it changed. */
const lastPolls = new WeakMap<SynapseLinkClient, Map<string, { at: number; changed: number }>>();

/**
 * A poll within POLL_MIN_SECONDS of the previous one, with no watched table written since, would
 * only read the same statuses again: it happens when nudges wake the worker for requests it has
 * already claimed (each wakes it once). It is answered from the ledger, reporting what the poll it
 * stands in for changed so the poll interval evolves as before. In-process only: another instance,
 * or a restart, simply polls.
 */
function recentPoll(
  synapse: SynapseLinkClient,
  link: LinkRef,
  watched: readonly LinkTableRecord[],
  now: number,
  pollMinSeconds: number,
): { changed: number } | undefined {
  const last = lastPolls.get(synapse)?.get(linkWorkerInstanceId(link));
  if (!last || now < last.at || now - last.at >= pollMinSeconds * 1000) return undefined;
  return watched.every((r) => Date.parse(r.updatedAt) <= last.at) ? last : undefined;
}

function rememberPoll(synapse: SynapseLinkClient, link: LinkRef, at: number, changed: number): void {
  let byLink = lastPolls.get(synapse);
  if (!byLink) lastPolls.set(synapse, (byLink = new Map<string, { at: number; changed: number }>()));
  byLink.set(linkWorkerInstanceId(link), { at, changed });
}

/**
 * One monitoring poll: reads every page of `querytablestatus`, decides each watched table's next
 * state (`nextTableState`), saves what changed and reports tables that reached a final status.
 * Ids are matched after normalising them (the service may drop dashes or change case).
 */
export async function monitorTables(deps: WorkerDeps, link: LinkRef, now: string): Promise<MonitorSummary> {
  const { ledger, synapse, settings, outcomes } = deps;
  const unreachable = unconfiguredWorkspace(deps, link);
  if (unreachable !== undefined) {
    // Nothing can be asked until the setting comes back (a settings change may be undone in
    // minutes, and the tables may well be replicating): each table in flight ends at its deadline.
    const sent = await ledger.listLinkTables(link, IN_FLIGHT);
    const limitMs = settings.tableDeadlineMinutes * 60_000;
    const overdue = sent.filter((r) => Date.parse(now) - Date.parse(r.editedAt ?? r.updatedAt) > limitMs);
    await failTables(
      deps,
      link,
      now,
      overdue,
      () =>
        `${unreachable}; no status was read within ${settings.tableDeadlineMinutes} minutes (TABLE_DEADLINE_MINUTES)`,
    );
    return summarise(await ledger.listLinkTables(link), overdue.length, now);
  }
  // The tables in flight and the first page of pending ones with one due (filtered by the store):
  // a poll reads what may change, not the link's finished tables.
  const inFlight = await ledger.listLinkTables(link, IN_FLIGHT);
  const pending = await ledger.listLinkTables(link, ["Pending"], (soFar) => soFar.some((r) => isDue(r, now)));
  // Nothing left to watch or edit: the whole link once, for the final counts.
  const records =
    inFlight.length === 0 && pending.length === 0
      ? await ledger.listLinkTables(link)
      : [...inFlight, ...pending];
  const watched = records.filter((r) => WATCHED.has(r.status));
  const changed: LinkTableRecord[] = [];

  if (watched.length > 0) {
    const recent = recentPoll(synapse, link, watched, Date.parse(now), settings.pollMinSeconds);
    if (recent) return summarise(records, recent.changed, now);
    const states = new Map<string, LinkTableState>();
    let answered: LinkTableState[];
    try {
      answered = await synapse.queryTableStatus(link);
    } catch (error) {
      if (!(await linkIsGone(synapse, link, error))) throw error;
      // Deleted while tables were in flight: retrying would never end them.
      const ended = await endTablesOfMissingLink(deps, link, now);
      return summarise(await ledger.listLinkTables(link), ended, now);
    }
    for (const state of answered) {
      // Whichever field the service echoes the app's id in (docs/real-service.md, question 1).
      if (state.linkTableId) states.set(normaliseLinkTableId(state.linkTableId), state);
      states.set(normaliseLinkTableId(state.id), state);
    }
    const stateOf = (r: LinkTableRecord): LinkTableState | undefined =>
      r.linkTableId ? states.get(normaliseLinkTableId(r.linkTableId)) : undefined;
    const targetHint = watched.some((r) => failureOf(stateOf(r))?.kind === "nonEmptyTarget")
      ? await nonEmptyTargetHint(synapse, link)
      : undefined;

    for (const record of watched) {
      const state = stateOf(record);
      const owner =
        failureOf(state)?.kind === "enabledElsewhere"
          ? await findOwnerElsewhere(deps, link, record.source, now)
          : undefined;
      const next = nextTableState(record, state, {
        now,
        settings,
        ...(owner ? { owner } : {}),
        ...(targetHint ? { targetHint } : {}),
      });
      if (next) {
        changed.push(next);
        Object.assign(record, next);
      }
    }
    // Saved first, then reported: a report never announces what the ledger does not hold (a
    // deadline's Failed, decided again on a retry, could become Replicating). A crash in between
    // loses the report (docs/events.md). One Event Grid batch for the whole poll.
    await ledger.saveLinkTables(link, changed);
    rememberPoll(synapse, link, Date.parse(now), changed.length);
    const settled = changed.flatMap((record): SettledTable[] =>
      record.status === "Replicating" || record.status === "Failed"
        ? [settledTable(link, { ...record, status: record.status })]
        : [],
    );
    await publishTableOutcomes(outcomes, settled);
  }
  return summarise(records, changed.length, now);
}

function summarise(records: readonly LinkTableRecord[], changed: number, now: string): MonitorSummary {
  const counts: Partial<Record<TableStatus, number>> = {};
  for (const r of records) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const pending = records.filter((r) => r.status === "Pending");
  const next = nextEditAt(pending, now);
  return {
    active: records.filter((r) => WATCHED.has(r.status) || r.status === "Removing").length,
    pending: pending.length,
    pendingDue: pending.filter((r) => isDue(r, now)).length,
    ...(next ? { nextEditAt: next } : {}),
    counts,
    changed,
  };
}

/** Under FailOnNonEmptyTable, re-adding cannot cure a non-empty target: the hint says what can. */
async function nonEmptyTargetHint(synapse: SynapseLinkClient, link: LinkRef): Promise<string | undefined> {
  const info = await synapse.getLinkConnection(link);
  const action = info?.actionOnExistingTargetTable ?? "FailOnNonEmptyTable";
  return action === "FailOnNonEmptyTable"
    ? `link ${describeLink(link)} has actionOnExistingTargetTable=FailOnNonEmptyTable: a non-empty target table ` +
        "makes the add fail; empty or drop it, or set DropAndRecreateTable or MergeWithExistingData on the link"
    : undefined;
}
