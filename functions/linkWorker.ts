import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import { DEFAULT_WORKER_SETTINGS } from "../shared/config";
import { getDependencies } from "../shared/dependencies";
import { withInvocationLogger } from "./invocationLogger";
import { describeLink } from "../shared/domain/linkRef";
import { scopedLogger } from "../shared/logger";
import { claimPendingRequests, type ClaimResult } from "../shared/worker/claimPendingRequests";
import { closeIfIdle, type IdleCheck } from "../shared/worker/closeIfIdle";
import { completeRequests, type CompletionResult } from "../shared/worker/completeRequests";
import { checkSqlPool, type CheckSqlPoolInput, type SqlPoolCheck } from "../shared/worker/checkSqlPool";
import { confirmEditsApplied, type ConfirmResult } from "../shared/worker/confirmEditsApplied";
import { LINK_WORKER_ORCHESTRATION, REQUEST_QUEUED_EVENT } from "../shared/worker/ensureLinkWorker";
import { faultBackoffSeconds } from "../shared/worker/faultBackoff";
import { guardSynapse, isDeferred, type Deferred } from "../shared/worker/guardSynapse";
import {
  boundedDetail,
  LINK_WORKER_REVISION,
  type LinkActivityInput,
  type LinkWorkerInput,
  type LinkWorkerStatus,
  type RecordHealthInput,
  type StartLinkInput,
  type WorkerCarry,
} from "../shared/worker/linkWorkerInput";
import { monitorTables, type MonitorSummary } from "../shared/worker/monitorTables";
import { nextPollSeconds } from "../shared/worker/pollInterval";
import { recordWorkerHealth } from "../shared/worker/recordWorkerHealth";
import { sendEdits, type SendResult } from "../shared/worker/sendEdits";
import { startLink } from "../shared/worker/startLink";

/*
 * One durable worker per link connection (docs/worker.md): claim what is queued, send one batched
 * edittables, confirm it applied, then watch every table to Replicating on an adaptive timer that
 * a queued request interrupts. State lives in the ledger; the orchestration only sequences
 * activities. A fault that outlasts an activity's retries, an open circuit breaker or throttling
 * makes the worker back off on a durable timer, never fail.
 */

/**
 * What the claim and completion activities hand the orchestrator: counts, not request ids, so
 * that a burst of thousands of requests adds a few bytes to the history, not their ids (the ids
 * go to the activity's log). Results recorded by earlier versions carry the ids instead.
 */
interface ClaimSummary extends Omit<ClaimResult, "claimedRequestIds"> {
  /** Absent in results recorded by earlier versions, which carry `claimedRequestIds`. */
  claimed?: number;
  claimedRequestIds?: string[];
}
interface CompletionSummary extends Omit<CompletionResult, "completedRequestIds"> {
  /** Absent in results recorded by earlier versions, which carry `completedRequestIds`. */
  completed?: number;
  completedRequestIds?: string[];
}
const claimedIn = (r: ClaimSummary) => r.claimed ?? r.claimedRequestIds?.length ?? 0;
const completedIn = (r: CompletionSummary) => r.completed ?? r.completedRequestIds?.length ?? 0;

/** Activity names and their input → result types: the one place calls and handlers agree on. */
interface Activities {
  linkWorker_claimPendingRequests: [LinkActivityInput & { allMarkers?: boolean }, ClaimSummary];
  linkWorker_checkSqlPool: [CheckSqlPoolInput, SqlPoolCheck | Deferred];
  linkWorker_sendEdits: [LinkActivityInput, SendResult | Deferred];
  linkWorker_startLink: [StartLinkInput, { kind: "requested" } | Deferred];
  linkWorker_confirmApplied: [LinkActivityInput, ConfirmResult | Deferred];
  linkWorker_monitorTables: [LinkActivityInput, MonitorSummary | Deferred];
  linkWorker_completeRequests: [LinkActivityInput & { changedSince?: string }, CompletionSummary];
  linkWorker_closeIfIdle: [LinkActivityInput, IdleCheck];
  linkWorker_recordHealth: [RecordHealthInput, null];
}
type ActivityName = keyof Activities;

