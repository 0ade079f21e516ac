import { describeLink, type LinkRef } from "../domain/linkRef";
import { plusSeconds } from "../domain/time";
import { qualifiedName, tableKey } from "../domain/tableName";
import type { LinkTableRecord } from "../ledger/ledger";
import { classifyTableFailure } from "../synapse/tableFailure";
import { isDue, nextEditAt, planBatch, withoutSendingMark } from "./batchPlan";
import { linkReadiness } from "./linkReadiness";
import {
  isRejection,
  SynapseRequestError,
  type LinkDetailedStatus,
  type LinkedTable,
  type LinkTableEdit,
} from "../synapse/synapseLinkClient";
import { afterRemovalLanded } from "./reAddCooldown";
import { failTables, reportFailedTables } from "./failTables";
import { linkIsGone, unconfiguredWorkspace } from "./missingLink";
import { entriesByTable, entryToWatch, removalToRetry, removeExtraEntries } from "./linkedEntries";
import { findOwnerElsewhere, ownersElsewhere } from "./tableOwners";
import { enabledElsewhereGivingUp } from "./tableTransition";
import type { WorkerDeps } from "./workerDeps";
import { SERVICE_TABLES_PER_LINK } from "../config";

export type SendResult =
  /** No table is due for an edit; `nextEditAt` is when the next one is (a cool-down ends). */
  | { kind: "nothingToSend"; nextEditAt?: string; notice?: string }
  /** The link is not ready yet; `act` asks the orchestrator to start or resume it first. */
  | { kind: "wait"; reason: string; act?: "start" | "resume" }
  /** The link cannot take tables (missing, stopped without AUTO_START_LINKS): pending tables failed. */
  | { kind: "refused"; reason: string }
  | {
      kind: "sent";
      added: number;
      removed: number;
      failed: number;
      deferred: number;
      /** The service's answer to the edit showed it applied: nothing is left to confirm. */
      applied: boolean;
      nextEditAt?: string;
      /** Worth a log line: a table the link held twice (linkedEntries.ts). */
      notice?: string;
    };

/**
 * How long one send activity keeps sending batches back to back. Far below the function timeout
 * (30 minutes by default on Flex Consumption) even when the last call rides out a minute of
 * throttling; what is left goes out from the next poll, which comes at once.
 */
export const SEND_ACTIVITY_BUDGET_MS = 5 * 60_000;

/**
 * The link's due edits, in `edittables` calls of up to EDIT_BATCH_MAX_TABLES: readiness, the batch
 * plan and the edits, in one activity so that no table list travels through the orchestration.
 * Plain adds go out without reading the link's tables first: a table the link already holds comes
 * back refused (then the tables are read and the batch planned again) or listed in the answer under
 * its own entry (then that entry is watched). They are read first only when planning needs them
 * (`mustReadLinkTables`): removals and re-adds, a lower MAX_TABLES_PER_LINK, and tables an earlier
 * send may have edited without its answer being saved (`sendingAt`, set before every call). While
 * the service's answer lists the whole link and shows each batch applied, the next batch is planned
 * against that answer and sent at once: a big backlog costs one call per batch, not a poll per batch.
 */
