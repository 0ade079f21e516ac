import type { TableName } from "./tableName";

export const DISTRIBUTIONS = ["Hash", "RoundRobin", "Replicate"] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export const STRUCTURES = ["ClusteredColumnstoreIndex", "Heap", "ClusteredIndex"] as const;
export type Structure = (typeof STRUCTURES)[number];

/** Where and how a table lands in the dedicated SQL pool. */
export interface TableTarget extends TableName {
  distribution: Distribution;
  /** Required for `Hash`, ignored otherwise. */
  distributionColumn?: string;
  structure: Structure;
}

/** What a caller may leave out; filled from rule or app defaults. */
export type TableTargetRequest = Partial<TableTarget>;

export interface TargetDefaults {
  distribution: Distribution;
  structure: Structure;
}

export const APP_TARGET_DEFAULTS: TargetDefaults = {
  distribution: "RoundRobin",
  structure: "ClusteredColumnstoreIndex",
};

export function resolveTarget(
  source: TableName,
  requested: TableTargetRequest | undefined,
  defaults: TargetDefaults = APP_TARGET_DEFAULTS,
): TableTarget {
  const distribution = requested?.distribution ?? defaults.distribution;
  const target: TableTarget = {
    schema: requested?.schema ?? source.schema,
    name: requested?.name ?? source.name,
    distribution,
    structure: requested?.structure ?? defaults.structure,
  };
  if (distribution === "Hash" && requested?.distributionColumn !== undefined) {
    target.distributionColumn = requested.distributionColumn;
  }
  return target;
}