/** Why a step could not go on: a fault that outlasted the retries, or a deferral with its time. */
type Trouble = { kind: "fault"; reason: string } | Deferred;
type Step<T> = { ok: true; value: T } | { ok: false; trouble: Trouble };

/** Infrastructure faults (storage, Synapse 5xx after the SDK's own retries). No retry timeout: durable-js #629. */
function activityRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(5_000, 5);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 60_000;
  return retry;
}

/** Confirmation polls before the worker moves on to monitoring (the table deadline still applies). */
const MAX_CONFIRM_POLLS = 40;

/** A poll's end: wait (until, with the new interval), go again at once, finish, or back off. */
type PollEnd =
  | { kind: "wait"; until: Date; pollSeconds: number }
  | { kind: "again" }
  | { kind: "finished"; tables: MonitorSummary["counts"] }
  | { kind: "trouble"; trouble: Trouble };

/** The edit step's end: done (sent, or nothing to send), blocked by the link or its SQL pool, or a poll's end. */
type EditEnd = PollEnd | { kind: "done" } | { kind: "blocked"; reason: string };

class WorkerRun {
  private readonly retry = activityRetry();
  /**
   * The requestQueued waits of earlier waits that their timers ended, still open (docs/worker.md
   * "Nudges"). Each wait is yielded once only: durable-functions lists a wait again every time it
   * is yielded, and a nudge taken by a listed copy of a wait already completed would be lost.
   */
  private openNudges: Task[] = [];
  /** Revisions 1 to 3: one wait, kept across polls and replaced once it completed. */
  private keptNudge: Task | undefined;
  poll = 0;
  /** The preflight's notice (git mode, an unknown pool) is logged once per execution. */
  noticed = false;
  /**
   * Whether a table record may have become final since completion last ran (true at the start of
   * every execution), and the open requests it counted then.
   */
  completionDue = true;
  /**
   * Whether the next completion sweeps the link's open requests (the first of every execution,
   * after a claim that took tables from requests, before closing) or passes over what changed
   * since the last one (`lastCompletionAt`).
   */
  completionSweep = true;
  /**
   * Whether this execution's claims have read every open-request marker once: the later ones read
   * only markers flagged unclaimed (filtered by the store), and the first finds those an earlier
   * version wrote without the flag.
   */
  markersSwept = false;
  lastCompletionAt: string | undefined;
  openRequests = 0;
  /**
   * When the tables in flight are next due a monitoring poll (orchestration time, ms): while edits
   * are blocked the worker checks the link or pool every POLL_MIN_SECONDS, but watches the tables
   * on the adaptive interval. Carried across continueAsNew; 0: at once.
   */
  monitorDueAt = 0;

  constructor(
    private readonly context: OrchestrationContext,
    readonly input: LinkWorkerInput,
    public carry: WorkerCarry,
  ) {
    if (this.revision < 4) this.keptNudge = context.df.waitForExternalEvent(REQUEST_QUEUED_EVENT);
    this.monitorDueAt = input.carry?.monitorDueAt ? Date.parse(input.carry.monitorDueAt) : 0;
  }

  /** The orchestrator revision this execution runs (docs/worker.md "Changing the orchestrator"). */
  get revision(): number {
    return this.input.revision ?? 1;
  }

  get settings() {
    return this.input.settings;
  }

  get now(): Date {
    return this.context.df.currentUtcDateTime;
  }

  secondsFromNow(seconds: number): Date {
    return new Date(this.now.getTime() + seconds * 1000);
  }

  linkInput(): LinkActivityInput {
    return { link: this.input.link, now: this.now.toISOString() };
  }

