// The state machine behind the 13 operations: link connections with their statuses and transitions, link tables
// and their lifecycle, the source database and the target pool. Everything time-dependent is derived lazily from
// the sim clock on each call (settle()), so there are no timers and an injected clock controls it all.
import { randomUUID } from "node:crypto";
import { badRequest, SimHttpError } from "./cloudError";
import { planEditTables, throwIfAny, type EditTablesPlan, type PlannedAdd } from "./editTablesPlan";
import type { FaultInjector } from "./faults";
import {
  displayName,
  sourceKeyOf,
  tableKey,
  type EditTablesRequestWire,
  type LinkRecord,
  type LinkTableRecord,
  type QueryTableStatusRequestWire,
} from "./linkRecords";
import type {
  ActionOnExistingTargetTable,
  LinkStatus,
  SimLinkedServiceReference,
  SimLinkedServiceSeed,
  SimLinkView,
  SimSeed,
  SimSourceTable,
  SimTargetTable,
  SimTimings,
} from "./publicTypes";
import type { SimProfile } from "./simProfile";
import type { ApiVersion } from "./specDocument";
import { badRequestRefusal, refusalsFor, targetNameOf, type RefusalContext } from "./tableRefusals";
import {
  freeze,
  restart,
  tableStatusAt,
  thaw,
  type TableFailure,
  type TableProgress,
  type TableStatus,
} from "./tableLifecycle";

export const DEFAULT_TIMINGS: SimTimings = {
  applyMs: 20_000,
  waitingMs: 30_000,
  snapshotMs: 120_000,
  linkTransitionMs: 60_000,
  removeCleanupMs: 60_000,
};

/** The spec's default (LinkConnectionTargetDatabaseTypeProperties.actionOnExistingTargetTable). */
const DEFAULT_ACTION: ActionOnExistingTargetTable = "FailOnNonEmptyTable";
const DEFAULT_QUERY_PAGE = 50;
/** Rows a target table holds once a link table has snapshotted into it (only emptiness matters). */
const SNAPSHOTTED_ROWS = 1000;
const MASKED_SECRET = "**********";
const SUBSCRIPTION =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/synapse-sim/providers";
/** Get / List / CreateOrUpdate ids and types, spelled as REC-22/23 record them (lower-case "linkconnections"). */
const SYNAPSE_RESOURCE = {
  prefix: `${SUBSCRIPTION}/Microsoft.Synapse/workspaces/synapse-sim`,
  type: "Microsoft.Synapse/workspaces/linkconnections",
};
/** The edittables response and the 404 target come from Data Factory's document store (REC-22/23). */
const FACTORY_RESOURCE = {
  prefix: `${SUBSCRIPTION}/Microsoft.DataFactory/factories/synapse-sim`,
  type: "Microsoft.DataFactory/factories/linkconnections",
};
/** REC-22/23's 404 message for a link that does not exist. */
const NOT_FOUND_MESSAGE = "The document could not be retrieved because it does not exist.";
const GUID = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

type Json = Record<string, unknown>;

/** An add that passed every check the profile turns into a 400, with the failure it will end in, if any. */
interface DecidedAdd {
  add: PlannedAdd;
  failure?: TableFailure;
}

export class LinkState {
  private links = new Map<string, LinkRecord>();
  private sourceTables = new Map<string, SimSourceTable>();
  private targetTables = new Map<string, SimTargetTable>();
  /** Source table key → the removal clean-up window (DOC-KI "enabled once") and the removed table's service id. */
  private cleanup = new Map<string, { until: number; linkTableId: string }>();
  /** Lower-case name → the seeded linked service (LinkedService_GetLinkedService). */
  private linkedServices = new Map<string, SimLinkedServiceSeed>();
  private etagCounter = 0;

  constructor(
    private readonly clock: () => number,
    readonly timings: SimTimings,
    private readonly faults: FaultInjector,
    readonly profile: SimProfile,
  ) {}

  putSourceTable(table: SimSourceTable): void {
    this.sourceTables.set(tableKey(table.schema, table.name), { ...table });
  }

