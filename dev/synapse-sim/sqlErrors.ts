// The source database's own errors for the rules Synapse Link enforces through sys.sp_change_feed_enable_table, worded
// exactly as SQL Server's error catalogue 22000–22999 has them. Using the error number as the service's error code
// is a simulator choice: no real link-connection response carrying one of these errors has been published.

export interface SqlError {
  /** The SQL error number, as a string (the simulator's stand-in for the service's unknown error code). */
  code: string;
  message: string;
}

/** 22718: the same text covers "in another link" and "re-added before the removal was cleaned up" (DOC-KI). */
export function enabledOnceError(schema: string, name: string, linkTableId: string): SqlError {
  return {
    code: "22718",
    message:
      `Change Feed is already enabled on source table '${schema}.${name}' with link table id '${linkTableId}'. ` +
      "A table can only be enabled once among all table groups.",
  };
}

export const NO_PRIMARY_KEY_ERROR: SqlError = {
  code: "22720",
  message: "Enabling Change Feed on a table without primary key is not allowed.",
};

export const UNSUPPORTED_COLUMN_TYPES_ERROR: SqlError = {
  code: "22737",
  message:
    "Can not enable Change Feed on a table where the column data type are user-defined types, geometry, geography, hierarchyid, sql_variant or timestamp",
};

export const MAX_TABLES_PER_TABLE_GROUP = 5000;

export function tableLimitError(currentlyEnabled: number): SqlError {
  return {
    code: "22753",
    message:
      `The number of tables enabled for a Change Feed table group can not exceed ${MAX_TABLES_PER_TABLE_GROUP}. ` +
      `Current number of table enabled: ${currentlyEnabled}.`,
  };
}
