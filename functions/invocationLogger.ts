import type { InvocationContext } from "@azure/functions";
import { runWithLogger, type Logger } from "../shared/logger";

/** The `Logger` port over one invocation's context: what a use case logs is correlated to it. */
export function invocationLogger(context: InvocationContext): Logger {
  return {
    info: (message) => {
      context.log(message);
    },
    warn: (message) => {
      context.warn(message);
    },
    error: (message) => {
      context.error(message);
    },
  };
}

/** Runs an invocation's work so that what shared adapters log lands in that invocation's log. */
export function withInvocationLogger<T>(context: InvocationContext, work: () => Promise<T>): Promise<T> {
  return runWithLogger(invocationLogger(context), work);
}
