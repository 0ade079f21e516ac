import type { LinkRef } from "../domain/linkRef";
import { isTerminal, REQUEST_STATUSES, type Action, type RequestStatus } from "../domain/tableStatus";
import type { Ledger, RequestIndexEntry, RequestOrigin } from "../ledger/ledger";
import type { FieldError } from "./refusals";
import { invalidLinkParameters } from "./identifiers";
import { refused, type Refused } from "./refusals";

/** `GET /api/onboarding` query parameters, as received (all optional). */
export interface ListRequestsQuery {
  link?: string | null;
  status?: string | null;
  since?: string | null;
  limit?: string | null;
  continuationToken?: string | null;
}

/** One request in the list: no tables, no callback URL (the per-request route has the detail). */
export interface RequestSummary extends LinkRef {
  requestId: string;
  action: Action;
  status: RequestStatus;
  origin: RequestOrigin["kind"];
  createdAt: string;
  updatedAt: string;
  /** Tables that reached a final status, of all the request's tables. */
  progress: { final: number; total: number };
}

export interface RequestListBody {
  requests: RequestSummary[];
  /** Pass back as `continuationToken` for the next page; absent on the last one. */
  continuationToken?: string;
}

export type ListRequestsResult = { kind: "ok"; body: RequestListBody } | Refused<"invalidParameters">;

export const DEFAULT_PAGE = 25;
export const MAX_PAGE = 100;
/** With a status filter, index entries read per call at most: a page may come back short, never slow. */
export const MAX_SCANNED = 200;
/** Request partitions read at once. */
const CONCURRENCY = 8;

interface ParsedQuery {
  link?: LinkRef;
  statuses?: ReadonlySet<RequestStatus>;
  since?: string;
  limit: number;
  after?: string;
}

const isRequestStatus = (s: string): s is RequestStatus =>
  (REQUEST_STATUSES as readonly string[]).includes(s);

function parseLink(value: string, errors: FieldError[]): LinkRef | undefined {
  const slash = value.indexOf("/");
  const link = { workspace: value.slice(0, slash), linkConnection: value.slice(slash + 1) };
  const invalid = slash < 0 ? [{ pointer: "link", detail: "must be workspace/linkConnection" }] : [];
  invalid.push(...invalidLinkParameters(link).map((e) => ({ ...e, pointer: `link (${e.pointer})` })));
  errors.push(...invalid);
  return invalid.length === 0 ? link : undefined;
}

/** The cursor is the ledger's; the token only wraps it so callers treat it as opaque. */
export function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), "utf8").toString("base64url");
}

export function decodeToken(token: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    const after = (parsed as { after?: unknown } | null)?.after;
    return typeof after === "string" && after !== "" ? after : undefined;
  } catch {
    return undefined;
  }
}

export function parseListRequestsQuery(query: ListRequestsQuery): ParsedQuery | FieldError[] {
  const errors: FieldError[] = [];
  const parsed: ParsedQuery = { limit: DEFAULT_PAGE };
  if (query.link) {
    const link = parseLink(query.link, errors);
    if (link) parsed.link = link;
  }
  if (query.status) {
    const statuses = query.status.split(",").map((s) => s.trim());
    const unknown = statuses.filter((s) => !isRequestStatus(s));
    if (unknown.length > 0)
      errors.push({ pointer: "status", detail: `must be one or more of ${REQUEST_STATUSES.join(", ")}` });
    else parsed.statuses = new Set(statuses.filter(isRequestStatus));
  }
  if (query.since) {
    const ms = Date.parse(query.since);
    if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\d/.test(query.since))
      errors.push({ pointer: "since", detail: "must be an ISO 8601 date-time" });
    else parsed.since = new Date(ms).toISOString();
  }
  if (query.limit) {
    const limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      errors.push({ pointer: "limit", detail: `must be an integer from 1 to ${MAX_PAGE}` });
    else parsed.limit = limit;
  }
  if (query.continuationToken) {
    const after = decodeToken(query.continuationToken);
    if (after === undefined)
      errors.push({ pointer: "continuationToken", detail: "is not a token this API gave" });
    else parsed.after = after;
  }
  return errors.length > 0 ? errors : parsed;
}

async function summarize(
  ledger: Pick<Ledger, "getRequest">,
  entries: readonly RequestIndexEntry[],
): Promise<(RequestSummary | undefined)[]> {
  const out: (RequestSummary | undefined)[] = entries.map(() => undefined);
  let next = 0;
  const lane = async () => {
    while (next < entries.length) {
      const i = next++;
      const entry = entries[i];
      const view = entry && (await ledger.getRequest(entry.requestId));
      if (!entry || !view) continue;
      out[i] = {
        requestId: view.requestId,
        workspace: view.workspace,
        linkConnection: view.linkConnection,
        action: view.action,
        status: view.status,
        origin: entry.origin,
        createdAt: view.createdAt,
        updatedAt: view.updatedAt,
        progress: {
          final: view.tables.filter((t) => isTerminal(t.status)).length,
          total: view.tables.length,
        },
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, lane));
  return out;
}

/**
 * `GET /api/onboarding`: requests newest first from the ledger's request index (one partition
 * range per page), each summarized from its own partition. A status filter reads further index
 * pages until the page is full or `MAX_SCANNED` entries were read, so a page may be short; the
 * token then continues where the reading stopped.
 */
export async function listRequests(
  deps: { ledger: Pick<Ledger, "listRequestIndex" | "getRequest"> },
  query: ListRequestsQuery,
): Promise<ListRequestsResult> {
  const parsed = parseListRequestsQuery(query);
  if (Array.isArray(parsed)) return refused({ kind: "invalidParameters", errors: parsed });
  const requests: RequestSummary[] = [];
  let after = parsed.after;
  let scanned = 0;
  do {
    const page = await deps.ledger.listRequestIndex({
      ...(parsed.link ? { link: parsed.link } : {}),
      ...(parsed.since ? { since: parsed.since } : {}),
      ...(after !== undefined ? { after } : {}),
      limit: parsed.limit - requests.length,
    });
    scanned += page.items.length;
    after = page.after;
    for (const summary of await summarize(deps.ledger, page.items)) {
      if (summary && (!parsed.statuses || parsed.statuses.has(summary.status))) requests.push(summary);
    }
  } while (after !== undefined && requests.length < parsed.limit && scanned < MAX_SCANNED);
  return {
    kind: "ok",
    body: { requests, ...(after !== undefined ? { continuationToken: encodeToken(after) } : {}) },
  };
}
