import type { LinkRef } from "../../shared/domain/linkRef";
import { tableKey } from "../../shared/domain/tableName";
import type { RequestStatus } from "../../shared/domain/tableStatus";
import type { TableName } from "../../shared/domain/tableName";
import type {
  BreakerState,
  OpenLink,
  WorkerHealth,
  DedupeKind,
  Ledger,
  RejectedMessage,
  RememberedKey,
  LinkTableRecord,
  OnboardingRequest,
  QueuedRequest,
  Completion,
  RequestTableUpdate,
  RequestTableView,
  RequestView,
  IndexPage,
  RequestIndexEntry,
  TrackedLink,
} from "../../shared/ledger/ledger";

/** Case-insensitive, as the Table storage adapter's link partitions are. */
const linkKey = (link: LinkRef) => `${link.workspace.toLowerCase()}/${link.linkConnection.toLowerCase()}`;
const clone = <T>(value: T): T => structuredClone(value);

/** A small fake of the Ledger port for use-case unit tests (the Table storage adapter has its own integration test). */
export class InMemoryLedger implements Ledger {
  readonly requests = new Map<
    string,
    { request: OnboardingRequest; view: RequestView; claimed: boolean; open: boolean }
  >();
  readonly links = new Map<string, Map<string, LinkTableRecord>>();

  readonly remembered = new Map<string, RememberedKey>();
  readonly rejected: RejectedMessage[] = [];
  readonly detached = new Set<string>();

  rememberOnce(
    kind: DedupeKind,
    key: string,
    value: RememberedKey,
  ): Promise<{ first: true } | { first: false; existing: RememberedKey }> {
    const existing = this.remembered.get(`${kind}:${key}`);
    if (existing) return Promise.resolve({ first: false, existing: clone(existing) });
    this.remembered.set(`${kind}:${key}`, clone(value));
    return Promise.resolve({ first: true });
  }

  recordRejectedMessage(message: RejectedMessage): Promise<void> {
    this.rejected.push(clone(message));
    return Promise.resolve();
  }

  readonly openLinks = new Map<string, OpenLink>();
  readonly health = new Map<string, WorkerHealth>();
  readonly breakers = new Map<string, { state: BreakerState; etag: string }>();
  private etags = 0;

  listOpenLinks(): Promise<OpenLink[]> {
    return Promise.resolve([...this.openLinks.values()].map(clone));
  }

  getOpenLink(link: LinkRef): Promise<OpenLink | undefined> {
    const open = this.openLinks.get(linkKey(link));
    return Promise.resolve(open ? clone(open) : undefined);
  }

  closeOpenLink(link: LinkRef, etag: string): Promise<boolean> {
    const open = this.openLinks.get(linkKey(link));
    if (open && open.etag !== etag) return Promise.resolve(false);
    this.openLinks.delete(linkKey(link));
    return Promise.resolve(true);
  }

  readonly nudged = new Set<string>();

  takeNudge(link: LinkRef): Promise<boolean> {
    if (this.nudged.has(linkKey(link))) return Promise.resolve(false);
    this.nudged.add(linkKey(link));
    return Promise.resolve(true);
  }

  clearNudge(link: LinkRef): Promise<void> {
    this.nudged.delete(linkKey(link));
    return Promise.resolve();
  }

  getWorkerHealth(link: LinkRef): Promise<WorkerHealth | undefined> {
    const health = this.health.get(linkKey(link));
    return Promise.resolve(health ? clone(health) : undefined);
  }

  saveWorkerHealth(link: LinkRef, health: WorkerHealth): Promise<void> {
    this.health.set(linkKey(link), clone(health));
    return Promise.resolve();
  }

  getBreaker(workspace: string): Promise<{ state: BreakerState; etag?: string }> {
    const stored = this.breakers.get(workspace);
    return Promise.resolve(stored ? clone(stored) : { state: { failures: 0 } });
  }

  saveBreaker(workspace: string, state: BreakerState, etag?: string): Promise<boolean> {
    const stored = this.breakers.get(workspace);
    if (etag !== undefined && stored?.etag !== etag) return Promise.resolve(false);
    this.breakers.set(workspace, { state: clone(state), etag: `e${++this.etags}` });
    return Promise.resolve(true);
  }

  setDetached(link: LinkRef, table: TableName, detached: boolean): Promise<void> {
    const key = `${linkKey(link)}|${tableKey(table)}`;
    if (detached) this.detached.add(key);
    else this.detached.delete(key);
    return Promise.resolve();
  }

  isDetached(link: LinkRef, table: TableName): Promise<boolean> {
    return Promise.resolve(this.detached.has(`${linkKey(link)}|${tableKey(table)}`));
  }

