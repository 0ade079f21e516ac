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