  load(seed: SimSeed): void {
    const now = this.clock();
    this.links = new Map();
    this.cleanup = new Map();
    this.sourceTables = new Map(seed.sourceTables.map((t) => [tableKey(t.schema, t.name), { ...t }]));
    this.targetTables = new Map((seed.targetTables ?? []).map((t) => [tableKey(t.schema, t.name), { ...t }]));
    this.linkedServices = new Map();
    for (const service of seed.linkedServices ?? []) {
      const key = service.name.toLowerCase();
      if (this.linkedServices.has(key)) throw new Error(`seed: linked service ${service.name} appears twice`);
      this.linkedServices.set(key, structuredClone(service));
    }
    const seededTables = new Map<string, string>();
    // Seeded tables are already Replicating: their lifecycle started long enough ago.
    const replicatingSince = now - this.timings.waitingMs - this.timings.snapshotMs;
    for (const linkSeed of seed.links) {
      const key = linkSeed.name.toLowerCase();
      if (this.links.has(key)) throw new Error(`seed: link ${linkSeed.name} appears twice`);
      const status = linkSeed.status ?? "Running";
      const tables = (linkSeed.tables ?? []).map((t): LinkTableRecord => {
        const sourceKey = tableKey(t.schema, t.name);
        const holder = seededTables.get(sourceKey);
        if (holder !== undefined) {
          throw new Error(`seed: ${displayName(t.schema, t.name)} is in both ${holder} and ${linkSeed.name}`);
        }
        seededTables.set(sourceKey, linkSeed.name);
        const progress = { anchor: replicatingSince };
        const id = t.id ?? randomUUID().replace(/-/g, "");
        return {
          // A seed is test set-up, not a request: ids that are not GUIDs are kept as they are.
          id: this.normaliseId(id) ?? id,
          linkTableId: randomUUID(),
          source: { schemaName: t.schema, tableName: t.name },
          target: {
            schemaName: t.schema,
            tableName: t.name,
            distributionOptions: { type: "Round_RoBin" },
            structureOptions: { type: "Clustered_ColumnStore" },
          },
          addedAt: replicatingSince,
          progress: status === "Running" ? progress : freeze(progress, now),
        };
      });
      this.links.set(key, {
        name: linkSeed.name,
        serviceId: randomUUID(),
        continuousRunId: randomUUID(),
        properties: seededDefinition(linkSeed.actionOnExistingTargetTable, linkSeed.targetLinkedService),
        etag: this.nextEtag(),
        status,
        ...(status === "Initial" ? {} : { startTime: now - 3_600_000 }),
        ...(status === "Stopped" ? { stopTime: now - 60_000 } : {}),
        applyingUntil: 0,
        tables,
      });
    }
  }

  // ---- linked services (LinkedService_GetLinkedService) ----

  /**
   * The LinkedServiceResource as the artifacts API returns it (LinkedServices_Get example): `id` under the
   * workspace, `type` `Microsoft.Synapse/workspaces/linkedservices`, an etag, secure strings masked.
   */
  linkedService(name: string): Json | undefined {
    const service = this.linkedServices.get(name.toLowerCase());
    if (!service) return undefined;
    return {
      id: `${SYNAPSE_RESOURCE.prefix}/linkedservices/${service.name}`,
      name: service.name,
      type: "Microsoft.Synapse/workspaces/linkedservices",
      properties: maskSecureStrings(structuredClone(service.properties)),
      etag: linkedServiceEtag(service.name),
    };
  }

  // ---- link connection definition (ListByWorkspace, CreateOrUpdate, Get, Delete) ----

