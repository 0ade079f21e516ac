/**
 * A local HTTP receiver for integration tests: records every request it gets and answers each one
 * from a queue of canned replies (the default status once the queue is empty). A `"hang"` reply
 * never answers, so the client's own timeout has to end that attempt; `close()` destroys whatever
 * is still hanging so the test run can exit promptly.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** The request target as sent: path plus query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** `Date.now()` when the whole body had arrived. */
  at: number;
}

export type Reply = { status: number; headers?: Record<string, string> } | "hang";

export interface RecordingServerOptions {
  /** Status sent when no canned reply is queued; 200 unless given. */
  defaultStatus?: number;
}

export class RecordingServer {
  /** Every request received since the last `reset()`, in arrival order. */
  received: RecordedRequest[] = [];
  /** Replies to send, first to the next request; consumed as requests arrive. */
  replies: Reply[] = [];

  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`, without a trailing slash. */
    readonly url: string,
    private readonly defaultStatus: number,
  ) {
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.received.push({
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        });
        const reply = this.replies.shift() ?? { status: this.defaultStatus };
        if (reply === "hang") {
          this.hanging.add(res);
          res.on("close", () => this.hanging.delete(res));
          return;
        }
        res.writeHead(reply.status, reply.headers ?? {}).end();
      });
    });
  }

  /** Listens on an ephemeral port of 127.0.0.1. */
  static async start(options: RecordingServerOptions = {}): Promise<RecordingServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return new RecordingServer(server, `http://127.0.0.1:${port}`, options.defaultStatus ?? 200);
  }

  /** Forgets the recorded requests and any replies still queued. */
  reset(): void {
    this.received = [];
    this.replies = [];
  }

  /** Destroys hanging requests and open connections, then stops listening. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => {
      this.server.close((err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }
}
