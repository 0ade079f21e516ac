/** Per-table status as callers see it (docs/design.md#statuses). */
export const TABLE_STATUSES = [
  "Pending",
  "Rejected",
  "Adding",
  "Waiting",
  "Snapshotting",
  "Replicating",
  "Suspended",
  "Failed",
  "Removing",
  "Removed",
] as const;
export type TableStatus = (typeof TABLE_STATUSES)[number];

export const REQUEST_STATUSES = [
  "Queued",
  "InProgress",
  "Succeeded",
  "PartiallySucceeded",
  "Failed",
  "Rejected",
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** What a request asks the worker to do with its tables. `reAdd` re-snapshots a linked table. */
export const ACTIONS = ["add", "remove", "reAdd"] as const;
export type Action = (typeof ACTIONS)[number];

/** Reads an action stored or queued by any version: earlier ones spelled `reAdd` as "readd". */
export function parseAction(value: unknown): Action | undefined {
  const spelled = value === "readd" ? "reAdd" : value;
  return ACTIONS.find((a) => a === spelled);
}

const TERMINAL: ReadonlySet<TableStatus> = new Set(["Replicating", "Removed", "Failed", "Rejected"]);
const SUCCEEDED: ReadonlySet<TableStatus> = new Set(["Replicating", "Removed"]);

/** A table whose request can be reported on: it will not change without a new request. */
export function isTerminal(status: TableStatus): boolean {
  return TERMINAL.has(status);
}

/** Statuses a table can still leave without a new request: work in flight or waiting for an edit. */
export const NON_TERMINAL_STATUSES: readonly TableStatus[] = TABLE_STATUSES.filter((s) => !isTerminal(s));
export const TERMINAL_STATUSES: readonly TableStatus[] = TABLE_STATUSES.filter((s) => isTerminal(s));

export function isSuccess(status: TableStatus): boolean {
  return SUCCEEDED.has(status);
}

/** The request's status follows from its tables' statuses. */
export function requestStatusOf(tableStatuses: readonly TableStatus[]): RequestStatus {
  if (tableStatuses.length === 0) return "Queued";
  if (!tableStatuses.every(isTerminal)) return "InProgress";
  const succeeded = tableStatuses.filter(isSuccess).length;
  if (succeeded === tableStatuses.length) return "Succeeded";
  if (tableStatuses.every((s) => s === "Rejected")) return "Rejected";
  return succeeded > 0 ? "PartiallySucceeded" : "Failed";
}