  listResources(): Json[] {
    this.settle();
    return [...this.links.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((link) => this.resourceOf(link, SYNAPSE_RESOURCE));
  }

  getResource(name: string): Json {
    return this.resourceOf(this.require(name), SYNAPSE_RESOURCE);
  }

  createOrUpdate(name: string, body: Json, version: ApiVersion): Json {
    this.settle();
    const properties = structuredClone(isJson(body.properties) ? body.properties : {});
    if (version === "2022-12-01-preview") {
      // Not part of the 2022-12-01-preview contract: a PUT at that version cannot set it, so the definition
      // it replaces loses it (the documented GET → PUT round-trip loss through the SDK).
      const typeProperties = typePropertiesOf(properties);
      if (typeProperties) delete typeProperties.actionOnExistingTargetTable;
    }
    // The service owns properties.id and the tables (edittables); a PUT carrying them back does not set them.
    delete properties.id;
    delete properties.linkTables;
    const description = typeof body.description === "string" ? body.description : undefined;
    const existing = this.links.get(name.toLowerCase());
    if (existing) {
      existing.properties = properties;
      if (description === undefined) delete existing.description;
      else existing.description = description;
      existing.etag = this.nextEtag();
      return this.resourceOf(existing, SYNAPSE_RESOURCE);
    }
    const link: LinkRecord = {
      name,
      serviceId: randomUUID(),
      continuousRunId: randomUUID(),
      ...(description === undefined ? {} : { description }),
      properties,
      etag: this.nextEtag(),
      status: "Initial",
      applyingUntil: 0,
      tables: [],
    };
    this.links.set(name.toLowerCase(), link);
    return this.resourceOf(link, SYNAPSE_RESOURCE);
  }

  /** false when there was no such link. */
  delete(name: string): boolean {
    this.settle();
    const link = this.links.get(name.toLowerCase());
    if (!link) return false;
    const now = this.clock();
    for (const table of link.tables) this.retire(table, now);
    this.links.delete(name.toLowerCase());
    return true;
  }

  updateLandingZoneCredential(name: string, body: Json): void {
    const link = this.require(name);
    const landingZone = isJson(link.properties.landingZone) ? link.properties.landingZone : {};
    if (body.sasToken !== undefined) landingZone.sasToken = structuredClone(body.sasToken);
    link.properties.landingZone = landingZone;
    link.etag = this.nextEtag();
    // The expiry is the SAS token's own `se=` field when it has one.
    const value = isJson(body.sasToken) ? body.sasToken.value : undefined;
    const expiry = typeof value === "string" ? /(?:^|[?&])se=([^&]+)/.exec(value)?.[1] : undefined;
    const expiresAt = expiry === undefined ? Number.NaN : Date.parse(decodeURIComponent(expiry));
    if (Number.isNaN(expiresAt)) delete link.landingZoneCredentialExpireTime;
    else link.landingZoneCredentialExpireTime = expiresAt;
  }

  // ---- link status (Start, Stop, Pause, Resume, GetDetailedStatus) ----

  start(name: string): void {
    const link = this.transition(name, ["Initial", "Stopped"], "Starting", "Running", "start");
    const runningAt = link.transition?.at ?? this.clock();
    link.continuousRunId = randomUUID();
    // REC-23: startTime is the time the start was accepted, present while still Starting.
    link.startTime = this.clock();
    delete link.stopTime;
    // DOC-OVR: stop then start is a full initial load of every table again.
    for (const table of link.tables) table.progress = restart(table.progress, runningAt);
  }

  stop(name: string): void {
    // REC-22: a stop sent while the link was still Starting was accepted (200, then Stopping).
    const link = this.transition(name, ["Running", "Starting"], "Stopping", "Stopped", "stop");
    link.stopTime = this.clock();
    this.freezeTables(link);
  }

  pause(name: string): void {
    const link = this.transition(name, ["Running"], "Pausing", "Paused", "pause");
    this.freezeTables(link);
  }

  resume(name: string): void {
    const link = this.transition(name, ["Paused"], "Resuming", "Running", "resume");
    const runningAt = link.transition?.at ?? this.clock();
    // DOC-OVR: pause then resume continues where it paused.
    for (const table of link.tables) table.progress = thaw(table.progress, runningAt);
  }

  /** The REC-22/23 field set; isApplyingChanges only under applying:present. */
  detailedStatus(name: string): Json {
    const link = this.require(name);
    const now = this.clock();
    return {
      name: link.name,
      id: link.serviceId,
      ...(link.startTime === undefined ? {} : { startTime: iso(link.startTime) }),
      ...(link.stopTime === undefined ? {} : { stopTime: iso(link.stopTime) }),
      status: link.status,
      continuousRunId: link.continuousRunId,
      isPartiallyFailed: link.tables.some((t) => tableStatusAt(t.progress, now, this.timings) === "Failed"),
      ...(this.profile.applying === "present" ? { isApplyingChanges: now < link.applyingUntil } : {}),
      ...(link.landingZoneCredentialExpireTime === undefined
        ? {}
        : { landingZoneCredentialExpireTime: iso(link.landingZoneCredentialExpireTime) }),
      etag: link.etag,
    };
  }

  // ---- link tables (EditTables, ListLinkTables, QueryTableStatus) ----

  /**
   * REC-22/23: the definition is rewritten at once, on a link in any status, and the answer is the whole link
   * resource (Data Factory's id and type) with a new etag.
   */
  editTables(name: string, body: EditTablesRequestWire): Json | undefined {
    const link = this.require(name);
    const now = this.clock();
    const plan = planEditTables(body, {
      link,
      duplicateAdd: this.profile.duplicateAdd,
      normaliseId: (id) => this.normaliseId(id),
    });
    const adds = this.decideAdds(link, plan).filter(({ add }) => !add.retried);
    plan.adds = plan.adds.filter((add) => !add.retried);

    link.etag = this.nextEtag();
    if (plan.adds.length + plan.updates.length + plan.removes.length === 0) {
      return this.editAnswer(link, body); // only retried no-ops
    }
    link.applyingUntil = Math.max(link.applyingUntil, now + this.timings.applyMs);
    for (const table of plan.removes) this.retire(table, now);
    link.tables = link.tables.filter((t) => !plan.removes.includes(t));
    for (const update of plan.updates) update.table.target = structuredClone(update.target);
    for (const { add, failure } of adds) {
      const injected = this.faults.takeTableFailure(add.source.schemaName, add.source.tableName);
      const decided = injected ?? failure;
      link.tables.push({
        id: add.id,
        linkTableId: randomUUID(),
        source: add.source,
        ...(add.target === undefined ? {} : { target: structuredClone(add.target) }),
        addedAt: now,
        progress: { ...this.newTableProgress(link, now), ...(decided ? { failure: decided } : {}) },
      });
    }
    return this.editAnswer(link, body);
  }

  private editAnswer(link: LinkRecord, body: EditTablesRequestWire): Json | undefined {
    if (this.profile.editAnswer === "empty") return undefined;
    const resource = this.resourceOf(link, FACTORY_RESOURCE, true);
    if (this.profile.editAnswer === "wholeLink") return resource;
    // editedOnly: the definition lists the request's tables still in the link, not the others.
    const edited = new Set(
      (body.linkTables ?? []).map((t) => tableKey(t.source?.schemaName ?? "", t.source?.tableName ?? "")),
    );
    const properties = resource.properties as Json;
    properties.linkTables = link.tables
      .filter((t) => edited.has(sourceKeyOf(t)))
      .map((t) => linkTableJson(t));
    return resource;
  }

  /** REC-22/23 items: `{ id, source, target }` (no `name`, no `etag`). */
  linkTables(name: string): Json {
    const link = this.require(name);
    return { value: link.tables.map((t) => linkTableJson(t)) };
  }

  queryTableStatus(name: string, body: QueryTableStatusRequestWire): Json {
    const link = this.require(name);
    const now = this.clock();
    const pageSize = body.maxSegmentCount ?? DEFAULT_QUERY_PAGE;
    if (pageSize < 1)
      throw badRequest("InvalidRequestContent", "maxSegmentCount must be at least 1.", "maxSegmentCount");
    const offset = body.continuationToken === undefined ? 0 : decodeContinuationToken(body.continuationToken);
    const page = link.tables.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      value: page.map((t) => this.tableStatus(t, now)),
      // Opaque to clients; null on the last page, as in the spec example (no real response is recorded).
      continuationToken: next < link.tables.length ? encodeContinuationToken(next) : null,
    };
  }

