import {
  app,
  HttpRequest,
  type InvocationContext,
  type LogHookContext,
  type PreInvocationContext,
} from "@azure/functions";
import { context as otelContext, propagation } from "@opentelemetry/api";
import { runWithLogger, type Logger } from "../shared/logger";
import {
  addLogFields,
  currentLogFields,
  logFieldsFromInput,
  withLogFields,
} from "../shared/telemetry/logFields";
import { emitLogRecord } from "../shared/telemetry/logRecords";

/** The `Logger` port over one invocation's context: what a use case logs is correlated to it. */
export function invocationLogger(context: InvocationContext): Logger {
  return {
    info: (message, fields) => {
      withLogFields(fields ?? {}, () => {
        context.log(message);
      });
    },
    warn: (message, fields) => {
      withLogFields(fields ?? {}, () => {
        context.warn(message);
      });
    },
    error: (message, fields) => {
      withLogFields(fields ?? {}, () => {
        context.error(message);
      });
    },
  };
}

/** Runs an invocation's work so that what shared adapters log lands in that invocation's log. */
export function withInvocationLogger<T>(context: InvocationContext, work: () => Promise<T>): Promise<T> {
  return runWithLogger(invocationLogger(context), work);
}

/**
 * Pre-invocation hook (docs/observability.md "Structured logs"): before any handler runs, the
 * correlation fields its trigger input names (the link of an activity, the request of a queue
 * message, the route's ids) are put in scope, and so is what it later sets as an output (the
 * queue message intake writes names the request, workspace and link it accepted). Every line the
 * invocation writes, through `context.log` or the Logger port, then carries them. The host's trace
 * context becomes the parent of the Azure SDK spans, so dependencies sit under the invocation.
 */
export function enrichInvocation(hook: PreInvocationContext): void {
  const { invocationContext } = hook;
  const [trigger] = hook.inputs;
  const params = trigger instanceof HttpRequest ? trigger.params : undefined;
  const fields = logFieldsFromInput(trigger instanceof HttpRequest ? undefined : trigger, params);
  const outputs = invocationContext.extraOutputs;
  const set = outputs.set.bind(outputs);
  outputs.set = (output, value) => {
    addLogFields(logFieldsFromInput(value));
    set(output, value);
  };
  const handler = hook.functionHandler;
  const trace = invocationContext.traceContext;
  const parent = trace?.traceParent
    ? propagation.extract(otelContext.active(), {
        traceparent: trace.traceParent,
        ...(trace.traceState ? { tracestate: trace.traceState } : {}),
      })
    : otelContext.active();
  hook.functionHandler = (triggerInput: unknown, context: InvocationContext): unknown =>
    otelContext.with(parent, () => withLogFields(fields, (): unknown => handler(triggerInput, context)));
}

/** Log hook: every line the app writes becomes a structured record with the fields in scope. */
export function recordLog(hook: LogHookContext): void {
  if (hook.category !== "user") return;
  emitLogRecord(hook.level, hook.message, currentLogFields());
}

let registered = false;

/** Registers both hooks once (functions/appStart.ts, loaded first). */
export function registerTelemetryHooks(): void {
  if (registered) return;
  registered = true;
  app.hook.preInvocation(enrichInvocation);
  app.hook.log(recordLog);
}