export async function sendEdits(deps: WorkerDeps, link: LinkRef, now: string): Promise<SendResult> {
  const { ledger, synapse, settings } = deps;
  const clock = deps.clock ?? Date.now;
  const started = clock();
  let pending = await duePending(deps, link, now);
  if (!pending.some((r) => isDue(r, now))) return nothingToSend(pending, now);

  const refuse = async (reason: string): Promise<SendResult> => {
    // Reported like a poll's failures: events, metrics, the "failed for good" alert.
    await failTables(deps, link, now, await ledger.listLinkTables(link, ["Pending"]), () => reason);
    return { kind: "refused", reason };
  };
  const unreachable = unconfiguredWorkspace(deps, link);
  if (unreachable !== undefined) return refuse(unreachable);
  // detailedstatus answers 404 for a link that does not exist: no separate `get` is needed.
  const detailed = await detailedStatusOrMissing(synapse, link);
  if (!detailed) return refuse(`Link connection ${describeLink(link)} does not exist`);
  const readiness = linkReadiness(link, detailed, settings);
  if (readiness.kind === "refuse") return refuse(readiness.reason);
  if (readiness.kind === "wait") {
    await failTablesTheLinkHeldBack(deps, link, now, readiness.reason, pending);
    return readiness;
  }

  // What the link holds, when read (or listed whole by the last answer); undefined: not read.
  let linked: Map<string, LinkedTable[]> | undefined;
  const readLinkTables = async () => (linked = entriesByTable(await synapse.listLinkTables(link)));
  // A service that reports isApplyingChanges may still be applying what it answered with.
  const answerShowsApplied = detailed.isApplyingChanges === undefined;
  const sent = { added: 0, removed: 0, failed: 0, applied: true, deferred: 0, batches: 0 };
  // A duplicate entry whose removal faulted: the confirm step finds it again and retries.
  let cleanupLeft = false;
  const notices: string[] = [];
  let nextEdit: string | undefined;
  let refusal: { edits: readonly LinkTableEdit[]; error: SynapseRequestError } | undefined;
  let byKey = new Map(pending.map((r) => [tableKey(r.source), r]));
  // The first read stopped early only when two batches' worth were due; else it holds them all.
  let wholeBacklog = pending.filter((r) => isDue(r, now)).length < 2 * settings.editBatchMaxTables;
  for (;;) {
    if (!linked && mustReadLinkTables(pending, now, settings)) await readLinkTables();
    // Other links' tables are not listed before the edit: the service refuses a table another link
    // holds (SQL 22718), and only then are the workspace's links read to name the holder.
    const plan = planBatch({ link, pending, linked, now, settings });
    // Saved before the call: a send that finds the mark knows the edit may have landed.
    const sending = plan.edits.flatMap((e) => {
      const record = byKey.get(tableKey(e.source));
      return record ? [{ ...record, sendingAt: now }] : [];
    });
    // The app's own second entries go before the records watching the other entry are saved: a
    // crash in between leaves them marked, and the next send reads the link and finds them again.
    const cleanup = await removeExtraEntries(synapse, link, plan.duplicates, "duplicate");
    if (cleanup) notices.push(cleanup.notice);
    if (removalToRetry(cleanup)) cleanupLeft = true;
    await ledger.saveLinkTables(link, [...plan.settled, ...sending]);
    nextEdit = plan.nextEditAt;
    sent.deferred = plan.deferred;
    if (plan.edits.length === 0) break;
    const outcome = await applyBatch(deps, link, plan.edits, byKey, now, {
      linked,
      answerShowsApplied,
      ...(refusal && sameTables(refusal.edits, plan.edits) ? { refused: refusal.error } : {}),
    });
    if (outcome.kind === "refusedUnread") {
      // Refused before the link's tables were read: perhaps over a table the link already holds.
      // Planned again against them (the marks stay until the answer is saved); the same batch
      // again goes straight to being split, without a second identical call.
      refusal = { edits: plan.edits, error: outcome.error };
      await readLinkTables();
      continue;
    }
    refusal = undefined;
    if (outcome.notice !== undefined) notices.push(outcome.notice);
    sent.batches++;
    sent.added += outcome.added;
    sent.removed += outcome.removed;
    sent.failed += outcome.failed;
    sent.applied &&= outcome.applied;
    if (outcome.cleanupLeft) cleanupLeft = true;
    const outOfTime = clock() - started >= SEND_ACTIVITY_BUDGET_MS;
    if (plan.deferred === 0 || !outcome.applied || outOfTime) break;
    // Planned on the answer when it lists the whole link; else read again only if planning needs it.
    linked = outcome.linkTables ? entriesByTable(outcome.linkTables) : undefined;
    // The rest of the backlog, read once (pages of 1,000) and then planned batch by batch in memory.
    // Sent or settled now (refused ones included: their saved records may carry a cool-down).
    const handled = new Set([...plan.settled, ...plan.edits].map((t) => tableKey(t.source)));
    if (wholeBacklog) {
      pending = pending.filter((r) => !handled.has(tableKey(r.source)));
    } else {
      pending = await ledger.listLinkTables(link, ["Pending"]);
      byKey = new Map(pending.map((r) => [tableKey(r.source), r]));
      wholeBacklog = true;
    }
  }
  if (sent.batches === 0 && !cleanupLeft) return nothingToSend(pending, now, notices);
  const { added, removed, failed, applied, deferred } = sent;
  return {
    kind: "sent",
    added,
    removed,
    failed,
    deferred,
    applied: applied && !cleanupLeft,
    ...(nextEdit ? { nextEditAt: nextEdit } : {}),
    ...(notices.length > 0 ? { notice: notices.join("; ") } : {}),
  };
}

/**
 * Whether planning the due tables needs the link's tables read first: the id of a table to remove
 * (and whether a re-added one is still there), the table count when MAX_TABLES_PER_LINK is below
 * the service's own limit (which the service enforces itself, SQL 22753), or a table an earlier
 * send marked and did not settle (its edit may have landed: a crash, a retried activity, a save
 * that failed). A plain add needs nothing: see {@link sendEdits}.
 */