  // ---- views for the programmatic API and /_sim/state ----

  view(name: string): SimLinkView | undefined {
    this.settle();
    const link = this.links.get(name.toLowerCase());
    if (!link) return undefined;
    const now = this.clock();
    return {
      name: link.name,
      status: link.status,
      isApplyingChanges: now < link.applyingUntil,
      tables: link.tables.map((t) => {
        const status = tableStatusAt(t.progress, now, this.timings);
        return {
          id: t.id,
          schema: t.source.schemaName,
          name: t.source.tableName,
          status: this.wireStatus(status),
          ...(status === "Failed" && t.progress.failure ? { errorMessage: t.progress.failure.message } : {}),
        };
      }),
    };
  }

  describe(): Json {
    this.settle();
    const now = this.clock();
    return {
      now: iso(now),
      timings: this.timings,
      links: [...this.links.values()].map((link) => ({
        name: link.name,
        status: link.status,
        ...(link.transition ? { becomes: link.transition.to, at: iso(link.transition.at) } : {}),
        isApplyingChanges: now < link.applyingUntil,
        etag: link.etag,
        actionOnExistingTargetTable: actionOf(link) ?? null,
        tables: link.tables.map((t) => ({
          id: t.id,
          linkTableId: t.linkTableId,
          schema: t.source.schemaName,
          name: t.source.tableName,
          target: t.target ?? null,
          status: this.wireStatus(tableStatusAt(t.progress, now, this.timings)),
          ...(t.progress.failure ? { failure: t.progress.failure } : {}),
        })),
      })),
      sourceTables: [...this.sourceTables.values()],
      targetTables: [...this.targetTables.values()],
      removalCleanup: [...this.cleanup.entries()]
        .filter(([, window]) => window.until > now)
        .map(([table, window]) => ({ table, until: iso(window.until), linkTableId: window.linkTableId })),
    };
  }

