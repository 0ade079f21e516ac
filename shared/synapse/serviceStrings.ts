import type { Distribution, Structure } from "../domain/tableTarget";
import { isEnabledOnce } from "./tableFailure";

/**
 * The only place that knows the link-connection API's own spellings. Which of them have real
 * evidence behind them is in docs/synapse-service-strings.md: `Round_RoBin` was recorded going to
 * the real service and back; `Hash`/`Replicate` come from the PowerShell docs, `Clustered_ColumnStore`
 * from a spec example, and the heap and clustered-index strings from no source at all (they follow
 * the examples' pattern), which is why a structure is sent only when a request or rule asks for one.
 * Everything is read back case-insensitively.
 */
const DISTRIBUTION_TO_SERVICE: Record<Distribution, string> = {
  Hash: "Hash",
  RoundRobin: "Round_RoBin",
  Replicate: "Replicate",
};

const STRUCTURE_TO_SERVICE: Record<Structure, string> = {
  ClusteredColumnstoreIndex: "Clustered_ColumnStore",
  Heap: "Heap",
  ClusteredIndex: "Clustered_Index",
};

export function toServiceDistribution(distribution: Distribution): string {
  return DISTRIBUTION_TO_SERVICE[distribution];
}

export function toServiceStructure(structure: Structure): string {
  return STRUCTURE_TO_SERVICE[structure];
}

function normalise(value: string): string {
  return value.replace(/[_\s-]/g, "").toLowerCase();
}

export function fromServiceDistribution(value: string | undefined): Distribution | undefined {
  if (value === undefined) return undefined;
  const wanted = normalise(value);
  return (Object.keys(DISTRIBUTION_TO_SERVICE) as Distribution[]).find((d) => normalise(d) === wanted);
}

export function fromServiceStructure(value: string | undefined): Structure | undefined {
  if (value === undefined) return undefined;
  const wanted = normalise(value);
  if (wanted === "clusteredcolumnstore") return "ClusteredColumnstoreIndex";
  return (Object.keys(STRUCTURE_TO_SERVICE) as Structure[]).find((s) => normalise(s) === wanted);
}

/** `operationType` values; the PowerShell docs and the CLI use lower case. */
export const OPERATION_ADD = "add";
export const OPERATION_REMOVE = "remove";

/** Link connection statuses (the docs' list; Starting and Stopping were recorded). Free strings on the wire; compared case-insensitively. */
export const LINK_STATUSES = [
  "Initial",
  "Starting",
  "Running",
  "Stopping",
  "Stopped",
  "Pausing",
  "Paused",
  "Resuming",
] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number] | "Unknown";

export function parseLinkStatus(value: string | undefined): LinkStatus {
  const found = LINK_STATUSES.find((s) => s.toLowerCase() === (value ?? "").toLowerCase());
  return found ?? "Unknown";
}

/** Link table statuses (the docs' list; none recorded); `WaitingForSnapshot` is Studio's name for Waiting. */
export type ServiceTableStatus =
  "Waiting" | "Snapshotting" | "Replicating" | "Failed" | "Suspended" | "Unknown";

export function parseTableStatus(value: string | undefined): ServiceTableStatus {
  switch ((value ?? "").toLowerCase()) {
    case "waiting":
    case "waitingforsnapshot":
      return "Waiting";
    case "snapshotting":
      return "Snapshotting";
    case "replicating":
      return "Replicating";
    case "failed":
      return "Failed";
    case "suspended":
      return "Suspended";
    default:
      return "Unknown";
  }
}

/**
 * SQL error 22718 ("Change Feed is already enabled on source table … A table can only be enabled
 * once among all table groups"), by number or wording: the documented transient after re-adding a
 * table whose removal is still being cleaned up, and also what a table held by another link gives.
 */
export function isEnabledOnceError(message: string, code?: string): boolean {
  return isEnabledOnce(code, message);
}

export const ACTIONS_ON_EXISTING_TARGET_TABLE = [
  "FailOnNonEmptyTable",
  "DropAndRecreateTable",
  "MergeWithExistingData",
] as const;
export type ActionOnExistingTargetTable = (typeof ACTIONS_ON_EXISTING_TARGET_TABLE)[number];
