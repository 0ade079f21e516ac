import type { TableName } from "../domain/tableName";
import type { TableTarget } from "../domain/tableTarget";

/** One entry of the next `edittables` batch, as the orchestrator passes it between activities. */
export type PlannedEdit =
  | { operation: "add"; id: string; source: TableName; target: TableTarget }
  | { operation: "remove"; id: string; source: TableName };