  // ---- internals ----

  /** Looks a link up (404 as REC-22/23 record it) after bringing every link up to the current sim time. */
  private require(name: string): LinkRecord {
    this.settle();
    const link = this.links.get(name.toLowerCase());
    if (!link) {
      throw new SimHttpError(
        404,
        "NotFound",
        NOT_FOUND_MESSAGE,
        undefined,
        `${FACTORY_RESOURCE.prefix}/linkconnections/${name}`,
      );
    }
    return link;
  }

  /** Applies everything whose time has come: finished transitions and thawed table lifecycles. */
  private settle(): void {
    const now = this.clock();
    for (const link of this.links.values()) {
      if (link.transition && now >= link.transition.at) {
        link.status = link.transition.to;
        delete link.transition;
      }
      for (const table of link.tables) {
        const { thawAt } = table.progress;
        if (thawAt !== undefined && now >= thawAt) {
          table.progress = {
            anchor: table.progress.anchor,
            ...(table.progress.failure ? { failure: table.progress.failure } : {}),
          };
        }
      }
    }
  }

  /**
   * Which adds the profile refuses with a 400 (all-or-nothing: any → nothing stored) and the failure each accepted
   * add will end in. Counting for the 5,000 limit: the tables left after this request's removals, plus the adds
   * before this one (Failed tables count too — they are in the definition).
   */
  private decideAdds(link: LinkRecord, plan: EditTablesPlan): DecidedAdd[] {
    const ctx = this.refusalContext(link);
    const base = link.tables.length - plan.removes.length;
    // A retried add (the same id again) adds no table: it does not count towards the limit.
    let counted = 0;
    const decided = plan.adds.map((add) => ({
      add,
      refusals: refusalsFor(add, base + (add.retried ? counted : counted++), ctx),
    }));
    throwIfAny(
      decided.flatMap(({ add, refusals }) => {
        const refused = badRequestRefusal(refusals, this.profile);
        return refused ? [{ ...refused.failure, target: add.at }] : [];
      }),
    );
    return decided.map(({ add, refusals }) => {
      const first = refusals[0];
      return first ? { add, failure: first.failure } : { add };
    });
  }

  private refusalContext(link: LinkRecord): RefusalContext {
    const now = this.clock();
    let elsewhere: Map<string, LinkTableRecord> | undefined;
    return {
      sourceTable: (schema, name) => this.sourceTables.get(tableKey(schema, name)),
      targetTable: (schema, name) => this.targetTables.get(tableKey(schema, name)),
      // Indexed once per edit (the links do not change while one is decided), not searched per add.
      heldElsewhere: (sourceKey) => (elsewhere ??= this.heldElsewhere(link)).get(sourceKey),
      cleanupOf: (sourceKey) => {
        const window = this.cleanup.get(sourceKey);
        return window && now < window.until ? window : undefined;
      },
      linkName: link.name,
      action: actionOf(link),
      defaultAction: DEFAULT_ACTION,
    };
  }

