/**
 * The small `node:http` toolkit of the dev tools' servers (the dev host, the durable client API and the Synapse
 * simulator): listen on loopback (a free port by default), read a body with a size limit, parse it as JSON, write
 * JSON / text / empty responses, and close without waiting for keep-alive sockets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the Functions host accepts in one request (`maxRequestBodySize`, 100 MB); more answers 413. */
export const DEFAULT_BODY_LIMIT_BYTES = 100 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(readonly limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes.`);
  }
}

export class InvalidJsonError extends Error {
  constructor() {
    super("The request body is not valid JSON.");
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The whole request body. Rejects with `BodyTooLargeError` as soon as it passes `limitBytes`; the rest is read and
 * dropped, so the caller can still answer (413) on the same connection.
 */
export function readBody(req: IncomingMessage, limitBytes = DEFAULT_BODY_LIMIT_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      if (tooLarge) return;
      received += chunk.length;
      if (received <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      tooLarge = true;
      chunks.length = 0;
      reject(new BodyTooLargeError(limitBytes));
    });
    req.on("end", () => {
      resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** Reads and drops the body (so a keep-alive connection can be reused); never rejects. */
export async function discardBody(req: IncomingMessage): Promise<void> {
  await readBody(req, Infinity).catch(() => undefined);
}

/** undefined for an empty (or blank) body; `InvalidJsonError` for anything else that is not JSON. */
export function parseJsonBody(raw: Buffer | string): unknown {
  const text = (typeof raw === "string" ? raw : raw.toString("utf8")).trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidJsonError();
  }
}

/** `readBody` + `parseJsonBody`. */
export async function readJsonBody(
  req: IncomingMessage,
  limitBytes = DEFAULT_BODY_LIMIT_BYTES,
): Promise<unknown> {
  return parseJsonBody(await readBody(req, limitBytes));
}

type Headers = Record<string, string>;

function writePayload(res: ServerResponse, status: number, payload: string, headers: Headers): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(payload)) });
  res.end(payload);
}

/** `JSON.stringify(body)` as `application/json; charset=utf-8`. Does nothing once headers went out. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const payload = JSON.stringify(body);
  writePayload(res, status, payload, { ...headers, "content-type": "application/json; charset=utf-8" });
}

/** `text` as `text/plain; charset=utf-8`. Does nothing once headers went out. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Headers = {}): void {
  writePayload(res, status, text, { ...headers, "content-type": "text/plain; charset=utf-8" });
}

/** No body (`content-length: 0`, no content type). Does nothing once headers went out. */
export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  writePayload(res, status, "", headers);
}

export interface ServeOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, EADDRINUSE rejects with "port P on H is already in use (<hint>)". */
  portInUseHint?: string;
}

export interface DevHttpServer {
  server: Server;
  port: number;
  /** `http://host:port`; a wildcard listen address reads as 127.0.0.1, IPv6 in brackets. */
  origin: string;
  /** Stops accepting, drops idle keep-alive sockets, resolves when the server is closed. */
  close: () => Promise<void>;
}

/** The origin a client on this machine uses for a server listening on `host:port`. */
export function originFor(host: string, port: number): string {
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${urlHost}:${port}`;
}

function listen(server: Server, port: number, host: string, portInUseHint?: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE" && portInUseHint !== undefined
          ? new Error(`port ${port} on ${host} is already in use (${portInUseHint})`)
          : error,
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose, reject) => {
    server.close((error) => {
      if (error === undefined) resolveClose();
      else reject(error);
    });
    // Keep-alive sockets (fetch's and the Azure SDK's agents keep them) would hold close() open.
    server.closeAllConnections();
  });
}

/** Starts a `node:http` server with `handler` and resolves once it listens. */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: ServeOptions = {},
): Promise<DevHttpServer> {
  const server = createServer(handler);
  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, options.port ?? 0, host, options.portInUseHint);
  return { server, port, origin: originFor(host, port), close: () => closeServer(server) };
}
