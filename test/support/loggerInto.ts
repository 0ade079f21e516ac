import type { Logger } from "../../shared/logger";

/** A `Logger` that appends every line, whatever its level, to `lines`. */
export function loggerInto(lines: string[]): Logger {
  const keep = (message: string) => {
    lines.push(message);
  };
  return { info: keep, warn: keep, error: keep };
}
