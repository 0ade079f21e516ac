import { describeLink, linkWorkerInstanceId } from "../domain/linkRef";
import { qualifiedName } from "../domain/tableName";
import type { RequestView } from "../ledger/ledger";
import type { Logger } from "../logger";
import {
  publishRequestOutcomes,
  publishTableOutcomes,
  type OutcomePublisher,
  type TableOutcome,
} from "../outcomes/outcomePublisher";
import { errorCodeOf, remediationAttemptsIn } from "./errorCode";
import type { LogFields } from "./logFields";
import type { PipelineMetrics } from "./pipelineMetrics";

export interface OutcomeObserverDeps {
  metrics: PipelineMetrics;
  /** Where the requests' creation times come from (request → Replicating). */
  ledger: { getRequest(requestId: string): Promise<Pick<RequestView, "createdAt"> | undefined> };
  logger: Logger;
  now: () => Date;
}

/**
 * Wraps the outcome publisher (the one place that sees every final table outcome) to count tables
 * onboarded and failed, time request → Replicating, count remediation attempts, and write one
 * structured line per outcome. The metrics are recorded after the inner publisher succeeded, so an
 * activity retried after a failed publish does not count the table twice (a request reported again
 * after a crash, docs/events.md, is counted again); a metric or log problem never fails the outcome.
 */
export function observedOutcomePublisher(
  inner: OutcomePublisher,
  deps: OutcomeObserverDeps,
): OutcomePublisher {
  const observeReplicating = (outcome: TableOutcome, created = requestCreation(deps)) =>
    bestEffort(deps, async () => {
      // The worker passes when the table was requested; older records make us ask the ledger.
      const seconds = outcome.requestedAt
        ? Math.max(0, (deps.now().getTime() - Date.parse(outcome.requestedAt)) / 1000)
        : await secondsSinceOldestRequest(deps, created, outcome.requestIds);
      deps.metrics.tableOnboarded(outcome, seconds);
      const attempts = attemptsOf(outcome);
      if (attempts !== undefined) deps.metrics.remediationAttempts(outcome, attempts, "Replicating");
      deps.logger.info(
        `table ${qualifiedName(outcome.table)} Replicating in ${describeLink(outcome)}${
          seconds === undefined ? "" : ` ${Math.round(seconds)} s after its request`
        }`,
        fieldsOf(outcome),
      );
    });
  const observeFailed = (outcome: TableOutcome) =>
    bestEffort(deps, () => {
      const error = outcome.error ?? "";
      const code = errorCodeOf(error);
      deps.metrics.tableFailed(outcome, code);
      const attempts = attemptsOf(outcome) ?? remediationAttemptsIn(error);
      if (attempts !== undefined) deps.metrics.remediationAttempts(outcome, attempts, "Failed");
      deps.logger.warn(
        `table ${qualifiedName(outcome.table)} Failed in ${describeLink(outcome)} (${code}): ${error}`,
        fieldsOf(outcome),
      );
      return Promise.resolve();
    });
  const observeCompleted = (request: RequestView) =>
    bestEffort(deps, () => {
      deps.metrics.requestCompleted(request, request.status);
      deps.logger.info(`request ${request.requestId} ${request.status} in ${describeLink(request)}`, {
        requestId: request.requestId,
        workspace: request.workspace,
        linkConnection: request.linkConnection,
        instanceId: linkWorkerInstanceId(request),
      });
      return Promise.resolve();
    });
  return {
    async tableReplicating(outcome) {
      await inner.tableReplicating(outcome);
      await observeReplicating(outcome);
    },
    async tableFailed(outcome) {
      await inner.tableFailed(outcome);
      await observeFailed(outcome);
    },
    // A poll's outcomes go out in the inner publisher's one batch; each is then counted.
    async tablesSettled(outcomes) {
      await publishTableOutcomes(inner, outcomes);
      // A request's creation time is read once per poll, however many of its tables settled.
      const created = requestCreation(deps);
      for (const { status, ...outcome } of outcomes) {
        await (status === "Replicating" ? observeReplicating(outcome, created) : observeFailed(outcome));
      }
    },
    async requestCompleted(request) {
      await inner.requestCompleted(request);
      await observeCompleted(request);
    },
    // A poll's completions go out in the inner publisher's one batch; each is then counted.
    async requestsCompleted(requests) {
      await publishRequestOutcomes(inner, requests);
      for (const request of requests) await observeCompleted(request);
    },
  };
}

function fieldsOf(outcome: TableOutcome): LogFields {
  return {
    requestId: outcome.requestIds.join(","),
    workspace: outcome.workspace,
    linkConnection: outcome.linkConnection,
    table: qualifiedName(outcome.table),
    instanceId: linkWorkerInstanceId(outcome),
  };
}

/** The worker may pass how many remediation attempts the table used (see docs/observability.md). */
function attemptsOf(outcome: TableOutcome): number | undefined {
  const attempts = (outcome as TableOutcome & { remediationAttempts?: unknown }).remediationAttempts;
  return typeof attempts === "number" ? attempts : undefined;
}

/** Each request's creation time, read from the ledger at most once per instance of this function. */
function requestCreation(deps: OutcomeObserverDeps): (requestId: string) => Promise<string | undefined> {
  const seen = new Map<string, Promise<string | undefined>>();
  return (requestId) => {
    let created = seen.get(requestId);
    if (!created) {
      created = deps.ledger.getRequest(requestId).then((r) => r?.createdAt);
      seen.set(requestId, created);
    }
    return created;
  };
}

async function secondsSinceOldestRequest(
  deps: OutcomeObserverDeps,
  created: (requestId: string) => Promise<string | undefined>,
  requestIds: readonly string[],
) {
  const at = await Promise.all(requestIds.map(created));
  const times = at.flatMap((t) => (t ? [Date.parse(t)] : [])).filter((t) => !Number.isNaN(t));
  if (times.length === 0) return undefined;
  return Math.max(0, (deps.now().getTime() - Math.min(...times)) / 1000);
}

async function bestEffort(deps: OutcomeObserverDeps, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    deps.logger.warn(`telemetry: could not record an outcome: ${(error as Error).message}`);
  }
}
