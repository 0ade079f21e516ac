import type { LinkRef } from "../domain/linkRef";
import type { TableName } from "../domain/tableName";
import type { RequestView } from "../ledger/ledger";

export interface TableOutcome extends LinkRef {
  table: TableName;
  requestIds: string[];
  error?: string;
}

/** Outgoing notifications: Event Grid CloudEvents and request callbacks (when configured). */
export interface OutcomePublisher {
  tableReplicating(outcome: TableOutcome): Promise<void>;
  tableFailed(outcome: TableOutcome): Promise<void>;
  requestCompleted(request: RequestView): Promise<void>;
}

/** Publishes nothing: for tests that do not look at outcomes (the app always builds a real publisher). */
export const noOutcomePublisher: OutcomePublisher = {
  tableReplicating: () => Promise.resolve(),
  tableFailed: () => Promise.resolve(),
  requestCompleted: () => Promise.resolve(),
};
