/** A source or target table, by schema and name (SQL identifiers, unquoted). */
export interface TableName {
  schema: string;
  name: string;
}

export const MAX_IDENTIFIER_LENGTH = 128;

/** `schema.name`, the form used in logs, keys and error messages. */
export function qualifiedName(table: TableName): string {
  return `${table.schema}.${table.name}`;
}

/** SQL Server compares identifiers case-insensitively under the default collations. */
export function sameTable(a: TableName, b: TableName): boolean {
  return a.schema.toLowerCase() === b.schema.toLowerCase() && a.name.toLowerCase() === b.name.toLowerCase();
}

export function tableKey(table: TableName): string {
  return qualifiedName(table).toLowerCase();
}
