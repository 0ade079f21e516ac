// The state machine behind the 13 operations: link connections with their statuses and transitions, link tables
// and their lifecycle, the source database and the target pool. Everything time-dependent is derived lazily from
// the sim clock on each call (settle()), so there are no timers and an injected clock controls it all.
import { randomUUID } from "node:crypto";
import { badRequest, SimHttpError } from "./cloudError";
import { planEditTables } from "./editTablesPlan";
import type { FaultInjector } from "./faults";
import {
  displayName,
  isActive,
  isVisible,
  tableKey,
  type EditTablesRequestWire,
  type LinkRecord,
  type LinkTableRecord,
  type QueryTableStatusRequestWire,
  type SourceTableName,
} from "./linkRecords";
import type {
  ActionOnExistingTargetTable,
  LinkStatus,
  SimLinkView,
  SimSeed,
  SimSourceTable,
  SimTargetTable,
  SimTimings,
} from "./publicTypes";
import type { ApiVersion } from "./specDocument";
import { freeze, restart, tableStatusAt, thaw, type TableFailure } from "./tableLifecycle";

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
const WORKSPACE_RESOURCE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/synapse-sim/providers/Microsoft.Synapse/workspaces/synapse-sim";

type Json = Record<string, unknown>;

export class LinkState {
  private links = new Map<string, LinkRecord>();
  private sourceTables = new Map<string, SimSourceTable>();
  private targetTables = new Map<string, SimTargetTable>();
  /** Source table key → end of the clean-up window after its removal (DOC-KI "enabled once" transient). */
  private cleanup = new Map<string, number>();

  constructor(
    private readonly clock: () => number,
    readonly timings: SimTimings,
    private readonly faults: FaultInjector,
  ) {}

