/**
 * Node `http` ↔ `@azure/functions` HTTP types, the part of `func start` between the socket and an `app.http`
 * handler: build an `HttpRequest` from an `IncomingMessage` + body, and write the handler's `HttpResponse` /
 * `HttpResponseInit` back (the worker's `toRpcHttp` + the host). A handler that returns nothing answers
 * 204 No Content (Functions 2.x+ default); a throw or a non-object return answers 500.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIPv6 } from "node:net";
import { HttpRequest, HttpResponse, type Cookie } from "@azure/functions";
import type { RegisteredFunction } from "../durable";
import { readBody, sendEmpty } from "../http";
import { invokeFunction, type InvocationResult, type InvokeFunctionOptions } from "./invokeFunction";

export interface ToHttpRequestOptions {
  /** Route parameters (`request.params`). */
  params?: Record<string, string>;
  /**
   * Origin for `request.url`; default the address the request arrived on. Never the `Host` or
   * `X-Forwarded-*` headers: the app builds `statusUrl` and `Location` from this origin, and a
   * client must not be able to point those at another site.
   */
  origin?: string;
}

/** The whole body; rejects with `BodyTooLargeError` past the Functions host's 100 MB (`../http`). */
export function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  return readBody(req);
}

function originOf(req: IncomingMessage): string {
  const { localAddress, localPort } = req.socket;
  if (localAddress === undefined || localPort === undefined) return "http://127.0.0.1";
  return `http://${isIPv6(localAddress) ? `[${localAddress}]` : localAddress}:${localPort}`;
}

/**
 * Path and query of the request target. A client may send the absolute form
 * (`GET http://host/api/x HTTP/1.1`, RFC 9112 §3.2.2), which a server must accept; only its path
 * and query are used, so its authority cannot choose the origin either.
 */
export function requestTarget(req: IncomingMessage): string {
  const target = req.url ?? "/";
  if (target.startsWith("/")) return target;
  if (!URL.canParse(target)) return "/";
  const url = new URL(target);
  return `${url.pathname}${url.search}`;
}

