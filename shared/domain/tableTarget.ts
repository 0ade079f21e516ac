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
  /**
   * Only when the request or a routing rule asks for one. Without it the app sends no
   * `structureOptions` and the service applies its own default (a recorded real session shows it
   * stores and returns none); the structure strings have no recorded evidence
   * (docs/synapse-service-strings.md).
   */
  structure?: Structure;
}

/** What a caller may leave out; filled from rule or app defaults. */
export type TableTargetRequest = Partial<TableTarget>;

export interface TargetDefaults {
  distribution: Distribution;
  /** A routing rule's structure; the app itself has no structure default. */
  structure?: Structure;
}

/** Round robin is what the recorded real sessions sent and got back (`Round_RoBin`). */
export const APP_TARGET_DEFAULTS: TargetDefaults = {
  distribution: "RoundRobin",
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
  };
  const structure = requested?.structure ?? defaults.structure;
  if (structure !== undefined) target.structure = structure;
  if (distribution === "Hash" && requested?.distributionColumn !== undefined) {
    target.distributionColumn = requested.distributionColumn;
  }
  return target;
}
