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
  isApplyingChanges: boolean;
  isPartiallyFailed: boolean;
  error?: string;
}

/** A table that is part of a link connection (`linktables`). */
export interface LinkedTable {
  id: string;
  source: TableName;
  target?: Partial<TableTarget>;
}

export interface LinkTableState {
  /** The client-chosen link table id. */
  id: string;
  status: ServiceTableStatus;
  rawStatus: string;
  errorCode?: string;
  errorMessage?: string;
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
  editTables(link: LinkRef, edits: readonly LinkTableEdit[]): Promise<void>;
  /** Every page of `querytablestatus`, following continuation tokens. */
  queryTableStatus(link: LinkRef): Promise<LinkTableState[]>;
  start(link: LinkRef): Promise<void>;
  resume(link: LinkRef): Promise<void>;
}

/** A failed call to the Synapse service, with its HTTP status and the service's own error text. */
export class SynapseRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly operation: string,
  ) {
    super(message);
    this.name = "SynapseRequestError";
  }
}
