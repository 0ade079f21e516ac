// The simulator's public contract. Other code (app tests, the dev host, `npm run sim`) depends on these exact names.
import type { SimProfile } from "./simProfile";

export type { SimProfile, SimProfileKey } from "./simProfile";

export type LinkStatus =
  "Initial" | "Starting" | "Running" | "Stopping" | "Stopped" | "Pausing" | "Paused" | "Resuming";

export type ActionOnExistingTargetTable =
  "FailOnNonEmptyTable" | "DropAndRecreateTable" | "MergeWithExistingData";

/** A table in the source database. No / empty `primaryKey` => SQL error 22720 when added. */
export interface SimSourceTable {
  schema: string;
  name: string;
  primaryKey?: string[];
  /**
   * Columns whose types Change Feed cannot carry (user-defined types, geometry, geography, hierarchyid, sql_variant,
   * timestamp), e.g. ["Shape geography"]; non-empty => SQL error 22737 when added.
   */
  unsupportedColumns?: string[];
}

/** A table that already exists in the dedicated SQL pool (the link's target database). */
export interface SimTargetTable {
  schema: string;
  name: string;
  rowCount: number;
}

export interface SimLinkSeed {
  name: string;
  /** Default "Running". */
  status?: "Initial" | "Running" | "Stopped" | "Paused";
  /** Absent = FailOnNonEmptyTable semantics (the spec's default). */
  actionOnExistingTargetTable?: ActionOnExistingTargetTable;
  /** Tables already in the link, Replicating. */
  tables?: { schema: string; name: string; id?: string }[];
  /**
   * `properties.targetDatabase.linkedService` of the link: the linked service (and its arguments) that names the
   * dedicated SQL pool. Default `{ referenceName: "SimDedicatedSqlPool" }`, a linked service a seed need not define.
   */
  targetLinkedService?: SimLinkedServiceReference;
}

/** A `LinkedServiceReference` (the spec's `type: "LinkedServiceReference"` is added on the wire). */
export interface SimLinkedServiceReference {
  referenceName: string;
  /** Arguments for the linked service's parameters, e.g. `{ DBName: "demopool" }` (REC-23's real link). */
  parameters?: Record<string, unknown>;
}

/**
 * A linked service of the workspace, served by `GET /linkedservices/{name}` (LinkedService_GetLinkedService).
 * `properties` is the wire body's `properties` (`type`, `typeProperties`, `parameters`, …); it must validate
 * against the vendored spec's subtype for its `type` (only `AzureSqlDW` is vendored), or the start fails.
 */
export interface SimLinkedServiceSeed {
  name: string;
  properties: Record<string, unknown>;
}

export interface SimSeed {
  links: SimLinkSeed[];
  sourceTables: SimSourceTable[];
  targetTables?: SimTargetTable[];
  /** The workspace's linked services (default none: every `GET /linkedservices/…` is a 404). */
  linkedServices?: SimLinkedServiceSeed[];
}

/** Milliseconds of *sim clock* time. */
export interface SimTimings {
  /** With the profile applying:present, isApplyingChanges stays true this long after an edittables call. */
  applyMs: number;
  /** A table stays "Waiting" (or "WaitingForSnapshot") this long once its link runs. */
  waitingMs: number;
  /** Then "Snapshotting" this long, then "Replicating". */
  snapshotMs: number;
  /** Starting / Stopping / Pausing / Resuming duration. */
  linkTransitionMs: number;
  /** From the moment a removal is stored, re-adding that table meets SQL error 22718 for this long. */
  removeCleanupMs: number;
}

export interface SynapseSimOptions {
  /** 0 / undefined = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: empty (no links). */
  seed?: SimSeed;
  /** If set, the bearer token must equal it; otherwise any non-empty bearer token is accepted. */
  token?: string;
  /** ms epoch; default Date.now scaled by timeScale from start. */
  clock?: () => number;
  /** Default 1; 60 = one real second is one sim minute (only used when no clock is given). */
  timeScale?: number;
  timings?: Partial<SimTimings>;
  /** ListByWorkspace page size (nextLink paging), default 50. */
  pageSize?: number;
  /**
   * The answer to each open question about the real service: an object, or text such as
   * "ids:undashed,enabledOnce:failedStatus". Unset keys take DEFAULT_SIM_PROFILE's answer; an unknown key or value
   * throws naming it.
   */
  profile?: Partial<SimProfile> | string;
}

export interface SimCall {
  /** The spec's operationId, e.g. "LinkConnection_EditTables" ("Unknown" for an unrouted path). */
  operationId: string;
  method: string;
  path: string;
  linkConnection?: string;
  apiVersion?: string;
  body?: unknown;
  /** HTTP status sent; 0 when an injected `reset` fault destroyed the socket. */
  status: number;
  /** Sim clock time (ms epoch) when the request was handled. */
  at: number;
}

export type SimFault =
  | {
      kind: "status";
      /** 409: another caller got there first (e.g. a pool resume raced by someone else). */
      status: 409 | 429 | 500 | 503;
      retryAfterSeconds?: number;
      /** Every Nth matching request (1-based count across matching requests). */
      everyNth?: number;
      /** Only this many injections. */
      times?: number;
      /** operationIds to match (default all); "LinkConnection_EditTables" and "EditTables" both work. */
      operations?: string[];
    }
  | { kind: "latency"; ms: number; operations?: string[] }
  | { kind: "reset"; times?: number; operations?: string[] }
  | {
      kind: "tableFailure";
      schema: string;
      name: string;
      errorCode?: string;
      errorMessage?: string;
      /** For this many adds; default every add. */
      times?: number;
    };

export interface SimLinkTableView {
  id: string;
  schema: string;
  name: string;
  /** As querytablestatus shows it (Waiting / WaitingForSnapshot, Snapshotting, Replicating, Failed). */
  status: string;
  errorMessage?: string;
}

export interface SimLinkView {
  name: string;
  status: LinkStatus;
  tables: SimLinkTableView[];
  /** Inside the applyMs window after an edit (on the wire only with the profile applying:present). */
  isApplyingChanges: boolean;
}

export interface SynapseSim {
  /** e.g. http://127.0.0.1:54321 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** The answers this simulator gives to the open questions (see README.md, "Profiles"). */
  readonly profile: SimProfile;
  /** Every API request handled (including injected faults), in order. Control calls under /_sim/ are not recorded. */
  readonly calls: SimCall[];
  callsTo(operationId: string, linkConnection?: string): SimCall[];
  addFault(f: SimFault): void;
  clearFaults(): void;
  /** Replace state and clear calls / faults. */
  reset(seed?: SimSeed): void;
  /**
   * Adds or replaces a source table, as a change made in the database would (a primary key added):
   * adds from now on are judged on it; entries already in a link keep their state.
   */
  putSourceTable(table: SimSourceTable): void;
  /** Read-only view of a link's state at the current sim time. */
  link(name: string): SimLinkView | undefined;
  close(): Promise<void>;
}