  status(s: Omit<LinkWorkerStatus, "execution" | "poll">): void {
    const detail = s.detail === undefined ? {} : { detail: boundedDetail(s.detail) };
    this.context.df.setCustomStatus({ ...s, ...detail, execution: this.input.execution, poll: this.poll });
  }

  log(message: string): void {
    if (!this.context.df.isReplaying) this.context.log(`${describeLink(this.input.link)}: ${message}`);
  }

  /** A typed activity call; a failure after the retries, or a deferral, comes back as trouble. */
  *call<N extends ActivityName>(
    name: N,
    input: Activities[N][0],
  ): Generator<Task, Step<Exclude<Activities[N][1], Deferred>>, unknown> {
    let value: unknown;
    try {
      value = yield this.context.df.callActivityWithRetry(name, this.retry, input);
    } catch (error) {
      // The first line: the rest is the activity's stack trace.
      const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
      return { ok: false, trouble: { kind: "fault", reason: reason.trim() } };
    }
    if (isDeferred(value)) return { ok: false, trouble: value };
    return { ok: true, value: value as Exclude<Activities[N][1], Deferred> };
  }

  *sleepUntil(until: Date): Generator<Task, void, unknown> {
    yield this.context.df.createTimer(until);
  }

  /**
   * Waits for the timer or a nudge. A nudge that arrived while activities ran has completed a wait
   * left open by an earlier timer, or waits for the next wait to be yielded: either way the wait
   * ends at once. Returns what ended it.
   */
  *waitForNudgeOrTimer(until: Date): Generator<Task, "nudge" | "timer", unknown> {
    if (this.keptNudge) return yield* this.waitForKeptNudgeOrTimer(this.keptNudge, until);
    const stillOpen = this.openNudges.filter((wait) => !wait.isCompleted);
    const arrived = stillOpen.length < this.openNudges.length;
    this.openNudges = stillOpen;
    if (arrived) return "nudge";
    const nudge = this.context.df.waitForExternalEvent(REQUEST_QUEUED_EVENT);
    const timer = this.context.df.createTimer(until);
    const winner: unknown = yield this.context.df.Task.any([timer, nudge]);
    if (winner === timer) {
      this.openNudges.push(nudge);
      return "timer";
    }
    // An uncancelled timer keeps the instance open until it fires (DTFx waits for open tasks).
    timer.cancel();
    return "nudge";
  }

  /** How revisions 1 to 3 waited, for their executions' histories to replay as they ran. */
  private *waitForKeptNudgeOrTimer(kept: Task, until: Date): Generator<Task, "nudge" | "timer", unknown> {
    if (kept.isCompleted) {
      this.keptNudge = this.context.df.waitForExternalEvent(REQUEST_QUEUED_EVENT);
      return "nudge";
    }
    const timer = this.context.df.createTimer(until);
    const winner: unknown = yield this.context.df.Task.any([timer, kept]);
    if (winner === timer) return "timer";
    timer.cancel();
    this.keptNudge = this.context.df.waitForExternalEvent(REQUEST_QUEUED_EVENT);
    return "nudge";
  }
}