  /** The tables other links of the workspace hold, by source (the first link and entry listed for each). */
  private heldElsewhere(link: LinkRecord): Map<string, LinkTableRecord> {
    const held = new Map<string, LinkTableRecord>();
    for (const other of this.links.values()) {
      if (other === link) continue;
      for (const table of other.tables) {
        const key = sourceKeyOf(table);
        if (!held.has(key)) held.set(key, table);
      }
    }
    return held;
  }

  /**
   * Where a new table's lifecycle starts: at once on a Running link; when the link will be Running after Starting /
   * Resuming; otherwise pinned at Waiting until a start / resume (REC-22/23: edittables is accepted before start).
   */
  private newTableProgress(link: LinkRecord, now: number): TableProgress {
    if (link.status === "Running") return { anchor: now };
    if (link.transition?.to === "Running") return restart({ anchor: now }, link.transition.at);
    return { anchor: now, frozenElapsed: 0 };
  }

  /** A table leaves its link at `at`: the clean-up window opens, and a snapshotted target stays behind, non-empty. */
  private retire(table: LinkTableRecord, at: number): void {
    this.cleanup.set(sourceKeyOf(table), {
      until: at + this.timings.removeCleanupMs,
      linkTableId: table.linkTableId,
    });
    const status = tableStatusAt(table.progress, at, this.timings);
    if (status === "Snapshotting" || status === "Replicating") {
      const target = targetNameOf(table.source, table.target);
      const key = tableKey(target.schemaName, target.tableName);
      const existing = this.targetTables.get(key);
      this.targetTables.set(key, {
        schema: target.schemaName,
        name: target.tableName,
        rowCount: Math.max(existing?.rowCount ?? 0, SNAPSHOTTED_ROWS),
      });
    }
  }

  private transition(
    name: string,
    from: LinkStatus[],
    during: LinkStatus,
    to: LinkStatus,
    verb: string,
  ): LinkRecord {
    const link = this.require(name);
    if (!from.includes(link.status)) {
      throw badRequest(
        "InvalidLinkConnectionStatus",
        `Cannot ${verb} link connection '${link.name}' because it is ${link.status}; ${verb} needs ${from.join(" or ")}.`,
      );
    }
    link.status = during;
    link.transition = { to, at: this.clock() + this.timings.linkTransitionMs };
    link.etag = this.nextEtag();
    return link;
  }

  private freezeTables(link: LinkRecord): void {
    const now = this.clock();
    for (const table of link.tables) table.progress = freeze(table.progress, now);
  }

  private tableStatus(table: LinkTableRecord, now: number): Json {
    const status = tableStatusAt(table.progress, now, this.timings);
    const failedAt = table.progress.anchor + this.timings.waitingMs;
    // ids:swappedInStatus: the client's id comes back in linkTableId, the service's own GUID in id.
    const swapped = this.profile.ids === "swappedInStatus";
    return {
      id: swapped ? table.linkTableId : table.id,
      linkTableId: swapped ? table.id : table.linkTableId,
      status: this.wireStatus(status),
      startTime: iso(table.addedAt),
      ...(status === "Failed" && table.progress.failure
        ? {
            errorCode: table.progress.failure.code,
            errorMessage: table.progress.failure.message,
            stopTime: iso(failedAt),
          }
        : {}),
      ...(status === "Replicating"
        ? { lastProcessedData: iso(now), lastTransactionCommitTime: iso(now) }
        : {}),
    };
  }

  /** The pre-snapshot status string is a profile answer (DOC-MON says Waiting, DOC-PK WaitingForSnapshot). */
  private wireStatus(status: TableStatus): string {
    return status === "Waiting" ? this.profile.waiting : status;
  }

  /** ids:echo (and swappedInStatus) keep the id as sent; ids:undashed stores 32 lower-case hex digits and refuses non-GUIDs. */
  private normaliseId(id: string): string | undefined {
    if (this.profile.ids !== "undashed") return id;
    const match = GUID.exec(id);
    return match ? match.slice(1).join("").toLowerCase() : undefined;
  }

