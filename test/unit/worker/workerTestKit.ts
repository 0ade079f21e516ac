import type { WorkerSettings } from "../../../shared/config";
import { resolveTarget } from "../../../shared/domain/tableTarget";
import type { Action } from "../../../shared/domain/tableStatus";
import type { OnboardingRequest } from "../../../shared/ledger/ledger";
import { noOutcomePublisher } from "../../../shared/outcomes/outcomePublisher";
import type { WorkerDeps } from "../../../shared/worker/workerDeps";
import { FakeSynapseLinkClient } from "../../support/fakeSynapseLinkClient";
import { InMemoryLedger } from "../../support/inMemoryLedger";

export const NOW = "2026-01-05T08:00:00.000Z";
export const link = { workspace: "demo", linkConnection: "demo-link" };

export const defaultSettings: WorkerSettings = {
  autoStartLinks: false,
  editBatchMaxTables: 100,
  maxTablesPerLink: 5000,
  remediationMaxAttempts: 2,
  tableDeadlineMinutes: 60,
  pollMinSeconds: 30,
  pollMaxSeconds: 300,
  applyPollSeconds: 15,
  pollsPerExecution: 10,
  enabledOnceRetrySeconds: 60,
  enabledOnceMaxRetries: 3,
};

export function makeDeps(settings: Partial<WorkerSettings> = {}) {
  const ledger = new InMemoryLedger();
  const synapse = new FakeSynapseLinkClient();
  const deps: WorkerDeps = {
    ledger,
    synapse,
    outcomes: noOutcomePublisher,
    settings: { ...defaultSettings, ...settings },
  };
  return { ledger, synapse, deps };
}

export function request(requestId: string, tables: string[], action: Action = "add"): OnboardingRequest {
  return {
    ...link,
    requestId,
    action,
    origin: { kind: "http", id: requestId },
    receivedAt: NOW,
    tables: tables.map((q) => {
      const [schema = "", name = ""] = q.split(".");
      return { source: { schema, name }, target: resolveTarget({ schema, name }, undefined) };
    }),
  };
}