export function mustReadLinkTables(
  pending: readonly LinkTableRecord[],
  now: string,
  settings: Pick<WorkerDeps["settings"], "maxTablesPerLink">,
): boolean {
  if (settings.maxTablesPerLink < SERVICE_TABLES_PER_LINK) return true;
  return pending.some((r) => isDue(r, now) && (r.action !== "add" || r.sendingAt !== undefined));
}

/**
 * A link that never becomes ready (stuck Starting, a start that keeps failing, a change that never
 * finishes applying) must not hold its tables for ever: a due Pending table the link has held back
 * for TABLE_DEADLINE_MINUTES fails, naming why. Held back since it became due: its request, or the
 * end of its cool-down (a remediation re-add or an "enabled once" retry keeps the first request's
 * time). Only the records this activity read (the first pages): the rest follow at later polls.
 */
async function failTablesTheLinkHeldBack(
  deps: WorkerDeps,
  link: LinkRef,
  now: string,
  reason: string,
  pending: readonly LinkTableRecord[],
): Promise<void> {
  const { settings } = deps;
  const limitMs = settings.tableDeadlineMinutes * 60_000;
  const heldSince = (r: LinkTableRecord) =>
    Math.max(Date.parse(r.requestedAt ?? r.updatedAt), r.notBefore ? Date.parse(r.notBefore) : 0);
  const overdue = pending.filter((r) => isDue(r, now) && Date.parse(now) - heldSince(r) > limitMs);
  await failTables(
    deps,
    link,
    now,
    overdue,
    (r) =>
      `${qualifiedName(r.source)} could not be sent to link connection ${describeLink(link)} within ` +
      `${settings.tableDeadlineMinutes} minutes (TABLE_DEADLINE_MINUTES): ${reason}`,
  );
}

/**
 * The first of the link's Pending records, filtered by the store, a page at a time until two
 * batches' worth are due: enough to plan one batch. The rest of a big backlog is read once, after
 * the first batch, only when the next can go out at once.
 */
function duePending(deps: WorkerDeps, link: LinkRef, now: string): Promise<LinkTableRecord[]> {
  const enough = 2 * deps.settings.editBatchMaxTables;
  return deps.ledger.listLinkTables(
    link,
    ["Pending"],
    (soFar) => soFar.filter((r) => isDue(r, now)).length >= enough,
  );
}

function sameTables(a: readonly LinkTableEdit[], b: readonly LinkTableEdit[]): boolean {
  const keys = new Set(a.map((e) => `${e.operation} ${e.id}`));
  return a.length === b.length && b.every((e) => keys.has(`${e.operation} ${e.id}`));
}

async function detailedStatusOrMissing(
  synapse: WorkerDeps["synapse"],
  link: LinkRef,
): Promise<LinkDetailedStatus | undefined> {
  try {
    return await synapse.getDetailedStatus(link);
  } catch (error) {
    // Only a 404 the service explains, confirmed by reading the link: failing every pending table on
    // a gateway's 404 would be wrong for good, whereas a fault is retried.
    if (await linkIsGone(synapse, link, error)) return undefined;
    throw error;
  }
}

function nothingToSend(pending: readonly LinkTableRecord[], now: string, notices: string[] = []): SendResult {
  const next = nextEditAt(pending, now);
  return {
    kind: "nothingToSend",
    ...(next ? { nextEditAt: next } : {}),
    ...(notices.length > 0 ? { notice: notices.join("; ") } : {}),
  };
}

/** What the send knew of the link when it planned the batch. */
interface LinkView {
  /** What the link held before the batch, when read (or listed whole by an earlier answer). */
  linked: ReadonlyMap<string, readonly LinkedTable[]> | undefined;
  /** False when the service reports isApplyingChanges: its answer may not show the edit applied yet. */
  answerShowsApplied: boolean;
  /** The service already refused this very batch (before the link was read): split it at once. */
  refused?: SynapseRequestError;
}

type BatchOutcome =
  /** The service refused the batch before the link's tables were read: read them and plan again. */
  | { kind: "refusedUnread"; error: SynapseRequestError }
  | {
      kind: "sent";
      added: number;
      removed: number;
      failed: number;
      applied: boolean;
      /** The app's second entry of a table could not be removed for now (removalToRetry). */
      cleanupLeft: boolean;
      /** The link's tables after the batch, when the answer listed the whole link. */
      linkTables?: LinkedTable[];
      notice?: string;
    };

