import { logs, SeverityNumber } from "@opentelemetry/api-logs";
import type { LogFields } from "./logFields";

/** The instrumentation scope of the app's own log records and metrics. */
export const TELEMETRY_SCOPE = "synapse-link-autopilot";

/** The Functions log levels (`@azure/functions` `LogLevel`), without importing the host's types here. */
export type LogLevel = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";

const SEVERITY: Record<Exclude<LogLevel, "none">, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  information: SeverityNumber.INFO,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
};

/**
 * One structured log record: the line as its body, the correlation fields as attributes (custom
 * dimensions in Application Insights), attached to the span in progress. Without a registered
 * logger provider (telemetry off) the OpenTelemetry API makes this a no-op.
 */
export function emitLogRecord(level: LogLevel, message: string, fields: LogFields): void {
  if (level === "none") return;
  logs.getLogger(TELEMETRY_SCOPE).emit({
    severityNumber: SEVERITY[level],
    severityText: level,
    body: message,
    attributes: { ...fields },
  });
}
