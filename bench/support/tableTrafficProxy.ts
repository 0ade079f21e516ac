/*
 * A counting proxy in front of Azurite's Table endpoint, on loopback. The app under test gets a connection string
 * whose TableEndpoint is the proxy, so every Table storage HTTP request it makes (whatever client or code path
 * makes it) is one counted round trip; a transaction ($batch) is one round trip, as on Azure. For reads, the
 * proxy also counts the entities in each answer (rows read). Requests are attributed to the label set at the time
 * they arrive (the benchmarks set it to the running activity, or "intake").
 *
 * Nothing of the product is changed: requests and answers pass through byte for byte.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export type TableRequestKind =
  "query" | "pointRead" | "insert" | "update" | "delete" | "batch" | "tableAdmin" | "other";

export interface TrafficTally {
  requests: number;
  rowsRead: number;
  /** Milliseconds from each request's arrival to the end of its answer, added up (diagnostics). */
  ms: number;
  byKind: Partial<Record<TableRequestKind, number>>;
  /** Milliseconds per kind of request (diagnostics). */
  msByKind: Partial<Record<TableRequestKind, number>>;
}

export interface TableTrafficProxy {
  /** The connection string with TableEndpoint pointing at the proxy. */
  readonly connectionString: string;
  /** Where requests arriving now are attributed. */
  label: string;
  /** Counts per label since the last reset. */
  readonly tallies: Map<string, TrafficTally>;
  total(filter?: (label: string) => boolean): TrafficTally;
  /**
   * Milliseconds with at least one request in flight since the last reset: the time the app waited on
   * Table storage, requests sent concurrently counted once (a tally's `ms` adds them up).
   */
  busyMs(): number;
  reset(): void;
  close(): Promise<void>;
}

function classify(method: string, path: string): TableRequestKind {
  // Paths: /<account>/Tables..., /<account>/$batch, /<account>/<table>(...) or /<account>/<table>()?$filter=...
  const resource = path.split("?")[0]?.split("/")[2] ?? "";
  if (/^Tables(\(|$)/.test(resource)) return "tableAdmin";
  if (resource === "$batch") return "batch";
  const keyed = /\(PartitionKey=/.test(decodeURIComponent(resource));
  switch (method) {
    case "GET":
      return keyed ? "pointRead" : "query";
    case "POST":
      return "insert";
    case "PUT":
    case "MERGE":
    case "PATCH":
      return "update";
    case "DELETE":
      return "delete";
    default:
      return "other";
  }
}

/** Entities in a Table service JSON answer: the `value` array of a query, or 1 for a single entity. */
function entitiesIn(body: Buffer): number {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { value?: unknown };
    if (Array.isArray(parsed.value)) return parsed.value.length;
    return typeof parsed === "object" ? 1 : 0;
  } catch {
    return 0;
  }
}

function emptyTally(): TrafficTally {
  return { requests: 0, rowsRead: 0, ms: 0, byKind: {}, msByKind: {} };
}

export function addTally(into: TrafficTally, from: TrafficTally): void {
  into.requests += from.requests;
  into.rowsRead += from.rowsRead;
  into.ms += from.ms;
  for (const [kind, n] of Object.entries(from.byKind) as [TableRequestKind, number][]) {
    into.byKind[kind] = (into.byKind[kind] ?? 0) + n;
  }
  for (const [kind, ms] of Object.entries(from.msByKind) as [TableRequestKind, number][]) {
    into.msByKind[kind] = (into.msByKind[kind] ?? 0) + ms;
  }
}

export async function startTableTrafficProxy(
  azuriteConnectionString: string,
  tablePort: number,
): Promise<TableTrafficProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const tallies = new Map<string, TrafficTally>();
  let inFlight = 0;
  let busySince = 0;
  let busy = 0;
  const proxy = {
    label: "other",
    tallies,
    connectionString: "",
    total(filter: (label: string) => boolean = () => true): TrafficTally {
      const sum = emptyTally();
      for (const [label, tally] of tallies) if (filter(label)) addTally(sum, tally);
      return sum;
    },
    busyMs(): number {
      return busy + (inFlight > 0 ? performance.now() - busySince : 0);
    },
    reset() {
      tallies.clear();
      busy = 0;
      busySince = performance.now();
    },
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const kind = classify(method, path);
    let tally = tallies.get(proxy.label);
    if (!tally) tallies.set(proxy.label, (tally = emptyTally()));
    tally.requests++;
    tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
    const counted = tally;
    const arrived = performance.now();
    if (inFlight++ === 0) busySince = arrived;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (--inFlight === 0) busy += performance.now() - busySince;
    };
    res.on("close", settle);

    const upstream = httpRequest(
      { host: "127.0.0.1", port: tablePort, method, path, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        const reads = method === "GET" && kind !== "tableAdmin" && answer.statusCode === 200;
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => {
          if (reads) chunks.push(chunk);
          res.write(chunk);
        });
        answer.on("end", () => {
          if (reads) counted.rowsRead += entitiesIn(Buffer.concat(chunks));
          const ms = performance.now() - arrived;
          counted.ms += ms;
          counted.msByKind[kind] = (counted.msByKind[kind] ?? 0) + ms;
          res.end();
        });
        answer.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = /TableEndpoint=http:\/\/127\.0\.0\.1:\d+\//;
  if (!endpoint.test(azuriteConnectionString))
    throw new Error("no loopback TableEndpoint in the connection string");
  proxy.connectionString = azuriteConnectionString.replace(
    endpoint,
    `TableEndpoint=http://127.0.0.1:${port}/`,
  );
  return proxy;
}
