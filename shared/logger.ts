import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Where a use case reports what it cannot return (a failed best-effort side effect, say). The
 * triggers back it with their invocation's context (`functions/invocationLogger.ts`), so the lines
 * are correlated to the invocation; anything built once per process falls back to the console.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (message) => {
    console.info(message);
  },
  warn: (message) => {
    console.warn(message);
  },
  error: (message) => {
    console.error(message);
  },
};

const current = new AsyncLocalStorage<Logger>();

/** Runs `work` with `logger` as the one `scopedLogger` writes to (per invocation, across awaits). */
export function runWithLogger<T>(logger: Logger, work: () => Promise<T>): Promise<T> {
  return current.run(logger, work);
}

/**
 * For adapters built once per process (the outcome publisher): writes to the logger of the
 * invocation in progress, or to the console outside one.
 */
export const scopedLogger: Logger = {
  info: (message) => {
    (current.getStore() ?? consoleLogger).info(message);
  },
  warn: (message) => {
    (current.getStore() ?? consoleLogger).warn(message);
  },
  error: (message) => {
    (current.getStore() ?? consoleLogger).error(message);
  },
};
