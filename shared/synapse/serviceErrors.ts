/**
 * Reading the Synapse data plane's error responses. The real service answers errors with a
 * top-level body, `{ "code", "message", "target", "details", "error": null }` (the recorded 404 and
 * the 401s quoted in public issues); Azure's usual wrapped form `{ "error": { code, message } }`
 * is what the SDK's own model and the simulator's option expect. Both are read here.
 */

export interface ServiceError {
  code?: string;
  message?: string;
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === "string" && field !== "" ? field : undefined;
}

/** Code and message from an error body (JSON text or already parsed), whichever shape it has. */
export function parseServiceErrorBody(body: unknown): ServiceError {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      // Not JSON (a gateway's HTML page, a plain-text 429): the text itself is the message.
      const text = body.trim();
      return text ? { message: text } : {};
    }
  }
  const wrapped =
    typeof parsed === "object" && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
  const source =
    stringField(wrapped, "code") !== undefined || stringField(wrapped, "message") !== undefined
      ? wrapped
      : parsed;
  const code = stringField(source, "code");
  const message = stringField(source, "message");
  return { ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}

/** `code: message`, or whichever of the two the service sent. */
export function formatServiceError(error: ServiceError): string | undefined {
  if (error.code !== undefined && error.message !== undefined) return `${error.code}: ${error.message}`;
  return error.message ?? error.code;
}

interface HeaderSource {
  get(name: string): string | undefined;
}

/**
 * The wait a 429/503 asks for, in milliseconds, read the way `@azure/core-rest-pipeline`'s
 * throttling retry reads it (`retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` in seconds
 * or as an HTTP date), so the adapter's bound judges the same wait the SDK would sleep.
 * `undefined` for other statuses or when no header says.
 */
export function retryAfterMs(status: number, headers: HeaderSource, now = Date.now()): number | undefined {
  if (status !== 429 && status !== 503) return undefined;
  for (const [header, factor] of [
    ["retry-after-ms", 1],
    ["x-ms-retry-after-ms", 1],
    ["retry-after", 1000],
  ] as const) {
    const value = headers.get(header);
    if (value === undefined || value.trim() === "") continue;
    const number = Number(value);
    if (Number.isFinite(number) && number >= 0) return number * factor;
  }
  const date = headers.get("retry-after");
  if (date === undefined) return undefined;
  const at = Date.parse(date);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