  recordRejectedRequest(
    request: OnboardingRequest,
    reason: string,
    now: string,
  ): Promise<"created" | "exists"> {
    if (this.requests.has(request.requestId)) return Promise.resolve("exists");
    this.requests.set(request.requestId, {
      request: clone(request),
      claimed: true,
      open: false,
      view: {
        requestId: request.requestId,
        workspace: request.workspace,
        linkConnection: request.linkConnection,
        action: request.action,
        status: "Rejected",
        error: reason,
        tables: request.tables.map((t) => ({ ...t.source, status: "Rejected", error: reason })),
        createdAt: now,
        updatedAt: now,
      },
    });
    return Promise.resolve("created");
  }

  recordRequest(request: OnboardingRequest, now: string): Promise<"created" | "exists"> {
    if (this.requests.has(request.requestId)) return Promise.resolve("exists");
    this.openLinks.set(linkKey(request), {
      link: { workspace: request.workspace, linkConnection: request.linkConnection },
      etag: `e${++this.etags}`,
      touchedAt: now,
    });
    this.requests.set(request.requestId, {
      request: clone(request),
      claimed: false,
      open: true,
      view: {
        requestId: request.requestId,
        workspace: request.workspace,
        linkConnection: request.linkConnection,
        action: request.action,
        status: "Queued",
        tables: request.tables.map((t) => ({ ...t.source, status: "Pending" })),
        createdAt: now,
        updatedAt: now,
        ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
      },
    });
    return Promise.resolve("created");
  }

  async recordRequestAndNudge(
    request: OnboardingRequest,
    now: string,
  ): Promise<{ recorded: "created" | "exists"; nudge: boolean }> {
    const recorded = await this.recordRequest(request, now);
    return { recorded, nudge: await this.takeNudge(request) };
  }

  /**
   * As the Table storage ledger: a request's own rows change at intake, at completion and when a
   * table is handed to another request; while it is open, progress is read through to the link's
   * records that still name it.
   */
  getRequest(requestId: string): Promise<RequestView | undefined> {
    const entry = this.requests.get(requestId);
    if (!entry) return Promise.resolve(undefined);
    const view = clone(entry.view);
    if (entry.claimed && entry.open) {
      const records = this.linkTables(entry.request);
      view.tables = view.tables.map((t) => {
        const record = records.get(tableKey(t));
        if (!record?.requestIds.includes(requestId)) return t;
        const name = { schema: t.schema, name: t.name };
        return { ...name, status: record.status, ...(record.error ? { error: record.error } : {}) };
      });
    }
    return Promise.resolve(view);
  }

  private queued(entry: { request: OnboardingRequest; view: RequestView }): QueuedRequest {
    return { ...clone(entry.request), createdAt: entry.view.createdAt };
  }

  listQueuedRequests(link: LinkRef): Promise<QueuedRequest[]> {
    return Promise.resolve(
      [...this.requests.values()]
        .filter((e) => !e.claimed && linkKey(e.request) === linkKey(link))
        .map((e) => this.queued(e)),
    );
  }

  countRequests(link: LinkRef): Promise<{ queued: number; open: number }> {
    const mine = [...this.requests.values()].filter((e) => linkKey(e.request) === linkKey(link));
    return Promise.resolve({
      queued: mine.filter((e) => !e.claimed).length,
      open: mine.filter((e) => e.claimed && e.open).length,
    });
  }

  listOpenRequests(link: LinkRef): Promise<QueuedRequest[]> {
    return Promise.resolve(
      [...this.requests.values()]
        .filter((e) => e.claimed && e.open && linkKey(e.request) === linkKey(link))
        .map((e) => this.queued(e)),
    );
  }

  getOpenRequests(link: LinkRef, requestIds: readonly string[]): Promise<QueuedRequest[]> {
    const wanted = new Set(requestIds);
    return Promise.resolve(
      [...this.requests.values()]
        .filter(
          (e) =>
            e.claimed && e.open && linkKey(e.request) === linkKey(link) && wanted.has(e.request.requestId),
        )
        .map((e) => this.queued(e)),
    );
  }

  async claimRequests(
    link: LinkRef,
    records: readonly LinkTableRecord[],
    requestIds: readonly string[],
    now: string,
  ): Promise<void> {
    await this.saveLinkTables(link, records);
    for (const id of requestIds) await this.markClaimed(link, id, now);
  }

  /** As the real ledger: the requests' rows, then `report`, then the open list. */
  async completeRequestBatch(
    _link: LinkRef,
    completions: readonly Completion[],
    now: string,
    report?: () => Promise<void>,
  ): Promise<void> {
    for (const c of completions) this.writeCompletion(c.requestId, c.status, c.tables, now);
    await report?.();
    for (const c of completions) {
      const entry = this.requests.get(c.requestId);
      if (entry) entry.open = false;
    }
  }

  markClaimed(_link: LinkRef, requestId: string, now: string): Promise<void> {
    const entry = this.requests.get(requestId);
    if (entry) {
      entry.claimed = true;
      entry.view.status = "InProgress";
      entry.view.updatedAt = now;
    }
    return Promise.resolve();
  }

  private linkTables(link: LinkRef): Map<string, LinkTableRecord> {
    const key = linkKey(link);
    const tables = this.links.get(key) ?? new Map<string, LinkTableRecord>();
    this.links.set(key, tables);
    return tables;
  }

