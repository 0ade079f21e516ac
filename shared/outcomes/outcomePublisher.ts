import type { LinkRef } from "../domain/linkRef";
import type { TableName } from "../domain/tableName";
import type { RequestView } from "../ledger/ledger";

export interface TableOutcome extends LinkRef {
  table: TableName;
  requestIds: string[];
  error?: string;
  /** Remove-and-re-add attempts the table used (for telemetry; not part of the event). */
  remediationAttempts?: number;
  /** When the earliest request waiting on the table was received (for telemetry; not part of the event). */
  requestedAt?: string;
}

/** A table that reached a final status in one monitoring poll. */
export interface SettledTable extends TableOutcome {
  status: "Replicating" | "Failed";
}

/** Outgoing notifications: Event Grid CloudEvents and request callbacks (when configured). */
export interface OutcomePublisher {
  tableReplicating(outcome: TableOutcome): Promise<void>;
  tableFailed(outcome: TableOutcome): Promise<void>;
  /**
   * One poll's table outcomes at once (Event Grid: one batch per poll, not one call per table).
   * A publisher without it is called once per table (`publishTableOutcomes`).
   */
  tablesSettled?(outcomes: readonly SettledTable[]): Promise<void>;
  requestCompleted(request: RequestView): Promise<void>;
  /**
   * One poll's completed requests at once (Event Grid: one batch per poll; callbacks still one per
   * request). A publisher without it is called once per request (`publishRequestOutcomes`).
   */
  requestsCompleted?(requests: readonly RequestView[]): Promise<void>;
}

/** Reports a poll's settled tables: in one call when the publisher batches, else table by table. */
export async function publishTableOutcomes(
  publisher: OutcomePublisher,
  outcomes: readonly SettledTable[],
): Promise<void> {
  if (outcomes.length === 0) return;
  if (publisher.tablesSettled) {
    await publisher.tablesSettled(outcomes);
    return;
  }
  for (const { status, ...outcome } of outcomes) {
    if (status === "Replicating") await publisher.tableReplicating(outcome);
    else await publisher.tableFailed(outcome);
  }
}

/** Reports a poll's completed requests: in one call when the publisher batches, else one by one, at once. */
export async function publishRequestOutcomes(
  publisher: OutcomePublisher,
  requests: readonly RequestView[],
): Promise<void> {
  if (requests.length === 0) return;
  if (publisher.requestsCompleted) {
    await publisher.requestsCompleted(requests);
    return;
  }
  await Promise.all(requests.map((request) => publisher.requestCompleted(request)));
}

/** Publishes nothing: for tests that do not look at outcomes (the app always builds a real publisher). */
export const noOutcomePublisher: OutcomePublisher = {
  tableReplicating: () => Promise.resolve(),
  tableFailed: () => Promise.resolve(),
  tablesSettled: () => Promise.resolve(),
  requestCompleted: () => Promise.resolve(),
};
