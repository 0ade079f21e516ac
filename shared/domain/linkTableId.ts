import { parse, v5 } from "uuid";
import type { LinkRef } from "./linkRef";
import { tableKey, type TableName } from "./tableName";

/** Namespace for the app's name-based link-table ids (a fixed random UUID). */
const LINK_TABLE_NAMESPACE = "5b0d6c0e-3f7a-4f7e-9a55-4b7f0b7c1d2a";

/** RFC 4122 version-5 (SHA-1, name-based) UUID in its usual dashed form. */
export function uuidV5(name: string, namespace: string): string {
  // Bytes in, the same UUID out: the library would parse the namespace and encode the name (through
  // encodeURIComponent) on every call, which intake pays for each request with a key. A name with a
  // lone surrogate goes the library's way, which refuses it (UTF-8 would turn it into U+FFFD).
  if (LONE_SURROGATE.test(name)) return v5(name, namespace);
  let namespaceBytes = parsedNamespaces.get(namespace);
  if (!namespaceBytes) parsedNamespaces.set(namespace, (namespaceBytes = parse(namespace)));
  return v5(Buffer.from(name, "utf8"), namespaceBytes);
}

const parsedNamespaces = new Map<string, Uint8Array>();
/** In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * The link-table id the app sends with `edittables`. Derived from the workspace, link and table
 * (plus the remediation attempt, since a re-added table is a new link table) so that a retried
 * activity re-sends the same id and the service treats it as the same table instead of a second add.
 *
 * Sent as 32 lower-case hex digits without dashes: every Microsoft example spells link-table ids
 * that way, and it is the only form recorded going to the real service and coming back unchanged
 * (docs/synapse-service-strings.md). Whether a dashed id would be echoed as sent is unknown.
 */
export function linkTableId(link: LinkRef, table: TableName, attempt = 0): string {
  const name = `${link.workspace.toLowerCase()}/${link.linkConnection.toLowerCase()}/${tableKey(table)}#${attempt}`;
  return normaliseLinkTableId(uuidV5(name, LINK_TABLE_NAMESPACE));
}

/**
 * One spelling for comparisons: lower case, no dashes or braces. Ledger rows written before ids were
 * sent undashed hold the dashed form, and the service may answer in either.
 */
export function normaliseLinkTableId(id: string): string {
  return id.replace(/[-{}]/g, "").toLowerCase();
}

/** Whether two link-table ids name the same table, whatever their case, dashes or braces; never for a missing id. */
export function sameLinkTableId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const left = normaliseLinkTableId(a);
  return left !== "" && left === normaliseLinkTableId(b);
}
