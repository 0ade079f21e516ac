import type { OutcomePublisher, SettledTable } from "../../shared/outcomes/outcomePublisher";

/**
 * An outcome publisher (the project's port) that records each `tablesSettled` batch; `single` is
 * the per-table path, which a batching caller must not use.
 */
export function batchingPublisher() {
  const batches: SettledTable[][] = [];
  const single = jest.fn(() => Promise.resolve());
  const publisher: OutcomePublisher = {
    tableReplicating: single,
    tableFailed: single,
    tablesSettled: (outcomes) => {
      batches.push([...outcomes]);
      return Promise.resolve();
    },
    requestCompleted: () => Promise.resolve(),
  };
  return { publisher, batches, single };
}
