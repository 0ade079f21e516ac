// Why an accepted-looking add cannot be enabled on the source, and how each reason surfaces under the profile: as an
// immediate 400 from edittables, or as a table that shows Failed once Waiting ends. Where the real service reports
// these is not recorded; the profiles cover both answers (README.md, "Profiles").
import type { PlannedAdd } from "./editTablesPlan";
import { displayName, tableKey, type LinkTableTarget, type SourceTableName } from "./linkRecords";
import type { ActionOnExistingTargetTable, SimSourceTable, SimTargetTable } from "./publicTypes";
import type { SimProfile } from "./simProfile";
import {
  enabledOnceError,
  MAX_TABLES_PER_TABLE_GROUP,
  NO_PRIMARY_KEY_ERROR,
  tableLimitError,
  UNSUPPORTED_COLUMN_TYPES_ERROR,
} from "./sqlErrors";
import type { TableFailure } from "./tableLifecycle";

/** Which profile key decides how a refusal surfaces; "failedOnly" always surfaces as a Failed table. */
export type RefusalRule = "enabledOnce" | "permanentErrors" | "failedOnly";

export interface Refusal {
  rule: RefusalRule;
  failure: TableFailure;
}

export interface RefusalContext {
  sourceTable(schema: string, name: string): SimSourceTable | undefined;
  targetTable(schema: string, name: string): SimTargetTable | undefined;
  /** The link table (in another link of the workspace) that already holds this source table. */
  heldElsewhere(sourceKey: string): { linkTableId: string } | undefined;
  /** The removal clean-up window still open for this source table. */
  cleanupOf(sourceKey: string): { linkTableId: string } | undefined;
  linkName: string;
  action: ActionOnExistingTargetTable | undefined;
  /** The spec's default when the link does not set actionOnExistingTargetTable. */
  defaultAction: ActionOnExistingTargetTable;
}

/** Every reason this add cannot be enabled, in the order the service is assumed to check them. */
export function refusalsFor(add: PlannedAdd, tablesBefore: number, ctx: RefusalContext): Refusal[] {
  const { schemaName, tableName } = add.source;
  const sourceKey = tableKey(schemaName, tableName);
  const refusals: Refusal[] = [];
  const source = ctx.sourceTable(schemaName, tableName);
  if (!source) {
    refusals.push({
      rule: "failedOnly",
      failure: {
        code: "SourceTableNotFound",
        message: `Source table ${displayName(schemaName, tableName)} does not exist in the source database.`,
      },
    });
  }
  const holder = add.heldHere ?? ctx.heldElsewhere(sourceKey) ?? ctx.cleanupOf(sourceKey);
  if (holder) {
    refusals.push({
      rule: "enabledOnce",
      // SQL prints a uniqueidentifier upper-case with dashes (a simulator choice for the id's spelling).
      failure: enabledOnceError(schemaName, tableName, holder.linkTableId.toUpperCase()),
    });
  }
  if (source && (source.primaryKey ?? []).length === 0) {
    refusals.push({ rule: "permanentErrors", failure: NO_PRIMARY_KEY_ERROR });
  }
  if (source && (source.unsupportedColumns ?? []).length > 0) {
    refusals.push({ rule: "permanentErrors", failure: UNSUPPORTED_COLUMN_TYPES_ERROR });
  }
  if (tablesBefore >= MAX_TABLES_PER_TABLE_GROUP) {
    refusals.push({ rule: "permanentErrors", failure: tableLimitError(tablesBefore) });
  }
  const targetFailure = nonEmptyTargetFailure(add.source, add.target, ctx);
  if (targetFailure) refusals.push({ rule: "failedOnly", failure: targetFailure });
  return refusals;
}

/** The first refusal the profile turns into an immediate 400, if any. */
export function badRequestRefusal(refusals: Refusal[], profile: SimProfile): Refusal | undefined {
  return refusals.find((r) => r.rule !== "failedOnly" && profile[r.rule] === "badRequest");
}

function nonEmptyTargetFailure(
  source: SourceTableName,
  target: LinkTableTarget | undefined,
  ctx: RefusalContext,
): TableFailure | undefined {
  const name = targetNameOf(source, target);
  const existing = ctx.targetTable(name.schemaName, name.tableName);
  const action = ctx.action ?? ctx.defaultAction;
  if (!existing || existing.rowCount === 0 || action !== "FailOnNonEmptyTable") return undefined;
  return {
    code: "TargetTableNotEmpty",
    message:
      `Target table ${displayName(existing.schema, existing.name)} already exists and is not empty (${existing.rowCount} rows), ` +
      `and link connection '${ctx.linkName}' uses actionOnExistingTargetTable ${ctx.action ?? "(not set: FailOnNonEmptyTable)"}. ` +
      "Set actionOnExistingTargetTable to DropAndRecreateTable or MergeWithExistingData, or empty the target table.",
  };
}

export function targetNameOf(
  source: SourceTableName,
  target: { schemaName?: string; tableName?: string } | undefined,
): SourceTableName {
  return {
    schemaName: target?.schemaName ?? source.schemaName,
    tableName: target?.tableName ?? source.tableName,
  };
}
