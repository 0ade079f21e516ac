import { AsyncLocalStorage } from "node:async_hooks";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { parseServiceErrorBody, retryAfterMs, type ServiceError } from "./serviceErrors";

/**
 * The longest one adapter call may spend in the SDK's throttling retries. The SDK sleeps for any
 * `Retry-After` however long (a real Synapse 429 asked for 2131 s); an activity blocked that long
 * holds a worker and outlives its host's timeout, whereas the orchestration can wait on a durable
 * timer for free.
 */
export const MAX_CALL_WAIT_MS = 60_000;

/** The wait suggested when the service throttles without saying for how long. */
export const DEFAULT_THROTTLE_RETRY_SECONDS = 60;

/** Whole seconds a 429/503 answer asks the caller to wait (the default when it does not say). */
export function throttleWaitSeconds(
  status: number,
  headers: Parameters<typeof retryAfterMs>[1] | undefined,
): number {
  const waitMs = headers ? retryAfterMs(status, headers) : undefined;
  return waitMs !== undefined ? Math.ceil(waitMs / 1000) : DEFAULT_THROTTLE_RETRY_SECONDS;
}

/**
 * Thrown from inside the pipeline, where the operation and link are not known; the adapter turns
 * it into a `SynapseThrottledError`. Not a `RestError`, so the SDK's retry policy rethrows it at
 * once instead of sleeping.
 */
export class ThrottleBudgetExceeded extends Error {
  constructor(
    readonly statusCode: number,
    readonly retryAfterSeconds: number,
    readonly service: ServiceError,
  ) {
    super(`throttled (HTTP ${statusCode}); retry after ${retryAfterSeconds} s`);
    this.name = "ThrottleBudgetExceeded";
  }
}

interface CallBudget {
  startedAt: number;
}

/**
 * One budget per adapter call, shared by every HTTP request the call makes (pages, retries):
 * pipeline policies see single requests, and the async context is what ties them to the call.
 */
const callBudget = new AsyncLocalStorage<CallBudget>();

/** Runs one adapter call with its own wait budget. */
export function withCallBudget<T>(run: () => Promise<T>, clock: () => number = Date.now): Promise<T> {
  return callBudget.run({ startedAt: clock() }, run);
}

/**
 * A pipeline policy placed after the retry policy, so it sees every attempt's response before the
 * retry policy decides to sleep. A 429/503 whose announced wait would take the call past
 * `budgetMs` (counted from the call's start, so earlier waits and slow answers count too) ends the
 * call with {@link ThrottleBudgetExceeded}. Shorter waits are left to the SDK.
 */
export function throttleBudgetPolicy(
  budgetMs = MAX_CALL_WAIT_MS,
  clock: () => number = Date.now,
): PipelinePolicy {
  // Outside withCallBudget (direct SDK use) each request gets its own budget, kept across its retries.
  const perRequest = new WeakMap<object, number>();
  return {
    name: "synapseThrottleBudget",
    async sendRequest(request, next) {
      let startedAt = callBudget.getStore()?.startedAt ?? perRequest.get(request);
      if (startedAt === undefined) {
        startedAt = clock();
        perRequest.set(request, startedAt);
      }
      const response = await next(request);
      const now = clock();
      const waitMs = retryAfterMs(response.status, response.headers, now);
      if (waitMs !== undefined && now - startedAt + waitMs > budgetMs) {
        throw new ThrottleBudgetExceeded(
          response.status,
          Math.ceil(waitMs / 1000),
          parseServiceErrorBody(response.bodyAsText ?? undefined),
        );
      }
      return response;
    },
  };
}
