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

/** A table of a link's definition. edittables rewrites the definition at once (REC-22/23), so there is no pending state. */
export interface LinkTableRecord {
  /** The client's id as the service returns it (verbatim, or normalised under ids:undashed). */
  id: string;
  /** The service's own id (LinkTableStatus.linkTableId), a GUID. */
  linkTableId: string;
  source: SourceTableName;
  target?: LinkTableTarget;
  /** Sim time the add was stored (querytablestatus startTime). */
  addedAt: number;
  progress: TableProgress;
}

export interface LinkRecord {
  name: string;
  /** properties.id of the resource and detailedstatus id (the same GUID in REC-23). */
  serviceId: string;
  continuousRunId: string;
  description?: string;
  /** LinkConnection (the definition) as last PUT, with secure strings unmasked. */
  properties: Record<string, unknown>;
  /** Changes on every write to the link (PUT, edittables, start, stop, …). */
  etag: string;
  status: LinkStatus;
  /** A transitional status ends at `at`, becoming `to`. */
  transition?: { to: LinkStatus; at: number };
  /** When the last start was accepted (REC-23: present while still Starting). */
  startTime?: number;
  /** When the last stop was accepted (REC-22/23: present while still Stopping). */
  stopTime?: number;
  /** The applying window after an edit: isApplyingChanges is true until this time (wire: applying:present only). */
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

export function sourceKeyOf(table: LinkTableRecord): string {
  return tableKey(table.source.schemaName, table.source.tableName);
}