  load(seed: SimSeed): void {
    const now = this.clock();
    this.links = new Map();
    this.cleanup = new Map();
    this.sourceTables = new Map(seed.sourceTables.map((t) => [tableKey(t.schema, t.name), { ...t }]));
    this.targetTables = new Map((seed.targetTables ?? []).map((t) => [tableKey(t.schema, t.name), { ...t }]));
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
        return {
          id: t.id ?? randomUUID().replace(/-/g, ""),
          linkTableId: randomUUID(),
          source: { schemaName: t.schema, tableName: t.name },
          target: {
            schemaName: t.schema,
            tableName: t.name,
            distributionOptions: { type: "Round_RoBin" },
            structureOptions: { type: "Clustered_ColumnStore" },
          },
          appliedAt: replicatingSince,
          progress: status === "Running" ? progress : freeze(progress, now),
        };
      });
      this.links.set(key, {
        name: linkSeed.name,
        serviceId: randomUUID(),
        continuousRunId: randomUUID(),
        properties: seededDefinition(linkSeed.actionOnExistingTargetTable),
        status,
        ...(status === "Initial" ? {} : { startTime: now - 3_600_000 }),
        ...(status === "Stopped" ? { stopTime: now - 60_000 } : {}),
        applyingUntil: 0,
        tables,
      });
    }
  }

  // ---- link connection definition (ListByWorkspace, CreateOrUpdate, Get, Delete) ----

  listResources(): Json[] {
    this.settle();
    return [...this.links.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((link) => resourceOf(link));
  }

  getResource(name: string): Json {
    return resourceOf(this.require(name));
  }

  createOrUpdate(name: string, body: Json, version: ApiVersion): Json {
    this.settle();
    const properties = structuredClone((body.properties ?? {}) as Json);
    if (version === "2022-12-01-preview") {
      // Not part of the 2022-12-01-preview contract: a PUT at that version cannot set it, so the definition
      // it replaces loses it (the documented GET → PUT round-trip loss through the SDK).
      const typeProperties = (properties.targetDatabase as Json | undefined)?.typeProperties as
        Json | undefined;
      if (typeProperties) delete typeProperties.actionOnExistingTargetTable;
    }
    const description = typeof body.description === "string" ? body.description : undefined;
    const existing = this.links.get(name.toLowerCase());
    if (existing) {
      existing.properties = properties;
      if (description === undefined) delete existing.description;
      else existing.description = description;
      return resourceOf(existing);
    }
    const link: LinkRecord = {
      name,
      serviceId: randomUUID(),
      continuousRunId: randomUUID(),
      ...(description === undefined ? {} : { description }),
      properties,
      status: "Initial",
      applyingUntil: 0,
      tables: [],
    };
    this.links.set(name.toLowerCase(), link);
    return resourceOf(link);
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
    const landingZone = (link.properties.landingZone as Json | undefined) ?? {};
    if (body.sasToken !== undefined) landingZone.sasToken = structuredClone(body.sasToken);
    link.properties.landingZone = landingZone;
    // The expiry is the SAS token's own `se=` field when it has one.
    const value = (body.sasToken as { value?: unknown } | undefined)?.value;
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
    // DOC-OVR: stop then start is a full initial load of every table again.
    for (const table of link.tables) table.progress = restart(table.progress, runningAt);
  }

  stop(name: string): void {
    const link = this.transition(name, ["Running"], "Stopping", "Stopped", "stop");
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

  detailedStatus(name: string): Json {
    const link = this.require(name);
    const now = this.clock();
    const visible = link.tables.filter((t) => isVisible(t, now));
    return {
      id: link.serviceId,
      name: link.name,
      isApplyingChanges: now < link.applyingUntil,
      isPartiallyFailed: visible.some((t) => tableStatusAt(t.progress, now, this.timings) === "Failed"),
      ...(link.startTime === undefined ? {} : { startTime: iso(link.startTime) }),
      ...(link.stopTime === undefined ? {} : { stopTime: iso(link.stopTime) }),
      status: link.status,
      continuousRunId: link.continuousRunId,
      ...(link.landingZoneCredentialExpireTime === undefined
        ? {}
        : { landingZoneCredentialExpireTime: iso(link.landingZoneCredentialExpireTime) }),
    };
  }

  // ---- link tables (EditTables, ListLinkTables, QueryTableStatus) ----

  editTables(name: string, body: EditTablesRequestWire): void {
    const link = this.require(name);
    if (link.status !== "Running") {
      throw badRequest(
        "LinkConnectionNotRunning",
        `Link connection '${link.name}' is ${link.status}; tables can only be edited while it is Running.`,
      );
    }
    const now = this.clock();
    const plan = planEditTables(body, {
      link,
      now,
      otherLinkHolding: (sourceKey) => this.otherLinkHolding(link, sourceKey),
      cleanupUntil: (sourceKey) => this.cleanup.get(sourceKey),
    });
    if (plan.adds.length + plan.updates.length + plan.removes.length === 0) return; // only retried no-ops

    const appliedAt = now + this.timings.applyMs;
    link.applyingUntil = Math.max(link.applyingUntil, appliedAt);
    for (const add of plan.adds) {
      const failure = this.failureFor(link, add.source, add.target);
      link.tables.push({
        id: add.id,
        linkTableId: randomUUID(),
        source: add.source,
        ...(add.target === undefined ? {} : { target: structuredClone(add.target) }),
        appliedAt,
        progress: { anchor: appliedAt, ...(failure ? { failure } : {}) },
      });
    }
    for (const update of plan.updates)
      update.table.nextTarget = { target: structuredClone(update.target), at: appliedAt };
    for (const table of plan.removes) table.removeAt = appliedAt;
  }

  linkTables(name: string): Json {
    const link = this.require(name);
    const now = this.clock();
    return {
      value: this.visibleTables(link, now).map((t) => ({
        id: t.id,
        // As in the spec example, `name` carries the link connection's name.
        name: link.name,
        source: { ...t.source },
        ...(t.target === undefined ? {} : { target: structuredClone(t.target) }),
      })),
    };
  }

  queryTableStatus(name: string, body: QueryTableStatusRequestWire): Json {
    const link = this.require(name);
    const now = this.clock();
    const pageSize = body.maxSegmentCount ?? DEFAULT_QUERY_PAGE;
    if (pageSize < 1)
      throw badRequest("InvalidRequestContent", "maxSegmentCount must be at least 1.", "maxSegmentCount");
    const offset = body.continuationToken === undefined ? 0 : decodeContinuationToken(body.continuationToken);
    const tables = this.visibleTables(link, now);
    const page = tables.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return {
      value: page.map((t) => this.tableStatus(t, now)),
      // Opaque to clients; null on the last page, as in the spec example.
      continuationToken: next < tables.length ? encodeContinuationToken(next) : null,
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
      tables: this.visibleTables(link, now).map((t) => {
        const status = tableStatusAt(t.progress, now, this.timings);
        return {
          id: t.id,
          schema: t.source.schemaName,
          name: t.source.tableName,
          status,
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
        actionOnExistingTargetTable: actionOf(link) ?? null,
        tables: link.tables.map((t) => ({
          id: t.id,
          linkTableId: t.linkTableId,
          schema: t.source.schemaName,
          name: t.source.tableName,
          target: t.target ?? null,
          status: tableStatusAt(t.progress, now, this.timings),
          visible: isVisible(t, now),
          ...(t.removeAt === undefined ? {} : { removedAt: iso(t.removeAt) }),
          ...(t.progress.failure ? { failure: t.progress.failure } : {}),
        })),
      })),
      sourceTables: [...this.sourceTables.values()],
      targetTables: [...this.targetTables.values()],
      removalCleanup: [...this.cleanup.entries()]
        .filter(([, until]) => until > now)
        .map(([table, until]) => ({ table, until: iso(until) })),
    };
  }

  // ---- internals ----

  /** Looks a link up (404 CloudError when missing) after bringing every link up to the current sim time. */
  private require(name: string): LinkRecord {
    this.settle();
    const link = this.links.get(name.toLowerCase());
    if (!link) {
      throw new SimHttpError(
        404,
        "LinkConnectionNotFound",
        `Link connection '${name}' was not found in this workspace.`,
      );
    }
    return link;
  }

  /** Applies everything whose time has come: finished transitions, applied target updates and removals. */
  private settle(): void {
    const now = this.clock();
    for (const link of this.links.values()) {
      if (link.transition && now >= link.transition.at) {
        const { to, at } = link.transition;
        if (link.status === "Starting") link.startTime = at;
        if (to === "Stopped") link.stopTime = at;
        link.status = to;
        delete link.transition;
      }
      for (const table of link.tables) {
        if (table.nextTarget && now >= table.nextTarget.at) {
          table.target = table.nextTarget.target;
          delete table.nextTarget;
        }
        const { thawAt } = table.progress;
        if (thawAt !== undefined && now >= thawAt) {
          table.progress = {
            anchor: table.progress.anchor,
            ...(table.progress.failure ? { failure: table.progress.failure } : {}),
          };
        }
      }
      const gone = link.tables.filter((t) => t.removeAt !== undefined && now >= t.removeAt);
      if (gone.length === 0) continue;
      for (const table of gone) this.retire(table, table.removeAt ?? now);
      link.tables = link.tables.filter((t) => !gone.includes(t));
    }
  }

  /** A table leaves its link at `at`: the clean-up window opens, and a snapshotted target stays behind, non-empty. */
  private retire(table: LinkTableRecord, at: number): void {
    this.cleanup.set(
      tableKey(table.source.schemaName, table.source.tableName),
      at + this.timings.removeCleanupMs,
    );
    const status = tableStatusAt(table.progress, at, this.timings);
    if (status === "Snapshotting" || status === "Replicating") {
      const target = targetName(table.source, table.target);
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
    return link;
  }

  private freezeTables(link: LinkRecord): void {
    const now = this.clock();
    for (const table of link.tables) table.progress = freeze(table.progress, now);
  }

  private visibleTables(link: LinkRecord, now: number): LinkTableRecord[] {
    return link.tables.filter((t) => isVisible(t, now));
  }

  private tableStatus(table: LinkTableRecord, now: number): Json {
    const status = tableStatusAt(table.progress, now, this.timings);
    const failedAt = table.progress.anchor + this.timings.waitingMs;
    return {
      id: table.id,
      linkTableId: table.linkTableId,
      status,
      startTime: iso(table.appliedAt),
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

  private otherLinkHolding(
    link: LinkRecord,
    sourceKey: string,
  ): { linkName: string; beingRemoved: boolean } | undefined {
    for (const other of this.links.values()) {
      if (other === link) continue;
      const table = other.tables.find((t) => tableKey(t.source.schemaName, t.source.tableName) === sourceKey);
      if (table) return { linkName: other.name, beingRemoved: !isActive(table) };
    }
    return undefined;
  }

  /** Why an accepted add will end Failed, decided when it is accepted (checked in this order). */
  private failureFor(
    link: LinkRecord,
    source: SourceTableName,
    target: { schemaName?: string; tableName?: string } | undefined,
  ): TableFailure | undefined {
    const injected = this.faults.takeTableFailure(source.schemaName, source.tableName);
    if (injected) return injected;
    const name = displayName(source.schemaName, source.tableName);
    const sourceTable = this.sourceTables.get(tableKey(source.schemaName, source.tableName));
    if (!sourceTable) {
      return {
        code: "SourceTableNotFound",
        message: `Source table ${name} does not exist in the source database.`,
      };
    }
    if (!sourceTable.primaryKey || sourceTable.primaryKey.length === 0) {
      return {
        code: "SourceTableMissingPrimaryKey",
        message: `Source table ${name} does not have a primary key. Azure Synapse Link for SQL requires a primary key on every source table.`,
      };
    }
    const targetTable = targetName(source, target);
    const existing = this.targetTables.get(tableKey(targetTable.schemaName, targetTable.tableName));
    const action = actionOf(link) ?? DEFAULT_ACTION;
    if (existing && existing.rowCount > 0 && action === "FailOnNonEmptyTable") {
      return {
        code: "TargetTableNotEmpty",
        message:
          `Target table ${displayName(existing.schema, existing.name)} already exists and is not empty (${existing.rowCount} rows), ` +
          `and link connection '${link.name}' uses actionOnExistingTargetTable ${actionOf(link) ?? "(not set: FailOnNonEmptyTable)"}. ` +
          "Set actionOnExistingTargetTable to DropAndRecreateTable or MergeWithExistingData, or empty the target table.",
      };
    }
    return undefined;
  }
}

function targetName(
  source: SourceTableName,
  target: { schemaName?: string; tableName?: string } | undefined,
): SourceTableName {
  return {
    schemaName: target?.schemaName ?? source.schemaName,
    tableName: target?.tableName ?? source.tableName,
  };
}

function actionOf(link: LinkRecord): ActionOnExistingTargetTable | undefined {
  const target = link.properties.targetDatabase as Json | undefined;
  const action = (target?.typeProperties as Json | undefined)?.actionOnExistingTargetTable;
  return typeof action === "string" ? (action as ActionOnExistingTargetTable) : undefined;
}

/** LinkConnectionResource as Get / List / CreateOrUpdate return it: secure strings masked (SecureString's note). */
function resourceOf(link: LinkRecord): Json {
  return {
    id: `${WORKSPACE_RESOURCE_ID}/linkConnections/${link.name}`,
    name: link.name,
    type: "Microsoft.Synapse/workspaces/linkConnections",
    ...(link.description === undefined ? {} : { description: link.description }),
    properties: maskSecureStrings(structuredClone(link.properties)),
  };
}

function maskSecureStrings(node: unknown): Json {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === "object") {
      const obj = value as Json;
      if (obj.type === "SecureString" && typeof obj.value === "string") obj.value = MASKED_SECRET;
      Object.values(obj).forEach(visit);
    }
  };
  visit(node);
  return node as Json;
}

/** The definition a seeded link gets: Azure SQL Database source, dedicated SQL pool target. */
function seededDefinition(action: ActionOnExistingTargetTable | undefined): Json {
  return {
    sourceDatabase: {
      linkedService: { referenceName: "SimSourceSqlDatabase", type: "LinkedServiceReference" },
      typeProperties: {
        resourceId:
          "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/synapse-sim/providers/Microsoft.Sql/servers/sim-sql",
      },
    },
    targetDatabase: {
      linkedService: { referenceName: "SimDedicatedSqlPool", type: "LinkedServiceReference" },
      typeProperties: {
        crossTableTransaction: false,
        ...(action === undefined ? {} : { actionOnExistingTargetTable: action }),
      },
    },
    compute: { coreCount: 4, computeType: "General" },
  };
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
      const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { offset?: unknown };
      if (typeof parsed.offset === "number" && Number.isInteger(parsed.offset) && parsed.offset >= 0)
        return parsed.offset;
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
