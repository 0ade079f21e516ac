import { createHash } from "node:crypto";
import type { LinkRef } from "./linkRef";
import { tableKey, type TableName } from "./tableName";

/** Namespace for the app's name-based link-table ids (a fixed random UUID). */
const LINK_TABLE_NAMESPACE = "5b0d6c0e-3f7a-4f7e-9a55-4b7f0b7c1d2a";

/** RFC 4122 version-5 (SHA-1, name-based) UUID. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const bytes = createHash("sha1").update(ns).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The link-table id the app sends with `edittables`. Derived from the workspace, link and table
 * (plus the remediation attempt, since a re-added table is a new link table) so that a retried
 * activity re-sends the same id and the service treats it as the same table instead of a second add.
 */
export function linkTableId(link: LinkRef, table: TableName, attempt = 0): string {
  const name = `${link.workspace.toLowerCase()}/${link.linkConnection.toLowerCase()}/${tableKey(table)}#${attempt}`;
  return uuidV5(name, LINK_TABLE_NAMESPACE);
}
