// The simulator's public contract. Other code (app tests, the dev host, `npm run sim`) depends on these exact names.

export type LinkStatus =
  "Initial" | "Starting" | "Running" | "Stopping" | "Stopped" | "Pausing" | "Paused" | "Resuming";

export type ActionOnExistingTargetTable =
  "FailOnNonEmptyTable" | "DropAndRecreateTable" | "MergeWithExistingData";

/** A table in the source database. No / empty `primaryKey` => the table goes Failed when added. */
export interface SimSourceTable {
  schema: string;
  name: string;
  primaryKey?: string[];
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
}

export interface SimSeed {
  links: SimLinkSeed[];
  sourceTables: SimSourceTable[];
  targetTables?: SimTargetTable[];
}

/** Milliseconds of *sim clock* time. */
export interface SimTimings {
  /** isApplyingChanges stays true this long after an edittables call. */
  applyMs: number;
  /** A table stays "Waiting" this long after the edit is applied. */
  waitingMs: number;
  /** Then "Snapshotting" this long, then "Replicating". */
  snapshotMs: number;
  /** Starting / Stopping / Pausing / Resuming duration. */
  linkTransitionMs: number;
  /** After a table is removed, re-adding it fails with the transient error for this long. */
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
      status: 429 | 500 | 503;
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
  status: string;
  errorMessage?: string;
}

export interface SimLinkView {
  name: string;
  status: LinkStatus;
  tables: SimLinkTableView[];
  isApplyingChanges: boolean;
}

export interface SynapseSim {
  /** e.g. http://127.0.0.1:54321 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every API request handled (including injected faults), in order. Control calls under /_sim/ are not recorded. */
  readonly calls: SimCall[];
  callsTo(operationId: string, linkConnection?: string): SimCall[];
  addFault(f: SimFault): void;
  clearFaults(): void;
  /** Replace state and clear calls / faults. */
  reset(seed?: SimSeed): void;
  /** Read-only view of a link's state at the current sim time. */
  link(name: string): SimLinkView | undefined;
  close(): Promise<void>;
}