/**
 * Sends the batch. Throttling and server errors propagate (the guard and the retry policy take
 * over). A refused batch is split: tables another link holds are rejected when the refusal is
 * "enabled once" and the rest sent again; otherwise the batch is halved until each refusal is one
 * table's, judged by its error code. When the link's tables were not read, a refusal is answered
 * first by reading them (`refusedUnread`). When an accepted call's answer lists the link's tables
 * (REC-23), it confirms that call's edits (adds listed, removals not) and names the entry to watch
 * for each added table: its own, or one the link already held.
 */
async function applyBatch(
  deps: WorkerDeps,
  link: LinkRef,
  edits: readonly LinkTableEdit[],
  records: ReadonlyMap<string, LinkTableRecord>,
  now: string,
  view: LinkView,
): Promise<BatchOutcome> {
  const refused = new Map<string, LinkTableRecord>();
  // Each accepted call with what its answer listed, by table (undefined: no table list). An edit is
  // judged on its own call's answer: an answer listing only its call's tables says nothing of the
  // tables of an earlier call.
  const calls: { edits: readonly LinkTableEdit[]; listed?: Map<string, LinkedTable[]> }[] = [];
  // What the service answered last (the link's tables after every accepted edit so far), unless an
  // accepted edit came back without a table list.
  const answers: { last?: LinkedTable[]; missing: boolean } = { missing: false };
  const refuse = async (edit: LinkTableEdit, error: SynapseRequestError) => {
    const record = records.get(tableKey(edit.source));
    if (record) refused.set(tableKey(edit.source), await afterRefusal(deps, link, record, error, now));
  };
  const call = async (batch: readonly LinkTableEdit[]): Promise<void> => {
    const result = await deps.synapse.editTables(link, batch);
    calls.push({ edits: batch, ...(result.linkTables ? { listed: entriesByTable(result.linkTables) } : {}) });
    if (result.linkTables) answers.last = result.linkTables;
    else answers.missing = true;
  };
  const send = async (batch: readonly LinkTableEdit[]): Promise<void> => {
    try {
      await call(batch);
    } catch (error) {
      if (!isRejection(error)) throw error;
      await split(batch, error);
    }
  };
  const split = async (batch: readonly LinkTableEdit[], error: SynapseRequestError): Promise<void> => {
    const [only] = batch;
    if (batch.length === 1 && only) return refuse(only, error);
    const rest = isEnabledElsewhere(error) ? await rejectHeldElsewhere(batch) : batch;
    if (rest.length < batch.length) return rest.length > 0 ? send(rest) : undefined;
    const half = Math.ceil(batch.length / 2);
    await send(batch.slice(0, half));
    await send(batch.slice(half));
  };
  /** Rejects the adds another link holds, naming it; returns the edits left to send. */
  const rejectHeldElsewhere = async (batch: readonly LinkTableEdit[]): Promise<LinkTableEdit[]> => {
    const adds = batch.filter((e) => e.operation === "add").map((e) => e.source);
    const owners = await ownersElsewhere(deps, link, adds, now);
    return batch.filter((edit) => {
      const owner = edit.operation === "add" ? owners.get(tableKey(edit.source)) : undefined;
      const record = records.get(tableKey(edit.source));
      if (owner === undefined || !record) return true;
      refused.set(tableKey(edit.source), heldElsewhere(record, owner, now));
      return false;
    });
  };
  if (view.refused) {
    await split(edits, view.refused);
  } else if (view.linked) {
    await send(edits);
  } else {
    try {
      await call(edits);
    } catch (error) {
      if (isRejection(error)) return { kind: "refusedUnread", error };
      throw error;
    }
  }

  const changed: LinkTableRecord[] = [...refused.values()];
  const duplicates: { id: string; source: LinkTableEdit["source"] }[] = [];
  const landing: boolean[] = [];
  let added = 0;
  let removed = 0;
  for (const { edit, listed } of calls.flatMap((c) => c.edits.map((edit) => ({ edit, listed: c.listed })))) {
    const landed =
      view.answerShowsApplied &&
      listed !== undefined &&
      listed.has(tableKey(edit.source)) === (edit.operation === "add");
    landing.push(landed);
    const record = records.get(tableKey(edit.source));
    if (!record) continue;
    if (edit.operation === "add") {
      added++;
      const watch = entryToWatch(edit.id, listed?.get(tableKey(edit.source)));
      if (watch?.duplicate) duplicates.push({ id: watch.duplicate, source: edit.source });
      const sent: LinkTableRecord = {
        ...record,
        action: "add",
        status: "Adding",
        linkTableId: watch?.id ?? edit.id,
        editedAt: now,
        updatedAt: now,
      };
      delete sent.notBefore;
      changed.push(sent);
    } else {
      removed++;
      const removing: LinkTableRecord = {
        ...record,
        status: "Removing",
        linkTableId: edit.id,
        updatedAt: now,
      };
      changed.push(landed ? afterRemovalLanded(removing, now, deps.settings) : removing);
    }
  }
  // Before the answer is saved, so that a crash in between leaves the records marked and the next
  // send reads the link and finds them again: the app's own second entries are removed.
  const cleanup = await removeExtraEntries(deps.synapse, link, duplicates, "duplicate");
  // The answer is known: the marks set before the call go with this save.
  await deps.ledger.saveLinkTables(link, changed.map(withoutSendingMark));
  await reportFailedTables(deps, link, [...refused.values()]);
  const notice = cleanup?.notice;
  const failed = [...refused.values()].filter((r) => r.status === "Failed" || r.status === "Rejected").length;
  const answer = answers.missing ? undefined : answers.last;
  const accepted = calls.flatMap((c) => c.edits);
  return {
    kind: "sent",
    added,
    removed,
    failed,
    applied: landing.every(Boolean),
    cleanupLeft: removalToRetry(cleanup),
    ...(answer && view.answerShowsApplied && listsWholeLink(answer, view.linked, accepted)
      ? { linkTables: answer }
      : {}),
    ...(notice !== undefined ? { notice } : {}),
  };
}