// The BOM is kept: a signature is over the exact bytes, and the app decides whether to skip it.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `new HttpRequest({ method, url, headers, body, params })` from a Node request and its (already read) body. */
export function toHttpRequest(
  req: IncomingMessage,
  body: Buffer | string | undefined,
  options: ToHttpRequestOptions = {},
): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  let bodyInit: { string: string } | { bytes: Uint8Array } | undefined;
  if (typeof body === "string") {
    if (body !== "") bodyInit = { string: body };
  } else if (body !== undefined && body.length > 0) {
    // Text arrives as a string (what the host sends for text payloads), anything else as bytes.
    try {
      bodyInit = { string: utf8.decode(body) };
    } catch {
      bodyInit = { bytes: new Uint8Array(body) };
    }
  }
  return new HttpRequest({
    method: (req.method ?? "GET").toUpperCase(),
    url: `${(options.origin ?? originOf(req)).replace(/\/+$/, "")}${requestTarget(req)}`,
    headers,
    params: options.params ?? {},
    ...(bodyInit === undefined ? {} : { body: bodyInit }),
  });
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value)}`];
  if (cookie.domain !== undefined) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path !== undefined) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure === true) parts.push("Secure");
  if (cookie.httpOnly === true) parts.push("HttpOnly");
  if (cookie.sameSite !== undefined) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join("; ");
}

/**
 * Writes a handler's return value to the Node response: `HttpResponse` or `HttpResponseInit` (status, headers,
 * cookies, body / jsonBody), 204 for null / undefined. Throws (without writing) for a non-object value, like the
 * worker's `toRpcHttp`; `serveHttpFunction` turns that into a 500.
 */
export async function writeHttpResponse(res: ServerResponse, result: unknown): Promise<void> {
  if (result === undefined || result === null) {
    res.writeHead(204);
    res.end();
    return;
  }
  if (typeof result !== "object") {
    throw new TypeError(
      'The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".',
    );
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers.entries()) {
    if (name === "set-cookie") continue;
    headers[name] = value;
  }
  const setCookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (setCookies.length > 0) headers["set-cookie"] = setCookies;
  const body = Buffer.from(await response.arrayBuffer());
  const noBody = response.status === 204 || response.status === 304;
  if (!noBody) headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(noBody ? undefined : body);
}

export interface ServeHttpOptions extends Omit<InvokeFunctionOptions, "triggerMetadata"> {
  params?: Record<string, string>;
  origin?: string;
  /** Handler errors (the response is a 500 either way). Default `console.error`. */
  onError?: (error: unknown) => void;
}

/**
 * Full round trip for an http-triggered registration: read body → `HttpRequest` → `invokeFunction` → write the
 * response. Returns the invocation result (e.g. for extra outputs), or undefined when the handler failed (500).
 */
export async function serveHttpFunction(
  registered: RegisteredFunction,
  req: IncomingMessage,
  res: ServerResponse,
  options: ServeHttpOptions = {},
): Promise<InvocationResult | undefined> {
  const { params, origin, onError, ...invokeOptions } = options;
  const report =
    onError ??
    ((error: unknown) => {
      console.error(`[dev host] function '${registered.metadata.name}' failed:`, error);
    });
  const body = await readRequestBody(req);
  const request = toHttpRequest(req, body, {
    ...(params === undefined ? {} : { params }),
    ...(origin === undefined ? {} : { origin }),
  });
  try {
    const invocation = await invokeFunction(registered, request, invokeOptions);
    await writeHttpResponse(res, invocation.result);
    return invocation;
  } catch (error) {
    report(error);
    sendEmpty(res, 500);
    return undefined;
  }
}

interface RouteSegment {
  pattern: RegExp;
  names: string[];
  optional: boolean;
  catchAll?: string;
}

const CONSTRAINTS: Record<string, string> = {
  int: "-?\\d+",
  long: "-?\\d+",
  bool: "(?:true|false)",
  alpha: "[A-Za-z]+",
  guid: "[0-9A-Fa-f]{8}-?(?:[0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}",
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compileSegment(segment: string): RouteSegment {
  const catchAll = /^\{\*([A-Za-z_]\w*)\}$/.exec(segment);
  if (catchAll !== null) return { pattern: /^.*$/, names: [], optional: true, catchAll: catchAll[1]! };
  const names: string[] = [];
  let optional = false;
  let source = "";
  let last = 0;
  for (const match of segment.matchAll(/\{([A-Za-z_]\w*)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}/g)) {
    source += escapeRegExp(segment.slice(last, match.index));
    names.push(match[1]!);
    const constraint = match[2] === undefined ? undefined : CONSTRAINTS[match[2].toLowerCase()];
    source += `(${constraint ?? "[^/]+"})`;
    if (match[3] === "?") optional = true;
    last = match.index + match[0].length;
  }
  source += escapeRegExp(segment.slice(last));
  return { pattern: new RegExp(`^${source}$`, "i"), names, optional: optional && names.length === 1 };
}

/**
 * Matches a Functions route template (`orchestrators/{name}/{id?}`, `{id:int}`, `files/{*path}`) against a path
 * relative to the route prefix (no leading "/"). Literal parts are case-insensitive. Returns the route params, or
 * undefined when the path does not match.
 */
export function matchHttpRoute(template: string, path: string): Record<string, string> | undefined {
  const templateSegments = template
    .replace(/^\/+|\/+$/g, "")
    .split("/")
    .filter((s) => s !== "");
  const pathSegments = path
    .replace(/^\/+|\/+$/g, "")
    .split("/")
    .filter((s) => s !== "");
  const params: Record<string, string> = {};
  for (let index = 0; index < templateSegments.length; index++) {
    const segment = compileSegment(templateSegments[index]!);
    if (segment.catchAll !== undefined) {
      const rest = pathSegments.slice(index).map((s) => decodeURIComponent(s));
      if (rest.length > 0) params[segment.catchAll] = rest.join("/");
      return params;
    }
    const value = pathSegments[index];
    if (value === undefined) {
      if (segment.optional) continue;
      return undefined;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      return undefined;
    }
    const match = segment.pattern.exec(decoded);
    if (match === null) return undefined;
    segment.names.forEach((name, i) => {
      params[name] = match[i + 1]!;
    });
  }
  // Missing trailing segments were optional (checked above); extra path segments do not match.
  return pathSegments.length <= templateSegments.length ? params : undefined;
}
