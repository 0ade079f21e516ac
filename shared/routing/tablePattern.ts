import { qualifiedName, type TableName } from "../domain/tableName";

/** `schema.table` patterns with `*` wildcards (`dbo.*`, `*.tmp_*`), matched case-insensitively. */
export function tablePatternMatches(pattern: string, table: TableName): boolean {
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return regex.test(qualifiedName(table));
}

export function isValidTablePattern(pattern: string): boolean {
  return /^[^.\s]+\.[^.\s]+$/.test(pattern);
}
