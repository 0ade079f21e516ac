/**
 * The dedicated SQL pool a link's target linked service names (docs/control-plane.md#finding-the-pool).
 *
 * A link connection points at its target through `properties.targetDatabase.linkedService`, a
 * LinkedServiceReference with optional arguments. An Azure Synapse Analytics linked service
 * (`type: "AzureSqlDW"`) names the pool as the database: `typeProperties.database` (the connector's
 * "recommended version") or `Initial Catalog` / `Database` in `typeProperties.connectionString`. The
 * workspace's own `{workspace}-WorkspaceDefaultSqlServer` makes it a parameter,
 * `Initial Catalog=@{linkedService().DBName}`, which the link's reference fills in (a real link
 * recorded `parameters: { DBName: "v2" }`); the parameter's `defaultValue` applies when it does not.
 * Anything else (another type, a Key Vault or masked connection string, an expression that is not a
 * plain parameter) names no pool the app can know, and the caller falls back.
 */

/** `properties.targetDatabase.linkedService` of a link connection. */
export interface LinkedServiceReferenceWire {
  referenceName: string;
  parameters?: Record<string, unknown>;
}

/** `properties` of a LinkedServiceResource, as it comes on the wire (the SDK flattens it; the app reads the raw body). */
export interface LinkedServiceWire {
  type?: unknown;
  typeProperties?: { connectionString?: unknown; database?: unknown };
  parameters?: Record<string, { type?: unknown; defaultValue?: unknown } | undefined>;
}

/** The pool, or why the linked service names none (said in the worker's notice). */
export type LinkedServicePool = { pool: string } | { none: string };

const DATABASE_KEYS = new Set(["initial catalog", "database"]);
/** `@{linkedService().X}` or `@linkedService().X`: the only expression the app evaluates. */
const PARAMETER_EXPRESSION = /^@\{?\s*linkedService\(\)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}?$/;

export function poolOfLinkedService(
  reference: LinkedServiceReferenceWire,
  linkedService: LinkedServiceWire,
): LinkedServicePool {
  const name = reference.referenceName;
  const type = typeof linkedService.type === "string" ? linkedService.type : "";
  if (type.toLowerCase() !== "azuresqldw") {
    return { none: `linked service ${name} is of type ${type || "(none)"}, not AzureSqlDW` };
  }
  const database = linkedService.typeProperties?.database;
  const raw =
    typeof database === "string" && database.trim() !== ""
      ? database.trim()
      : databaseOfConnectionString(linkedService.typeProperties?.connectionString);
  if (raw === undefined) {
    return {
      none: `linked service ${name} names no database (no Initial Catalog in a readable connection string)`,
    };
  }
  const parameter = PARAMETER_EXPRESSION.exec(raw)?.[1];
  if (parameter === undefined) {
    return raw.startsWith("@")
      ? {
          none: `linked service ${name} computes its database with an expression the app does not evaluate (${raw})`,
        }
      : { pool: raw };
  }
  const argument =
    lookup(reference.parameters, parameter) ?? lookup(linkedService.parameters, parameter, true);
  return typeof argument === "string" && argument.trim() !== "" && !argument.trim().startsWith("@")
    ? { pool: argument.trim() }
    : {
        none: `linked service ${name} takes its database from parameter ${parameter}, and the link passes no value for it`,
      };
}

/** `Initial Catalog` (or `Database`) of a plain-string connection string; undefined for a secret or none. */
function databaseOfConnectionString(connectionString: unknown): string | undefined {
  // A SecureString comes back masked and a Key Vault reference has no text: neither can be read.
  if (typeof connectionString !== "string") return undefined;
  for (const part of connectionString.split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim().toLowerCase();
    const value = part.slice(at + 1).trim();
    if (DATABASE_KEYS.has(key) && value !== "") return value;
  }
  return undefined;
}

/** A parameter by its exact name (no source documents case-insensitive matching); `defaults` reads `defaultValue`. */
function lookup(values: Record<string, unknown> | undefined, name: string, defaults = false): unknown {
  if (!values || !Object.hasOwn(values, name)) return undefined;
  const value = values[name];
  return defaults ? (value as { defaultValue?: unknown } | undefined)?.defaultValue : value;
}