const linkWorker: OrchestrationHandler = function* (context: OrchestrationContext) {
  const given = context.df.getInput<LinkWorkerInput>();
  // Inputs written by earlier versions may carry a whole request as the link, or lack newer
  // settings: keep the link's name only, and fill what is missing from the defaults.
  const input: LinkWorkerInput = {
    ...given,
    link: { workspace: given.link.workspace, linkConnection: given.link.linkConnection },
    settings: { ...DEFAULT_WORKER_SETTINGS, ...given.settings },
  };
  const run = new WorkerRun(
    context,
    input,
    input.carry ?? { pollSeconds: input.settings.pollMinSeconds, faults: 0 },
  );
  // An execution ends after a wait its timer ended, so no nudge it consumed is carried over
  // into the next one; nudges can extend it up to twice the configured polls.
  for (; run.poll < 2 * run.settings.pollsPerExecution; run.poll++) {
    const end = yield* pollOnce(run);
    if (end.kind === "finished") return { finishedAt: run.now.toISOString(), tables: end.tables };
    if (end.kind === "again") continue;
    if (end.kind === "trouble") {
      yield* backOff(run, end.trouble);
      if (run.poll + 1 >= run.settings.pollsPerExecution) break;
      continue;
    }
    if (run.carry.faults > 0) yield* recordRecovery(run);
    run.carry = { pollSeconds: end.pollSeconds, faults: 0 };
    const woke = yield* run.waitForNudgeOrTimer(end.until);
    if (woke === "timer" && run.poll + 1 >= run.settings.pollsPerExecution) break;
  }
  context.df.continueAsNew({
    ...input,
    execution: input.execution + 1,
    // A resume in flight is polled on in the next execution too, not started again; a blocked
    // worker keeps its monitoring interval.
    carry: {
      pollSeconds: run.carry.pollSeconds,
      faults: run.carry.faults,
      ...(run.monitorDueAt > run.now.getTime()
        ? { monitorDueAt: new Date(run.monitorDueAt).toISOString() }
        : {}),
    },
    revision: LINK_WORKER_REVISION,
  } satisfies LinkWorkerInput);
  return undefined;
};

/** One poll: claim, edit what is due, watch the tables, close finished requests, decide what next. */
function* pollOnce(run: WorkerRun): Generator<Task, PollEnd, unknown> {
  const { revision } = run;
  run.status({ phase: "claiming" });
  const claim = yield* run.call(
    "linkWorker_claimPendingRequests",
    run.markersSwept ? run.linkInput() : { ...run.linkInput(), allMarkers: true },
  );
  if (!claim.ok) return { kind: "trouble", trouble: claim.trouble };
  run.markersSwept = true;
  const claimed = claimedIn(claim.value);
  run.openRequests += claimed;
  if ((claim.value.releasedTables ?? 0) > 0) run.completionSweep = true;
  if (claimed > 0) {
    const gathered = yield* gatherBurst(run);
    if (!gathered.ok) return { kind: "trouble", trouble: gathered.trouble };
  }
  /** Why the due edits could not go out this poll (the link is not running, its SQL pool is not Online). */
  let blocked: string | undefined;
  if (claim.value.pendingTables > 0 || claimed > 0) {
    run.completionDue = true; // claims, refusals and settled edits can finish tables
    const edited = yield* editDueTables(run);
    if (edited.kind === "blocked") {
      run.status({ phase: "waitingForLink", detail: edited.reason });
      if (revision < 3) {
        // Revisions 1 and 2 waited here and skipped monitoring: tables already sent went unwatched.
        yield* run.sleepUntil(run.secondsFromNow(run.settings.pollMinSeconds));
        return { kind: "again" };
      }
      blocked = edited.reason;
      if (run.now.getTime() < run.monitorDueAt) {
        // Not yet time to watch the tables; a refusal at claim may still have finished a request.
        const completed = yield* completeIfDue(run);
        if (!completed.ok) return { kind: "trouble", trouble: completed.trouble };
        return waitWhileBlocked(run, blocked, run.carry.pollSeconds);
      }
    } else if (edited.kind !== "done") {
      return edited;
    }
  }

  // While edits are blocked, the reason stays in sight.
  run.status({ phase: "monitoring", ...(blocked !== undefined ? { detail: blocked } : {}) });
  const monitor = yield* run.call("linkWorker_monitorTables", run.linkInput());
  if (!monitor.ok) return { kind: "trouble", trouble: monitor.trouble };
  const summary = monitor.value;
  if (revision >= 2 && (summary.counts.Removing ?? 0) > 0) {
    // A removal whose confirmation ran out or was lost (a crash after the edit was saved): confirm
    // it here, or its request would never end.
    const confirm = yield* run.call("linkWorker_confirmApplied", run.linkInput());
    if (!confirm.ok) return { kind: "trouble", trouble: confirm.trouble };
    if (confirm.value.notice !== undefined) run.log(confirm.value.notice);
    if (confirm.value.settled > 0) run.completionDue = true;
  }
  // Requests finish only when tables do: a poll that changed none skips reading the link's open
  // requests and tables in flight again, unless nothing is left (closing needs them closed).
  if (revision < 2 || summary.changed > 0 || (summary.active === 0 && summary.pending === 0)) {
    run.completionDue = true;
  }
  // Before closing, every open request is looked at, not only those whose tables just changed.
  if (summary.active === 0 && summary.pending === 0) run.completionSweep = true;
  const completed = yield* completeIfDue(run);
  if (!completed.ok) return { kind: "trouble", trouble: completed.trouble };

  const pollSeconds = nextPollSeconds(summary, run.carry.pollSeconds, run.settings);
  const nextPoll = run.secondsFromNow(pollSeconds);
  run.monitorDueAt = nextPoll.getTime();
  if (blocked !== undefined) return waitWhileBlocked(run, blocked, pollSeconds, summary);
  if (summary.pendingDue > 0) return { kind: "again" }; // remediation or a deferred batch: edit again now
  if (summary.active === 0 && summary.pending === 0) {
    const close = yield* run.call("linkWorker_closeIfIdle", run.linkInput());
    if (!close.ok) return { kind: "trouble", trouble: close.trouble };
    if (close.value.idle) {
      run.status({ phase: "finished", tables: summary.counts, openRequests: 0 });
      return { kind: "finished", tables: summary.counts };
    }
    // A request recorded while this poll ran: go on now, reading every marker (one an earlier
    // version wrote, during a rolling deploy, lacks the flag a claim filters on). Anything else
    // waits a poll, so a request that cannot be closed never spins the worker.
    if (close.value.reason !== "busy") {
      run.markersSwept = false;
      return { kind: "again" };
    }
  }
  const until =
    summary.nextEditAt && Date.parse(summary.nextEditAt) < nextPoll.getTime()
      ? new Date(summary.nextEditAt)
      : nextPoll;
  run.status({
    phase: "waiting",
    tables: summary.counts,
    openRequests: run.openRequests,
    nextPollAt: until.toISOString(),
  });
  return { kind: "wait", until, pollSeconds };
}

