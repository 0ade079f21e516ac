import type { Distribution, Structure } from "../domain/tableTarget";

/**
 * The only place that knows the link-connection API's own spellings
 * (../shared/reference/synapse-link-api.md §1.4). Microsoft's examples spell round robin
 * `Round_RoBin`; heap and clustered-index structure strings are not documented, so the
 * spellings below follow the examples' pattern and are read back case-insensitively.
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

/** Link connection statuses (reference §3.1). Free strings on the wire; compared case-insensitively. */
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

/** Link table statuses (reference §3.2); `WaitingForSnapshot` is Studio's name for Waiting. */
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

/** Documented transient error when re-adding a table whose removal is still being cleaned up (reference §5.2). */
export function isEnabledOnceError(message: string): boolean {
  return /can only be enabled once/i.test(message);
}

export const ACTIONS_ON_EXISTING_TARGET_TABLE = [
  "FailOnNonEmptyTable",
  "DropAndRecreateTable",
  "MergeWithExistingData",
] as const;
export type ActionOnExistingTargetTable = (typeof ACTIONS_ON_EXISTING_TARGET_TABLE)[number];
