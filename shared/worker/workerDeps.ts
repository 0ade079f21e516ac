import type { WorkerSettings } from "../config";
import type { BreakerStore, WorkerLedger } from "../ledger/ledger";
import type { OutcomePublisher } from "../outcomes/outcomePublisher";
import type { SynapseLinkClient } from "../synapse/synapseLinkClient";

/** What the link worker's use cases need; activities pass the app's adapters, unit tests small fakes. */
export interface WorkerDeps {
  ledger: WorkerLedger & BreakerStore;
  synapse: SynapseLinkClient;
  outcomes: OutcomePublisher;
  settings: WorkerSettings;
  /** The configured workspaces: where a table refused as "enabled once" may be held. */
  workspaces: readonly string[];
  /** Milliseconds of the activity's own clock (Date.now unless a test says otherwise). */
  clock?: () => number;
}
