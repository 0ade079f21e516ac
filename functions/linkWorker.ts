import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { getDependencies } from "../shared/dependencies";
import { describeLink } from "../shared/domain/linkRef";
import { applyEdits, type ApplyEditsResult } from "../shared/worker/applyEdits";
import { claimPendingRequests, type ClaimResult } from "../shared/worker/claimPendingRequests";
import { completeRequests, type CompletionResult } from "../shared/worker/completeRequests";
import { confirmEditsApplied, type ConfirmResult } from "../shared/worker/confirmEditsApplied";
import { LINK_WORKER_ORCHESTRATION, REQUEST_QUEUED_EVENT } from "../shared/worker/ensureLinkWorker";
import type { LinkActivityInput, LinkWorkerInput, LinkWorkerStatus } from "../shared/worker/linkWorkerInput";
import { monitorTables, type MonitorSummary } from "../shared/worker/monitorTables";
import type { PlannedEdit } from "../shared/worker/plannedEdit";
import { nextPollSeconds } from "../shared/worker/pollInterval";
import { preflightLink, type PreflightResult } from "../shared/worker/preflightLink";

/*
 * One durable worker per link connection (DESIGN.md "The link worker"): claim what is queued,
 * preflight, send one batched edittables, confirm it applied, then monitor every table to
 * Replicating on an adaptive timer that a newly queued request interrupts. State lives in the
 * ledger; the orchestration only sequences activities, so history stays small and continueAsNew
 * every `pollsPerExecution` polls keeps it bounded.
 */

const CLAIM = "linkWorker_claimPendingRequests";
const PREFLIGHT = "linkWorker_preflight";
const APPLY_EDITS = "linkWorker_applyEdits";
const CONFIRM_APPLIED = "linkWorker_confirmApplied";
const MONITOR = "linkWorker_monitorTables";
const COMPLETE = "linkWorker_completeRequests";

/** Infrastructure faults (storage, Synapse 5xx after the SDK's own retries). No retry timeout: durable-js #629. */
function activityRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(5_000, 6);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 120_000;
  return retry;
}

/** Confirmation polls before the worker moves on to monitoring (the table deadline still applies). */
const MAX_CONFIRM_POLLS = 40;

const linkWorker: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<LinkWorkerInput>();
  const { link, settings } = input;
  const retry = activityRetry();
  const activityInput = (): LinkActivityInput => ({ link, now: context.df.currentUtcDateTime.toISOString() });
  const status = (s: Omit<LinkWorkerStatus, "execution">) => {
    context.df.setCustomStatus({ ...s, execution: input.execution });
  };
  const secondsFromNow = (seconds: number) =>
    new Date(context.df.currentUtcDateTime.getTime() + seconds * 1000);

  let interval = settings.pollMinSeconds;
  for (let poll = 0; poll < settings.pollsPerExecution; poll++) {
    status({ phase: "claiming", poll });
    const claim = (yield context.df.callActivityWithRetry(CLAIM, retry, activityInput())) as ClaimResult;

    if (claim.pendingTables > 0) {
      const plan = (yield context.df.callActivityWithRetry(
        PREFLIGHT,
        retry,
        activityInput(),
      )) as PreflightResult;
      if (plan.kind === "linkNotReady") {
        status({ phase: "waitingForLink", poll, detail: plan.reason });
        yield context.df.createTimer(secondsFromNow(settings.pollMinSeconds));
        continue;
      }
      if (plan.kind === "edits") {
        status({ phase: "editing", poll, detail: `${plan.edits.length} table(s) in one edittables call` });
        const sent = (yield context.df.callActivityWithRetry(APPLY_EDITS, retry, {
          ...activityInput(),
          edits: plan.edits,
        })) as ApplyEditsResult;
        if (sent.kind === "retryLater") {
          status({ phase: "waitingForLink", poll, detail: sent.reason });
          yield context.df.createTimer(secondsFromNow(settings.enabledOnceRetrySeconds));
          continue;
        }
        for (let check = 0; check < MAX_CONFIRM_POLLS; check++) {
          status({ phase: "confirming", poll, detail: "waiting for the link to apply the change" });
          const confirm = (yield context.df.callActivityWithRetry(
            CONFIRM_APPLIED,
            retry,
            activityInput(),
          )) as ConfirmResult;
          if (confirm.applied) break;
          yield context.df.createTimer(secondsFromNow(settings.applyPollSeconds));
        }
        interval = settings.pollMinSeconds;
      }
    }

    const summary = (yield context.df.callActivityWithRetry(
      MONITOR,
      retry,
      activityInput(),
    )) as MonitorSummary;
    const completion = (yield context.df.callActivityWithRetry(
      COMPLETE,
      retry,
      activityInput(),
    )) as CompletionResult;
    if (!context.df.isReplaying && completion.completedRequestIds.length > 0) {
      context.log(`${describeLink(link)}: completed ${completion.completedRequestIds.join(", ")}`);
    }
    const progress = { tables: summary.counts, openRequests: completion.openRequests };

    if (summary.pending > 0) continue; // remediation or a deferred batch: edit again now
    if (summary.active === 0) {
      // Nothing left to watch. Claim once more: a request recorded while this run was finishing
      // may have raised its event too late to be seen.
      const last = (yield context.df.callActivityWithRetry(CLAIM, retry, activityInput())) as ClaimResult;
      if (last.pendingTables === 0) {
        status({ phase: "finished", poll, ...progress });
        return { finishedAt: context.df.currentUtcDateTime.toISOString(), tables: summary.counts };
      }
      continue;
    }

    interval = nextPollSeconds(summary, interval, settings);
    const nextPollAt = secondsFromNow(interval);
    status({ phase: "waiting", poll, ...progress, nextPollAt: nextPollAt.toISOString() });
    const timer = context.df.createTimer(nextPollAt);
    const nudge = context.df.waitForExternalEvent(REQUEST_QUEUED_EVENT);
    const winner: unknown = yield context.df.Task.any([timer, nudge]);
    // An uncancelled timer keeps the instance open until it fires (DTFx waits for open tasks).
    if (winner !== timer) timer.cancel();
  }
  context.df.continueAsNew({ ...input, execution: input.execution + 1 } satisfies LinkWorkerInput);
  return undefined;
};

df.app.orchestration(LINK_WORKER_ORCHESTRATION, linkWorker);

df.app.activity(CLAIM, {
  handler: (input: LinkActivityInput) => claimPendingRequests(getDependencies(), input.link, input.now),
});
df.app.activity(PREFLIGHT, {
  handler: (input: LinkActivityInput) => preflightLink(getDependencies(), input.link, input.now),
});
df.app.activity(APPLY_EDITS, {
  handler: (input: LinkActivityInput & { edits: PlannedEdit[] }) =>
    applyEdits(getDependencies(), input.link, input.edits, input.now),
});
df.app.activity(CONFIRM_APPLIED, {
  handler: (input: LinkActivityInput) => confirmEditsApplied(getDependencies(), input.link, input.now),
});
df.app.activity(MONITOR, {
  handler: (input: LinkActivityInput) => monitorTables(getDependencies(), input.link, input.now),
});
df.app.activity(COMPLETE, {
  handler: (input: LinkActivityInput) => completeRequests(getDependencies(), input.link, input.now),
});