/** Closes the requests no table waits on, when a table may have become final since completion last ran. */
function* completeIfDue(run: WorkerRun): Generator<Task, Step<null>, unknown> {
  if (!run.completionDue) return { ok: true, value: null };
  const input = run.linkInput();
  const since = run.completionSweep ? undefined : run.lastCompletionAt;
  const completion = yield* run.call(
    "linkWorker_completeRequests",
    since === undefined ? input : { ...input, changedSince: since },
  );
  if (!completion.ok) return completion;
  run.completionDue = false;
  run.completionSweep = false;
  run.lastCompletionAt = input.now;
  const completed = completedIn(completion.value);
  // A pass over what changed does not count the open requests: the sweeps keep the count true.
  run.openRequests = completion.value.openRequests ?? Math.max(0, run.openRequests - completed);
  return { ok: true, value: null };
}

/**
 * Edits are blocked: check the link (or its pool) again after POLL_MIN_SECONDS, or sooner when the
 * tables in flight are due a monitoring poll. `summary`: this poll's, when it monitored.
 */
function waitWhileBlocked(
  run: WorkerRun,
  reason: string,
  pollSeconds: number,
  summary?: MonitorSummary,
): PollEnd {
  const until = new Date(
    Math.min(run.monitorDueAt, run.secondsFromNow(run.settings.pollMinSeconds).getTime()),
  );
  run.status({
    phase: "waitingForLink",
    detail: reason,
    ...(summary ? { tables: summary.counts } : {}),
    openRequests: run.openRequests,
    nextPollAt: until.toISOString(),
  });
  return { kind: "wait", until, pollSeconds };
}

