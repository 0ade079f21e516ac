import type { LinkRef } from "../domain/linkRef";
import type { TableName } from "../domain/tableName";
import type { TableTarget } from "../domain/tableTarget";
import type { ActionOnExistingTargetTable, LinkStatus, ServiceTableStatus } from "./serviceStrings";

/** A link connection's definition, as far as the worker cares. */
export interface LinkConnectionInfo {
  name: string;
  /** Absent on the wire means the service default, `FailOnNonEmptyTable`. */
  actionOnExistingTargetTable: ActionOnExistingTargetTable;
}

export interface LinkDetailedStatus {
  status: LinkStatus;
  /** The raw status string, for messages when it is one the app does not know. */
  rawStatus: string;
  /**
   * `undefined` when the service leaves the field out, as it did in every recorded real response;
   * only a value the service sent says whether an edit is still being applied.
   */
  isApplyingChanges?: boolean;
  isPartiallyFailed: boolean;
  error?: string;
}

/**
 * The dedicated SQL pool a link writes to, as its target linked service names it
 * (shared/synapse/linkedServicePool.ts): `pool`, or `none` saying why it names none.
 */
export type LinkTargetPool =
  { linkedService: string; pool: string } | { linkedService?: string; none: string };

/** A table that is part of a link connection (`linktables`). */
export interface LinkedTable {
  id: string;
  source: TableName;
  target?: Partial<TableTarget>;
}

export interface LinkTableState {
  /** The client-chosen link table id, by the spec's description. */
  id: string;
  /** The service's `linkTableId`, which may be the client's id instead. */
  linkTableId?: string;
  status: ServiceTableStatus;
  rawStatus: string;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * What `edittables` answered. The service answers with the whole link resource, its definition's
 * `linkTables` included (REC-23, docs/real-service.md): after an accepted edit, every table the link
 * now holds. Undefined when the answer carries no table list (the spec declares no response body).
 */
export interface EditTablesAnswer {
  linkTables?: LinkedTable[];
}

export type LinkTableEdit =
  | { operation: "add"; id: string; source: TableName; target: TableTarget }
  | { operation: "remove"; id: string; source: TableName };

/**
 * The Synapse link-connection operations the worker needs (data plane, one workspace at a time).
 * Errors are thrown as {@link SynapseRequestError}.
 */
export interface SynapseLinkClient {
  listLinkConnections(workspace: string): Promise<string[]>;
  getLinkConnection(link: LinkRef): Promise<LinkConnectionInfo | undefined>;
  getDetailedStatus(link: LinkRef): Promise<LinkDetailedStatus>;
  listLinkTables(link: LinkRef): Promise<LinkedTable[]>;
  editTables(link: LinkRef, edits: readonly LinkTableEdit[]): Promise<EditTablesAnswer>;
  /** Every page of `querytablestatus`, following continuation tokens. */
  queryTableStatus(link: LinkRef): Promise<LinkTableState[]>;
  start(link: LinkRef): Promise<void>;
  resume(link: LinkRef): Promise<void>;
  /**
   * The link's target pool: the link's `targetDatabase.linkedService`, then that linked service
   * (artifacts API `LinkedService_GetLinkedService`). A link or linked service that does not exist
   * (404), or that the app may not read (403), is `none`; other failures are thrown.
   */
  getTargetPool(link: LinkRef): Promise<LinkTargetPool>;
}

/**
 * A failed call to the Synapse service. `message` is written for a person (what failed and, for
 * 401/403, which setting to fix); `code` and `serviceMessage` are the service's own, for code that
 * classifies errors (e.g. `classifyTableFailure(error.code, error.serviceMessage)`).
 */
export class SynapseRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly operation: string,
    readonly serviceMessage?: string,
  ) {
    super(message);
    this.name = "SynapseRequestError";
  }
}

/** A 4xx other than throttling is the service refusing the request itself, not a fault to retry. */
export function isRejection(error: unknown): error is SynapseRequestError {
  return (
    error instanceof SynapseRequestError &&
    error.statusCode !== undefined &&
    error.statusCode >= 400 &&
    error.statusCode < 500 &&
    error.statusCode !== 408 &&
    error.statusCode !== 429
  );
}

/**
 * The service throttled the call (429/503) and either asked for a longer wait than one call may
 * spend (the adapter bounds its waits so an activity never blocks for long), or kept throttling
 * through the SDK's retries. The caller should wait `retryAfterSeconds` (e.g. on a durable timer)
 * and try again.
 */
export class SynapseThrottledError extends SynapseRequestError {
  constructor(
    message: string,
    statusCode: number | undefined,
    code: string | undefined,
    operation: string,
    /** The service's `Retry-After`, or a default when it sent none. */
    readonly retryAfterSeconds: number,
    serviceMessage?: string,
  ) {
    super(message, statusCode, code, operation, serviceMessage);
    this.name = "SynapseThrottledError";
  }
}
