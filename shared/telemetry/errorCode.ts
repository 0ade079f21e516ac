/**
 * A short, low-cardinality code for a table's failure text, as the metric dimension `error.code`
 * (the text itself is unbounded: table names, request ids, service messages). The order matters:
 * the app's own reasons first, then a SQL Server error number (catalogue 22000–22999, what
 * sys.sp_change_feed_enable_table raises), then a service code in PascalCase, else `Other`.
 */
const RULES: readonly (readonly [RegExp, string])[] = [
  [/SQL_POOL_DEADLINE_MINUTES/, "SqlPoolUnavailable"],
  [/did not reach Replicating within|TABLE_DEADLINE_MINUTES/i, "Deadline"],
  [/and the service refused to remove it/i, "RemovalRefused"],
  [/Link connection \S+ does not exist/i, "LinkNotFound"],
  [/tables can only be added to a running link/i, "LinkNotRunning"],
  [/is no longer configured \(SYNAPSE_WORKSPACES/i, "WorkspaceNotConfigured"],
  [/a table can belong to one link connection only/i, "InAnotherLink"],
  [/MAX_TABLES_PER_LINK|the limit is \d+|\b22753\b/i, "TableLimit"],
  // A missing key only: a key on an unsupported type (22721) or a computed column (22719) is not this.
  [/(no|without( a)?|missing|does not have a|doesn't have a) primary key|\b22720\b/i, "NoPrimaryKey"],
  [/non-?empty|FailOnNonEmptyTable/i, "NonEmptyTarget"],
  [/unsupported (column )?(data )?types?|user-defined types|sql_variant/i, "UnsupportedColumnType"],
];

export function errorCodeOf(error: string): string {
  for (const [pattern, code] of RULES) if (pattern.test(error)) return code;
  const sqlError = /\b(2[0-9]{4})\b/.exec(error)?.[1];
  if (sqlError !== undefined) return `Sql${sqlError}`;
  const serviceCode = /\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*){2,})\b/.exec(error)?.[1];
  return serviceCode ?? "Other";
}

/** The remediation attempts a failure text reports (`… (after 2 remove-and-re-add attempts)`). */
export function remediationAttemptsIn(error: string): number | undefined {
  const match = /after (\d+) remove-and-re-add attempts?/i.exec(error);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
