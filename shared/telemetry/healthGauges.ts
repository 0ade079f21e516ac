import { metrics, type Meter, type ObservableResult } from "@opentelemetry/api";
import type { Ledger } from "../ledger/ledger";
import type { Logger } from "../logger";
import { describeBreaker } from "../worker/circuitBreaker";
import { TELEMETRY_SCOPE } from "./logRecords";
import { METRIC } from "./pipelineMetrics";

/** Most open requests read per link per collection: the gauge wants the oldest, not a census. */
export type HealthLedger = Pick<
  Ledger,
  "getBreaker" | "listOpenLinks" | "getWorkerHealth" | "listQueuedRequests" | "listOpenRequests"
>;

export interface HealthGaugeDeps {
  ledger: HealthLedger;
  workspaces: readonly string[];
  logger: Logger;
  now: () => Date;
}

/**
 * Gauges read from the ledger when the meter provider collects (every 60 s with the Azure Monitor
 * distro; never when telemetry is off, since the no-op meter never calls back). The breaker and the
 * worker back-off live in the ledger already (docs/worker.md), so no worker code had to change:
 * - `autopilot.breaker.open` {workspace}: 1 while the workspace's breaker is open or half-open;
 * - `autopilot.worker.backoff` {workspace, linkConnection}: 1 while a link's worker waits after a fault;
 * - `autopilot.requests.oldest_open_age` (s) {workspace, linkConnection}: age of the oldest request
 *   still Queued or InProgress.
 * The reads follow the open work (one breaker row per workspace, the open-link partition, and the
 * open requests of those links), not the size of the ledger.
 */
export function registerHealthGauges(
  deps: HealthGaugeDeps,
  meter: Meter = metrics.getMeter(TELEMETRY_SCOPE),
): void {
  const breaker = meter.createObservableGauge(METRIC.breakerOpen, {
    description: "1 while the workspace's circuit breaker is open or half-open",
  });
  const backoff = meter.createObservableGauge(METRIC.workerBackoff, {
    description: "1 while the link's worker backs off after a fault",
  });
  const oldest = meter.createObservableGauge(METRIC.oldestOpenRequestAge, {
    description: "Age of the oldest request still Queued or InProgress",
    unit: "s",
  });
  breaker.addCallback((result) => guard(deps, () => observeBreakers(deps, result)));
  meter.addBatchObservableCallback(
    (observer) =>
      guard(deps, async () => {
        const now = deps.now();
        for (const open of await deps.ledger.listOpenLinks()) {
          const attributes = { workspace: open.link.workspace, linkConnection: open.link.linkConnection };
          const health = await deps.ledger.getWorkerHealth(open.link);
          const waiting =
            health !== undefined &&
            health.consecutiveFaults > 0 &&
            health.retryAt !== undefined &&
            Date.parse(health.retryAt) > now.getTime();
          observer.observe(backoff, waiting ? 1 : 0, attributes);
          // Queued (not yet claimed) and InProgress (claimed, not completed) requests: one read of
          // the link's request markers each, no read per request.
          const requests = [
            ...(await deps.ledger.listQueuedRequests(open.link)),
            ...(await deps.ledger.listOpenRequests(open.link)),
          ];
          const created = requests.map((r) => Date.parse(r.createdAt)).filter((t) => !Number.isNaN(t));
          if (created.length > 0) {
            observer.observe(oldest, Math.max(0, (now.getTime() - Math.min(...created)) / 1000), attributes);
          }
        }
      }),
    [backoff, oldest],
  );
}

async function observeBreakers(deps: HealthGaugeDeps, result: ObservableResult): Promise<void> {
  const now = deps.now().toISOString();
  for (const workspace of deps.workspaces) {
    const { state } = await deps.ledger.getBreaker(workspace);
    result.observe(describeBreaker(state, now) === "closed" ? 0 : 1, { workspace });
  }
}

async function guard(deps: HealthGaugeDeps, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    deps.logger.warn(`telemetry: could not read health gauges: ${(error as Error).message}`);
  }
}