  /** Etags shaped like the recorded ones ("14001f5a-0000-0c00-0000-64c8cad00000"); a new one per write. */
  private nextEtag(): string {
    this.etagCounter += 1;
    const counter = this.etagCounter.toString(16).padStart(8, "0");
    const seconds = Math.floor(this.clock() / 1000)
      .toString(16)
      .padStart(8, "0");
    return `${counter}-0000-0c00-0000-${seconds}0000`;
  }

  /**
   * LinkConnectionResource as REC-22/23 show it: `properties.id`, the tables under `properties.linkTables` once there
   * are any (always in the edittables answer), a top-level `etag`, secure strings masked (SecureString's note).
   */
  private resourceOf(link: LinkRecord, kind: { prefix: string; type: string }, alwaysTables = false): Json {
    const properties = maskSecureStrings(structuredClone(link.properties));
    properties.id = link.serviceId;
    if (alwaysTables || link.tables.length > 0)
      properties.linkTables = link.tables.map((t) => linkTableJson(t));
    return {
      id: `${kind.prefix}/linkconnections/${link.name}`,
      name: link.name,
      type: kind.type,
      ...(link.description === undefined ? {} : { description: link.description }),
      properties,
      etag: link.etag,
    };
  }
}

function linkTableJson(table: LinkTableRecord): Json {
  return {
    id: table.id,
    source: { ...table.source },
    ...(table.target === undefined ? {} : { target: structuredClone(table.target) }),
  };
}

function isJson(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function typePropertiesOf(properties: Json): Json | undefined {
  const target = properties.targetDatabase;
  return isJson(target) && isJson(target.typeProperties) ? target.typeProperties : undefined;
}

const ACTIONS: readonly string[] = ["FailOnNonEmptyTable", "DropAndRecreateTable", "MergeWithExistingData"];

function isAction(value: unknown): value is ActionOnExistingTargetTable {
  return typeof value === "string" && ACTIONS.includes(value);
}

function actionOf(link: LinkRecord): ActionOnExistingTargetTable | undefined {
  const action = typePropertiesOf(link.properties)?.actionOnExistingTargetTable;
  return isAction(action) ? action : undefined;
}

function maskSecureStrings(node: Json): Json {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (isJson(value)) {
      if (value.type === "SecureString" && typeof value.value === "string") value.value = MASKED_SECRET;
      Object.values(value).forEach(visit);
    }
  };
  visit(node);
  return node;
}

/** The definition a seeded link gets: Azure SQL Database source, dedicated SQL pool target. */
function seededDefinition(
  action: ActionOnExistingTargetTable | undefined,
  target: SimLinkedServiceReference = { referenceName: "SimDedicatedSqlPool" },
): Json {
  return {
    sourceDatabase: {
      linkedService: { referenceName: "SimSourceSqlDatabase", type: "LinkedServiceReference" },
      typeProperties: {
        resourceId:
          "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/synapse-sim/providers/Microsoft.Sql/servers/sim-sql",
      },
    },
    targetDatabase: {
      linkedService: {
        referenceName: target.referenceName,
        type: "LinkedServiceReference",
        ...(target.parameters ? { parameters: structuredClone(target.parameters) } : {}),
      },
      typeProperties: {
        crossTableTransaction: false,
        ...(action === undefined ? {} : { actionOnExistingTargetTable: action }),
      },
    },
    compute: { coreCount: 4, computeType: "General" },
  };
}

/** A stable etag per linked service (the seed never changes it), in the LinkedServices_Get example's form. */
function linkedServiceEtag(name: string): string {
  let hash = 0;
  for (const ch of name.toLowerCase()) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `${hash.toString(16).padStart(8, "0")}-0000-0200-0000-5cbe090d0000`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function encodeContinuationToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), "utf8").toString("base64url");
}

function decodeContinuationToken(token: unknown): number {
  if (typeof token === "string") {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
      const offset = isJson(parsed) ? parsed.offset : undefined;
      if (typeof offset === "number" && Number.isInteger(offset) && offset >= 0) return offset;
    } catch {
      // fall through to the 400
    }
  }
  throw badRequest(
    "InvalidContinuationToken",
    "continuationToken is not a token returned by querytablestatus.",
    "continuationToken",
  );
}
