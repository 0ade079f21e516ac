import type { WorkerSettings } from "../config";
import { qualifiedName } from "../domain/tableName";
import type { LinkTableRecord } from "../ledger/ledger";
import { classifyTableFailure, type TableFailureClass } from "../synapse/tableFailure";
import type { LinkTableState } from "../synapse/synapseLinkClient";

export type TransitionSettings = Pick<
  WorkerSettings,
  "remediationMaxAttempts" | "tableDeadlineMinutes" | "enabledOnceMaxRetries"
>;

export interface TransitionContext {
  now: string;
  settings: TransitionSettings;
  /** For a table that failed as "enabled once": the link (of any configured workspace) holding it. */
  owner?: string;
  /**
   * For a failure blamed on a non-empty target table: the hint naming the link's
   * `actionOnExistingTargetTable` when that setting makes re-adding futile; undefined otherwise.
   */
  targetHint?: string;
}

export function serviceError(
  state: Pick<LinkTableState, "errorCode" | "errorMessage" | "rawStatus">,
): string {
  return [state.errorCode, state.errorMessage].filter(Boolean).join(": ") || `status ${state.rawStatus}`;
}

/** What the shell must look up before it can decide on a Failed table. */
export function failureOf(state: LinkTableState | undefined): TableFailureClass | undefined {
  return state?.status === "Failed" ? classifyTableFailure(state.errorCode, state.errorMessage) : undefined;
}

/**
 * One watched table, one poll: the record, what the service says of it, and the time → the next
 * record, or undefined when nothing changes. Failures are classified by error code: permanent ones
 * fail at once with what to fix; "enabled once" is a table held elsewhere (rejected) or a removal
 * still being cleaned up (re-added after a cool-down, a bounded number of times); anything else is
 * remediated by remove-and-re-add, a bounded number of times.
 */
export function nextTableState(
  record: LinkTableRecord,
  state: LinkTableState | undefined,
  context: TransitionContext,
): LinkTableRecord | undefined {
  const { now, settings } = context;
  const failure = failureOf(state);
  if (state && failure) {
    const next = afterFailure(record, serviceError(state), failure, context);
    // The service's entry failed, and stays so in the link (a request for the table again removes it).
    return next.status === "Failed" ? { ...next, entryFailed: true } : next;
  }

  // A table the service reports Replicating got there, however late the worker looks: a poll held
  // back (a paused SQL pool, a back-off, a redeploy) must not turn that into a deadline failure.
  const arrived = state?.status === "Replicating";
  const deadline = Date.parse(record.editedAt ?? record.updatedAt) + settings.tableDeadlineMinutes * 60_000;
  if (!arrived && Date.parse(now) > deadline) {
    return {
      ...record,
      status: "Failed",
      error: `${qualifiedName(record.source)} did not reach Replicating within ${settings.tableDeadlineMinutes} minutes (last status ${state?.rawStatus ?? record.status}; TABLE_DEADLINE_MINUTES)`,
      updatedAt: now,
    };
  }
  if (state && state.status !== "Unknown" && state.status !== record.status) {
    const next: LinkTableRecord = { ...record, status: state.status, updatedAt: now };
    if (state.status === "Replicating") delete next.error;
    return next;
  }
  return undefined;
}

function afterFailure(
  record: LinkTableRecord,
  text: string,
  failure: TableFailureClass,
  context: TransitionContext,
): LinkTableRecord {
  const { now, settings } = context;
  const fail = (error: string): LinkTableRecord => ({ ...record, status: "Failed", error, updatedAt: now });
  switch (failure.kind) {
    case "permanent":
      return fail(`${text} (${failure.fix}; removing and re-adding the table cannot fix this)`);
    case "nonEmptyTarget":
      if (context.targetHint) return fail(`${text} (${context.targetHint})`);
      return remediate(record, text, context);
    case "enabledElsewhere":
      if (context.owner) {
        return {
          ...record,
          status: "Rejected",
          error: `${qualifiedName(record.source)} is already in link connection ${context.owner}; a table can belong to one link connection only (${text})`,
          updatedAt: now,
        };
      }
      if (record.enabledOnceRetries < settings.enabledOnceMaxRetries) {
        // The removal of an earlier add is still being cleaned up: remove ours, wait, add again.
        return reAdd(record, text, now, { enabledOnceRetries: record.enabledOnceRetries + 1 });
      }
      return fail(enabledElsewhereGivingUp(text, record.enabledOnceRetries));
    case "transient":
      return remediate(record, text, context);
  }
}

/** Queues the table to be removed and added again, counting the attempt in `counter`. */
function reAdd(
  record: LinkTableRecord,
  error: string,
  now: string,
  counter: Pick<LinkTableRecord, "attempts"> | Pick<LinkTableRecord, "enabledOnceRetries">,
): LinkTableRecord {
  return { ...record, ...counter, action: "reAdd", status: "Pending", error, updatedAt: now };
}

function remediate(
  record: LinkTableRecord,
  text: string,
  { now, settings }: TransitionContext,
): LinkTableRecord {
  if (record.attempts < settings.remediationMaxAttempts) {
    // The documented remedy for a Failed table: remove it from the link and add it back.
    return reAdd(record, text, now, { attempts: record.attempts + 1 });
  }
  return {
    ...record,
    status: "Failed",
    error: record.attempts > 0 ? `${text} (after ${record.attempts} remove-and-re-add attempts)` : text,
    updatedAt: now,
  };
}

/** The service's one wording covers two causes; when no configured link holds the table, name both. */
export function enabledElsewhereGivingUp(text: string, retries: number): string {
  return (
    `${text} (still refused after ${retries} retries. No link connection of the configured workspaces holds the ` +
    "table, so either a link connection in another workspace (or another tool) has it enabled, or the removal " +
    "of an earlier add is still being cleaned up by the service; remove it from the other link, or try again later)"
  );
}
