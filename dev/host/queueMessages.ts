/**
 * Queue message bodies as the Storage Queues extension handles them (docs/durable-protocol.md §11.3, §11.5), and
 * the queue output binding: every `queue` output (and a `queue` `$return`) the handler set is sent, an array as
 * one message per element, strings as UTF-8 text, bytes as is, anything else JSON-encoded; base64 unless
 * host.json says `messageEncoding: "none"`. Queues are created when missing (the extension's
 * `AddMessageAndCreateIfNotExists`).
 */
import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";
import type { FunctionMetadata } from "../durable";
import { resolveAppSettings, type QueueMessageEncoding } from "./hostConfig";
import type { InvocationResult } from "./invokeFunction";

/** The bytes of one output value (not an array). */
export function messageBytes(value: unknown): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(JSON.stringify(value), "utf8");
}

/** The text to send for one output value (what `@azure/storage-queue` puts on the wire). */
export function encodeQueueMessage(value: unknown, encoding: QueueMessageEncoding = "base64"): string {
  const bytes = messageBytes(value);
  return encoding === "base64" ? bytes.toString("base64") : bytes.toString("utf8");
}

/** The messages an output value produces: an array gives one per element; null / undefined give none. */
export function encodeQueueOutput(value: unknown, encoding: QueueMessageEncoding = "base64"): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return items
    .filter((item) => item !== undefined && item !== null)
    .map((i) => encodeQueueMessage(i, encoding));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The body of a received message as a string (UTF-8), or throws when it is not valid base64 under base64
 * encoding (the extension cannot decode it either).
 */
export function decodeQueueMessageText(
  messageText: string,
  encoding: QueueMessageEncoding = "base64",
): string {
  if (encoding === "none") return messageText;
  const compact = messageText.replace(/\s+/g, "");
  if (!BASE64.test(compact)) {
    throw new Error(
      'The queue message is not valid base64 (host.json extensions.queues.messageEncoding is "base64"): ' +
        "encode it, e.g. Buffer.from(JSON.stringify(body)).toString('base64')",
    );
  }
  return Buffer.from(compact, "base64").toString("utf8");
}

/** What the handler receives: a JSON object / array parsed, anything else the string itself. */
export function queueTriggerInput(body: string): unknown {
  const trimmed = body.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return body;
    }
  }
  return body;
}

/** Queue names are case-insensitive in bindings; the service wants lowercase. */
export function normalizeQueueName(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const resolved = resolveAppSettings(name, env).toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(resolved)) {
    throw new Error(
      `'${resolved}' is not a valid queue name (3-63 lowercase letters, digits and single hyphens)`,
    );
  }
  return resolved;
}

export interface QueueClientsOptions {
  /** The storage connection for `AzureWebJobsStorage` (and any connection not set in the environment). */
  defaultConnectionString: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Queue clients per (connection, queue), with a one-time `createIfNotExists` per queue. A binding's `connection`
 * names an app setting holding a connection string; `AzureWebJobsStorage`, an unset one or no connection use the
 * host's storage connection.
 */
export class QueueClients {
  private readonly defaultConnectionString: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly services = new Map<string, QueueServiceClient>();
  private readonly created = new Map<string, Promise<void>>();

  constructor(options: QueueClientsOptions) {
    this.defaultConnectionString = options.defaultConnectionString;
    this.env = options.env ?? process.env;
  }

  connectionString(connection: string | undefined): string {
    if (connection === undefined || connection === "" || connection === "AzureWebJobsStorage") {
      return this.defaultConnectionString;
    }
    const value = this.env[connection];
    return value === undefined || value === "" ? this.defaultConnectionString : value;
  }

  queue(queueName: string, connection?: string): QueueClient {
    const connectionString = this.connectionString(connection);
    let service = this.services.get(connectionString);
    if (service === undefined) {
      service = QueueServiceClient.fromConnectionString(connectionString);
      this.services.set(connectionString, service);
    }
    return service.getQueueClient(queueName);
  }

  /** The queue, created if missing (once per process; retried after a failure). */
  async ensureQueue(queueName: string, connection?: string): Promise<QueueClient> {
    const client = this.queue(queueName, connection);
    const key = `${this.connectionString(connection)}|${queueName}`;
    let creation = this.created.get(key);
    if (creation === undefined) {
      creation = client.createIfNotExists().then(() => undefined);
      this.created.set(key, creation);
      creation.catch(() => {
        this.created.delete(key);
      });
    }
    await creation;
    return client;
  }

  /** Forgets that a queue exists (e.g. after a 404: somebody deleted it). */
  forget(queueName: string, connection?: string): void {
    this.created.delete(`${this.connectionString(connection)}|${queueName}`);
  }
}

/** The queue output bindings of a function: binding name → queue settings. */
export function queueOutputBindings(
  metadata: FunctionMetadata,
): { name: string; queueName: string; connection?: string }[] {
  const result: { name: string; queueName: string; connection?: string }[] = [];
  for (const [name, binding] of Object.entries(metadata.bindings)) {
    if (binding.direction !== "out" || binding.type.toLowerCase() !== "queue") continue;
    if (typeof binding.queueName !== "string") {
      throw new Error(`function '${metadata.name}': queue output '${name}' has no queueName`);
    }
    const connection = typeof binding.connection === "string" ? binding.connection : undefined;
    result.push(
      connection === undefined
        ? { name, queueName: binding.queueName }
        : { name, queueName: binding.queueName, connection },
    );
  }
  return result;
}

/**
 * Sends the queue outputs of one invocation (all of them, before the trigger completes, like the extension's
 * flush). Returns the names of the queues written to (one entry per message); throws when a send fails (the
 * invocation then counts as failed).
 */
export async function writeQueueOutputs(
  clients: QueueClients,
  metadata: FunctionMetadata,
  invocation: Pick<InvocationResult, "outputs" | "result">,
  encoding: QueueMessageEncoding,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const sent: string[] = [];
  for (const binding of queueOutputBindings(metadata)) {
    const value = binding.name === "$return" ? invocation.result : invocation.outputs.get(binding.name);
    const messages = encodeQueueOutput(value, encoding);
    if (messages.length === 0) continue;
    const queueName = normalizeQueueName(binding.queueName, env);
    const client = await clients.ensureQueue(queueName, binding.connection);
    // In order, like the extension's collector flush.
    for (const message of messages) {
      await client.sendMessage(message);
      sent.push(queueName);
    }
  }
  return sent;
}