/**
 * Requests often arrive together (a deployment's schema changes, a script's loop). After new
 * claims the worker waits until none arrived for BATCH_QUIET_SECONDS (at most
 * BATCH_MAX_WAIT_SECONDS), claiming what came meanwhile, so that one edittables carries them all.
 */
function* gatherBurst(run: WorkerRun): Generator<Task, Step<null>, unknown> {
  const { batchQuietSeconds, batchMaxWaitSeconds } = run.settings;
  const deadline = run.secondsFromNow(batchMaxWaitSeconds).getTime();
  run.status({ phase: "batching", detail: "gathering requests that arrive together" });
  while (batchQuietSeconds > 0 && run.now.getTime() < deadline) {
    yield* run.sleepUntil(new Date(Math.min(deadline, run.secondsFromNow(batchQuietSeconds).getTime())));
    const more = yield* run.call("linkWorker_claimPendingRequests", run.linkInput());
    if (!more.ok) return more;
    const claimed = claimedIn(more.value);
    run.openRequests += claimed;
    if ((more.value.releasedTables ?? 0) > 0) run.completionSweep = true;
    if (claimed === 0) break;
  }
  return { ok: true, value: null };
}

/** Sends the due edits and confirms they landed; blocked (after starting the link, if asked) when the link is not ready. */
function* editDueTables(run: WorkerRun): Generator<Task, EditEnd, unknown> {
  if (run.settings.checkSqlPools) {
    const pool = yield* preflightSqlPool(run);
    if (pool) return pool;
  }
  run.status({ phase: "editing" });
  const sent = yield* run.call("linkWorker_sendEdits", run.linkInput());
  if (!sent.ok) return { kind: "trouble", trouble: sent.trouble };
  const result = sent.value;
  if (result.kind === "wait") {
    if (result.act) {
      const started = yield* run.call("linkWorker_startLink", { ...run.linkInput(), act: result.act });
      if (!started.ok) return { kind: "trouble", trouble: started.trouble };
    }
    return { kind: "blocked", reason: result.reason };
  }
  if ((result.kind === "sent" || result.kind === "nothingToSend") && result.notice !== undefined) {
    run.log(result.notice);
  }
  if (result.kind !== "sent") return { kind: "done" };
  // The service's answer to the edit already showed it applied (sendEdits.ts): nothing to poll.
  for (let check = 0; check < (result.applied ? 0 : MAX_CONFIRM_POLLS); check++) {
    const edited = result.added + result.removed;
    run.status({
      phase: "confirming",
      detail:
        edited > 0
          ? `${edited} table(s) edited; waiting for the link to apply the change`
          : "removing the app's second entry of a table the link already held",
    });
    const confirm = yield* run.call("linkWorker_confirmApplied", run.linkInput());
    if (!confirm.ok) return { kind: "trouble", trouble: confirm.trouble };
    if (confirm.value.notice !== undefined) run.log(confirm.value.notice);
    if (confirm.value.applied) break;
    yield* run.sleepUntil(run.secondsFromNow(run.settings.applyPollSeconds));
  }
  run.carry = { ...run.carry, pollSeconds: run.settings.pollMinSeconds };
  return { kind: "done" };
}

/**
 * The link's dedicated SQL pool must be Online before an edit: otherwise the edit is blocked (the
 * reason in the custom status and the link's status), or done when the pool's deadline failed the
 * pending tables. Undefined: the pool is ready.
 */
function* preflightSqlPool(run: WorkerRun): Generator<Task, EditEnd | undefined, unknown> {
  const checked = yield* run.call("linkWorker_checkSqlPool", run.linkInput());
  if (!checked.ok) return { kind: "trouble", trouble: checked.trouble };
  const result = checked.value;
  if (result.notice !== undefined && !run.noticed) {
    run.noticed = true;
    run.log(result.notice);
  }
  if (result.kind === "ready") return undefined;
  if (result.kind === "failed") {
    run.log(result.reason);
    return { kind: "done" };
  }
  return { kind: "blocked", reason: result.reason };
}

