import { metrics, type Meter } from "@opentelemetry/api";
import type { LinkRef } from "../domain/linkRef";
import { TELEMETRY_SCOPE } from "./logRecords";

/**
 * The pipeline's metrics (docs/observability.md "Metrics"), as a port so that use cases and
 * decorators do not depend on OpenTelemetry. Names follow OpenTelemetry's dotted style; Azure
 * Monitor stores them in `customMetrics` with the attributes as custom dimensions.
 */
export interface PipelineMetrics {
  /** A table reached Replicating; `secondsSinceRequest` counts from its oldest request. */
  tableOnboarded(link: LinkRef, secondsSinceRequest: number | undefined): void;
  /** A table failed for good. */
  tableFailed(link: LinkRef, errorCode: string): void;
  /** Remove-and-re-add attempts a table needed before its final outcome. */
  remediationAttempts(link: LinkRef, attempts: number, outcome: "Replicating" | "Failed"): void;
  /** A request reached a final status. */
  requestCompleted(link: LinkRef, status: string): void;
}

export const METRIC = {
  tablesOnboarded: "autopilot.tables.onboarded",
  requestToReplicating: "autopilot.table.request_to_replicating",
  tablesFailed: "autopilot.tables.failed",
  remediationAttempts: "autopilot.table.remediation_attempts",
  requestsCompleted: "autopilot.requests.completed",
  breakerOpen: "autopilot.breaker.open",
  workerBackoff: "autopilot.worker.backoff",
  oldestOpenRequestAge: "autopilot.requests.oldest_open_age",
} as const;

const linkAttributes = (link: LinkRef) => ({
  workspace: link.workspace,
  linkConnection: link.linkConnection,
});

/** Backed by the global meter provider: the Azure Monitor distro's when telemetry is on, a no-op otherwise. */
export function openTelemetryPipelineMetrics(
  meter: Meter = metrics.getMeter(TELEMETRY_SCOPE),
): PipelineMetrics {
  const onboarded = meter.createCounter(METRIC.tablesOnboarded, {
    description: "Tables that reached Replicating",
  });
  const latency = meter.createHistogram(METRIC.requestToReplicating, {
    description: "Time from a table's oldest request to Replicating",
    unit: "s",
  });
  const failed = meter.createCounter(METRIC.tablesFailed, {
    description: "Tables that failed for good, by error code",
  });
  const remediation = meter.createCounter(METRIC.remediationAttempts, {
    description: "Remove-and-re-add attempts, counted at each table's final outcome",
  });
  const completed = meter.createCounter(METRIC.requestsCompleted, {
    description: "Requests that reached a final status",
  });
  return {
    tableOnboarded(link, seconds) {
      onboarded.add(1, linkAttributes(link));
      if (seconds !== undefined) latency.record(seconds, linkAttributes(link));
    },
    tableFailed(link, errorCode) {
      failed.add(1, { ...linkAttributes(link), "error.code": errorCode });
    },
    remediationAttempts(link, attempts, outcome) {
      if (attempts > 0) remediation.add(attempts, { ...linkAttributes(link), outcome });
    },
    requestCompleted(link, status) {
      completed.add(1, { ...linkAttributes(link), status });
    },
  };
}
