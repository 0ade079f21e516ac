import { AsyncLocalStorage } from "node:async_hooks";
import { currentLogFields, type LogFields } from "./telemetry/logFields";

export type { LogFields };

/**
 * Where a use case reports what it cannot return (a failed best-effort side effect, say). The
 * triggers back it with their invocation's context (`functions/invocationLogger.ts`), so the lines
 * are correlated to the invocation; anything built once per process falls back to the console.
 */
export interface Logger {
  /** `fields` add to the invocation's correlation fields (docs/observability.md "Structured logs"). */
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Outside an invocation the fields in scope (and the line's own) follow the text as JSON. */
const withFields = (message: string, fields?: LogFields): string[] => {
  const all = { ...currentLogFields(), ...fields };
  return Object.keys(all).length === 0 ? [message] : [message, JSON.stringify(all)];
};

export const consoleLogger: Logger = {
  info: (message, fields) => {
    console.info(...withFields(message, fields));
  },
  warn: (message, fields) => {
    console.warn(...withFields(message, fields));
  },
  error: (message, fields) => {
    console.error(...withFields(message, fields));
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
  info: (message, fields) => {
    (current.getStore() ?? consoleLogger).info(message, fields);
  },
  warn: (message, fields) => {
    (current.getStore() ?? consoleLogger).warn(message, fields);
  },
  error: (message, fields) => {
    (current.getStore() ?? consoleLogger).error(message, fields);
  },
};