  listLinkTables(link: LinkRef, statuses?: readonly LinkTableRecord["status"][]): Promise<LinkTableRecord[]> {
    const all = [...this.linkTables(link).values()];
    return Promise.resolve(
      all.filter((r) => !statuses || statuses.length === 0 || statuses.includes(r.status)).map(clone),
    );
  }

  listLinkTablesSavedSince(
    link: LinkRef,
    statuses: readonly LinkTableRecord["status"][],
    since: string,
  ): Promise<LinkTableRecord[]> {
    const all = [...this.linkTables(link).values()];
    return Promise.resolve(all.filter((r) => statuses.includes(r.status) && r.updatedAt >= since).map(clone));
  }

  getLinkTables(link: LinkRef, tables: readonly TableName[]): Promise<LinkTableRecord[]> {
    const all = this.linkTables(link);
    return Promise.resolve(tables.flatMap((t) => all.get(tableKey(t)) ?? []).map(clone));
  }

  /** This ledger never spreads a link: the claim reads it whole, as a small link is read. */
  readClaimRecords(
    link: LinkRef,
    tables: readonly TableName[],
  ): Promise<{ records: LinkTableRecord[]; linkTables?: number }> {
    const all = this.linkTables(link);
    const records = tables.flatMap((t) => all.get(tableKey(t)) ?? []).map(clone);
    return Promise.resolve({ records, linkTables: all.size });
  }

  saveLinkTables(link: LinkRef, records: readonly LinkTableRecord[]): Promise<void> {
    const tables = this.linkTables(link);
    for (const record of records) tables.set(tableKey(record.source), clone(record));
    return Promise.resolve();
  }

  setRequestTableStatuses(updates: readonly RequestTableUpdate[], now: string): Promise<void> {
    for (const { requestId, table } of updates) {
      const view = this.requests.get(requestId)?.view;
      const row = view?.tables.find((t) => tableKey(t) === tableKey(table));
      if (view && row) {
        row.status = table.status;
        if (table.error) row.error = table.error;
        else delete row.error;
        view.updatedAt = now;
      }
    }
    return Promise.resolve();
  }

  completeRequest(
    link: LinkRef,
    requestId: string,
    status: RequestStatus,
    tables: readonly RequestTableView[],
    now: string,
  ): Promise<void> {
    return this.completeRequestBatch(link, [{ requestId, status, tables }], now);
  }

  private writeCompletion(
    requestId: string,
    status: RequestStatus,
    tables: readonly RequestTableView[],
    now: string,
  ): void {
    const entry = this.requests.get(requestId);
    if (entry) {
      entry.view.status = status;
      entry.view.tables = entry.view.tables.map(
        (t) => clone(tables.find((f) => tableKey(f) === tableKey(t))) ?? t,
      );
      entry.view.updatedAt = now;
    }
  }

  /** Newest first; the cursor is `<createdAt>|<requestId>` of the last entry, compared the same way. */
  listRequestIndex(query: {
    link?: LinkRef;
    since?: string;
    after?: string;
    limit: number;
  }): Promise<IndexPage<RequestIndexEntry>> {
    const cursor = (e: RequestIndexEntry) => `${e.createdAt}|${e.requestId}`;
    const entries = [...this.requests.values()]
      .map(({ request, view }): RequestIndexEntry => ({
        requestId: request.requestId,
        workspace: request.workspace,
        linkConnection: request.linkConnection,
        origin: request.origin.kind,
        createdAt: view.createdAt,
      }))
      .filter((e) => !query.link || linkKey(e) === linkKey(query.link))
      .filter((e) => query.since === undefined || e.createdAt >= query.since)
      .filter((e) => query.after === undefined || cursor(e) < query.after)
      .sort((a, b) => cursor(b).localeCompare(cursor(a)));
    const items = entries.slice(0, query.limit);
    const last = items[items.length - 1];
    return Promise.resolve({
      items,
      ...(entries.length > query.limit && last ? { after: cursor(last) } : {}),
    });
  }

  listTrackedLinks(query: { after?: string; limit: number }): Promise<IndexPage<TrackedLink>> {
    const latest = new Map<string, TrackedLink>();
    for (const { request, view } of this.requests.values()) {
      const known = latest.get(linkKey(request));
      if (!known || known.lastRequestAt < view.createdAt)
        latest.set(linkKey(request), {
          workspace: request.workspace,
          linkConnection: request.linkConnection,
          lastRequestAt: view.createdAt,
        });
    }
    const links = [...latest.entries()]
      .filter(([key]) => query.after === undefined || key > query.after)
      .sort(([a], [b]) => a.localeCompare(b));
    const page = links.slice(0, query.limit);
    const last = page[page.length - 1];
    return Promise.resolve({
      items: page.map(([, link]) => link),
      ...(links.length > query.limit && last ? { after: last[0] } : {}),
    });
  }

  record(link: LinkRef, qualified: string): LinkTableRecord | undefined {
    return this.linkTables(link).get(qualified.toLowerCase());
  }
}
