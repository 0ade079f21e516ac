import { DEFAULT_WORKER_SETTINGS, type WorkerSettings } from "../../../shared/config";
import { resolveTarget } from "../../../shared/domain/tableTarget";
import type { Action } from "../../../shared/domain/tableStatus";
import type { LinkTableRecord, OnboardingRequest, RequestView } from "../../../shared/ledger/ledger";
import {
  noOutcomePublisher,
  type OutcomePublisher,
  type SettledTable,
} from "../../../shared/outcomes/outcomePublisher";
import type { WorkerDeps } from "../../../shared/worker/workerDeps";
import { FakeSynapseLinkClient } from "../../support/fakeSynapseLinkClient";
import { InMemoryLedger } from "../../support/inMemoryLedger";

export const NOW = "2026-01-05T08:00:00.000Z";
export const link = { workspace: "demo", linkConnection: "demo-link" };

/** A table's record in the link: dbo.<name>, a Pending add for request r1 unless `patch` says otherwise. */
export function linkTableRecord(name: string, patch: Partial<LinkTableRecord> = {}): LinkTableRecord {
  const source = { schema: "dbo", name };
  return {
    source,
    target: { ...source, distribution: "RoundRobin" },
    action: "add",
    status: "Pending",
    requestIds: ["r1"],
    attempts: 0,
    enabledOnceRetries: 0,
    updatedAt: NOW,
    ...patch,
  };
}

/** The app's defaults, with a shorter table deadline so deadline tests stay readable. */
export const defaultSettings: WorkerSettings = { ...DEFAULT_WORKER_SETTINGS, tableDeadlineMinutes: 60 };

export function makeDeps(settings: Partial<WorkerSettings> = {}) {
  const ledger = new InMemoryLedger();
  const synapse = new FakeSynapseLinkClient();
  const { publisher, settled, completed } = recordingPublisher();
  const deps: WorkerDeps = {
    ledger,
    synapse,
    outcomes: publisher,
    settings: { ...defaultSettings, ...settings },
    workspaces: [link.workspace],
  };
  return { ledger, synapse, deps, settled, completed };
}

/** A publisher that keeps the tables reported settled and the requests reported completed, in order. */
export function recordingPublisher(): {
  publisher: OutcomePublisher;
  settled: SettledTable[];
  completed: RequestView[];
} {
  const settled: SettledTable[] = [];
  const completed: RequestView[] = [];
  const publisher: OutcomePublisher = {
    ...noOutcomePublisher,
    tablesSettled: (outcomes) => Promise.resolve(void settled.push(...outcomes)),
    requestCompleted: (view) => Promise.resolve(void completed.push(view)),
    requestsCompleted: (views) => Promise.resolve(void completed.push(...views)),
  };
  return { publisher, settled, completed };
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
