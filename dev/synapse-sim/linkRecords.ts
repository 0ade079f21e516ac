// The simulator's internal records of link connections and their link tables, and the wire shapes of the request
// bodies it reads (already validated against the spec, so only optionality is left to check).
import type { LinkStatus } from "./publicTypes";
import type { TableProgress } from "./tableLifecycle";

export interface SourceTableName {
  schemaName: string;
  tableName: string;
}

/** LinkTableRequestTarget as sent by the client; stored and returned verbatim. */
export type LinkTableTarget = Record<string, unknown> & { schemaName?: string; tableName?: string };

export interface LinkTableRecord {
  /** The client's id (LinkTableRequest.id). */
  id: string;
  /** The service's own id (LinkTableStatus.linkTableId). */
  linkTableId: string;
  source: SourceTableName;
  target?: LinkTableTarget;
  /** The table shows in linktables / querytablestatus from this time (the edit is applied). */
  appliedAt: number;
  /** A removal was accepted: the table is gone from this time. */
  removeAt?: number;
  /** An update was accepted: the new target applies from `at`. */
  nextTarget?: { target: LinkTableTarget; at: number };
  progress: TableProgress;
}

export interface LinkRecord {
  name: string;
  /** LinkConnectionDetailedStatus.id (a GUID in the spec example). */
  serviceId: string;
  continuousRunId: string;
  description?: string;
  /** LinkConnection (the definition) as last PUT, with secure strings unmasked. */
  properties: Record<string, unknown>;
  status: LinkStatus;
  /** A transitional status ends at `at`, becoming `to`. */
  transition?: { to: LinkStatus; at: number };
  startTime?: number;
  stopTime?: number;
  /** isApplyingChanges is true until this time. */
  applyingUntil: number;
  tables: LinkTableRecord[];
  landingZoneCredentialExpireTime?: number;
}

export interface LinkTableRequestWire {
  id?: string;
  source?: { tableName?: string; schemaName?: string };
  target?: LinkTableTarget;
  operationType?: string;
}

export interface EditTablesRequestWire {
  linkTables?: LinkTableRequestWire[];
}

export interface QueryTableStatusRequestWire {
  maxSegmentCount?: number;
  continuationToken?: unknown;
}

/** SQL Server identifiers compare case-insensitively under the default collation. */
export function tableKey(schema: string, name: string): string {
  return `${schema.toLowerCase()}.${name.toLowerCase()}`;
}

export function displayName(schema: string, name: string): string {
  return `[${schema}].[${name}]`;
}

/** Still part of the link (possibly not yet applied), i.e. no removal accepted. */
export function isActive(table: LinkTableRecord): boolean {
  return table.removeAt === undefined;
}

/** Shown by linktables / querytablestatus at `now`. */
export function isVisible(table: LinkTableRecord, now: number): boolean {
  return now >= table.appliedAt && (table.removeAt === undefined || now < table.removeAt);
}