/**
 * Whether the answer lists the whole link, so the next batch may be planned on it: it shows every
 * accepted edit of the batch, and every table the link held before the batch and did not remove is
 * in it; or, when the link was not read, it lists a table no edit of the batch named. An answer
 * listing the edited tables only (no recording shows which the service sends for a link of several
 * tables) plans nothing.
 */
function listsWholeLink(
  answer: readonly LinkedTable[],
  before: ReadonlyMap<string, readonly LinkedTable[]> | undefined,
  accepted: readonly LinkTableEdit[],
): boolean {
  const listed = new Set(answer.map((t) => tableKey(t.source)));
  const edited = new Set(accepted.map((e) => tableKey(e.source)));
  // It shows every accepted edit of the batch, not only those of its own call (a split batch).
  if (!accepted.every((e) => listed.has(tableKey(e.source)) === (e.operation === "add"))) return false;
  if (!before) return [...listed].some((key) => !edited.has(key));
  const removed = new Set(accepted.filter((e) => e.operation === "remove").map((e) => tableKey(e.source)));
  return [...before.keys()].every((key) => removed.has(key) || listed.has(key));
}

function isEnabledElsewhere(error: SynapseRequestError): boolean {
  return classifyTableFailure(error.code, error.serviceMessage ?? error.message).kind === "enabledElsewhere";
}

function heldElsewhere(
  record: LinkTableRecord,
  owner: string,
  now: string,
  serviceText?: string,
): LinkTableRecord {
  return {
    ...record,
    status: "Rejected",
    error:
      `${qualifiedName(record.source)} is already in link connection ${owner}; a table can belong to one link connection only` +
      (serviceText ? ` (${serviceText})` : ""),
    updatedAt: now,
  };
}

/** What a table becomes when the service refuses its edit: rejected, failed with a fix, or retried later. */
async function afterRefusal(
  deps: WorkerDeps,
  link: LinkRef,
  record: LinkTableRecord,
  error: SynapseRequestError,
  now: string,
): Promise<LinkTableRecord> {
  // The service's own text: the adapter's message also names the link, which could match a number.
  const failure = classifyTableFailure(error.code, error.serviceMessage ?? error.message);
  const fail = (text: string): LinkTableRecord => ({
    ...record,
    status: "Failed",
    error: text,
    updatedAt: now,
  });
  if (failure.kind === "permanent") return fail(`${error.message} (${failure.fix})`);
  if (failure.kind !== "enabledElsewhere" || record.action === "remove") return fail(error.message);

  const owner = await findOwnerElsewhere(deps, link, record.source, now);
  if (owner) return heldElsewhere(record, owner, now, error.message);
  const { enabledOnceMaxRetries, enabledOnceRetrySeconds } = deps.settings;
  if (record.enabledOnceRetries >= enabledOnceMaxRetries) {
    return fail(enabledElsewhereGivingUp(error.message, record.enabledOnceRetries));
  }
  // Most likely a removal the service is still cleaning up: the same add, later.
  return {
    ...record,
    enabledOnceRetries: record.enabledOnceRetries + 1,
    notBefore: plusSeconds(now, enabledOnceRetrySeconds),
    error: error.message,
    updatedAt: now,
  };
}