/** Records the trouble on the link (best effort) and waits: until the deferral ends, or a capped back-off. */
function* backOff(run: WorkerRun, trouble: Trouble): Generator<Task, void, unknown> {
  const faults = run.carry.faults + 1;
  run.carry = { ...run.carry, faults };
  const until =
    trouble.kind === "deferred"
      ? new Date(trouble.until)
      : run.secondsFromNow(faultBackoffSeconds(faults, run.settings));
  run.status({ phase: "backingOff", detail: trouble.reason, retryAt: until.toISOString() });
  run.log(`backing off until ${until.toISOString()}: ${trouble.reason}`);
  const now = run.now.toISOString();
  const health = {
    fault: boundedDetail(trouble.reason),
    faultAt: now,
    retryAt: until.toISOString(),
    consecutiveFaults: faults,
    updatedAt: now,
  };
  // If storage is what failed, this fails too; the custom status still shows the fault.
  yield* run.call("linkWorker_recordHealth", { ...run.linkInput(), health });
  yield* run.sleepUntil(until);
}

function* recordRecovery(run: WorkerRun): Generator<Task, void, unknown> {
  const now = run.now.toISOString();
  yield* run.call("linkWorker_recordHealth", {
    ...run.linkInput(),
    health: { consecutiveFaults: 0, updatedAt: now },
  });
}

df.app.orchestration(LINK_WORKER_ORCHESTRATION, linkWorker);

/** Registers an activity under its typed name; what the app's adapters log goes to its invocation. */
function activity<N extends ActivityName>(
  name: N,
  handler: (input: Activities[N][0]) => Promise<Activities[N][1]>,
) {
  df.app.activity(name, {
    handler: (input: Activities[N][0], context: InvocationContext) =>
      withInvocationLogger(context, () => handler(input)),
  });
}

/** Synapse work behind the workspace's circuit breaker; throttling becomes a deferral. */
function guarded<T>(input: LinkActivityInput, work: () => Promise<T>): Promise<T | Deferred> {
  return guardSynapse(getDependencies(), input.link.workspace, input.now, work);
}

activity("linkWorker_claimPendingRequests", async (i) => {
  const { claimedRequestIds, ...rest } = await claimPendingRequests(
    getDependencies(),
    i.link,
    i.now,
    i.allMarkers === true ? "all" : "flagged",
  );
  if (claimedRequestIds.length > 0) {
    scopedLogger.info(`${describeLink(i.link)}: claimed ${claimedRequestIds.join(", ")}`);
  }
  return { ...rest, claimed: claimedRequestIds.length };
});
activity("linkWorker_checkSqlPool", (i) => guarded(i, () => checkSqlPool(getDependencies(), i.link, i.now)));
activity("linkWorker_sendEdits", (i) => guarded(i, () => sendEdits(getDependencies(), i.link, i.now)));
activity("linkWorker_startLink", (i) => guarded(i, () => startLink(getDependencies(), i.link, i.act)));
activity("linkWorker_confirmApplied", (i) =>
  guarded(i, () => confirmEditsApplied(getDependencies(), i.link, i.now)),
);
activity("linkWorker_monitorTables", (i) =>
  guarded(i, () => monitorTables(getDependencies(), i.link, i.now)),
);
activity("linkWorker_completeRequests", async (i) => {
  const { completedRequestIds, ...rest } = await completeRequests(
    getDependencies(),
    i.link,
    i.now,
    i.changedSince,
  );
  if (completedRequestIds.length > 0) {
    scopedLogger.info(`${describeLink(i.link)}: completed ${completedRequestIds.join(", ")}`);
  }
  return { ...rest, completed: completedRequestIds.length };
});
activity("linkWorker_closeIfIdle", (i) => closeIfIdle(getDependencies(), i.link));
activity("linkWorker_recordHealth", async (i) => {
  await recordWorkerHealth(getDependencies().ledger, i.link, i.health);
  return null;
});
