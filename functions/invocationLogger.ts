import type { InvocationContext } from "@azure/functions";
import type { Logger } from "../shared/logger";

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
