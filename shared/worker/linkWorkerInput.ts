import type { WorkerSettings } from "../config";
import type { LinkRef } from "../domain/linkRef";
import type { WorkerHealth } from "../ledger/ledger";

/**
 * The link worker's orchestration input: the link and the settings (so replays never read the
 * environment), nothing that grows with the link's tables or requests.
 */
export interface LinkWorkerInput {
  link: LinkRef;
  settings: WorkerSettings;
  /** 1 for a fresh start, +1 on every continueAsNew. */
  execution: number;
  /** What one execution hands the next: the poll back-off and the fault count. */
  carry?: WorkerCarry;
  /**
   * The orchestrator revision the execution started under (absent: 1). Steps added later run only
   * from their revision on, so an execution an earlier version started replays as it ran after a
   * redeploy (docs/worker.md "Changing the orchestrator"); its continueAsNew moves to the current one.
   */
  revision?: number;
}

/**
 * 2: completion runs only after a poll that may have finished a table; a removal still Removing
 * after the confirm step is confirmed at the next poll.
 * 3: edits blocked by the link or its SQL pool no longer stop monitoring the tables in flight.
 * 4: each requestQueued wait is yielded once (revisions 1 to 3 kept one wait and yielded it again,
 * and a nudge could land on a copy of it already completed: replaying their histories needs that).
 */
export const LINK_WORKER_REVISION = 4;

export interface WorkerCarry {
  pollSeconds: number;
  /** Consecutive polls that ended in a fault or a deferral. */
  faults: number;
  /**
   * Left by earlier versions (the state of a SQL pool resume, with its ARM operation URLs) and
   * dropped at the next continueAsNew: the resume is now kept on the worker's health row.
   */
  sqlPoolResume?: string;
  /** While edits are blocked: when the tables in flight are next due a monitoring poll. */
  monitorDueAt?: string;
}

/** What activities of the link worker receive: the link and the orchestration's notion of "now". */
export interface LinkActivityInput {
  link: LinkRef;
  now: string;
}

export interface StartLinkInput extends LinkActivityInput {
  act: "start" | "resume";
}

export interface RecordHealthInput extends LinkActivityInput {
  health: WorkerHealth;
}

export const WORKER_PHASES = [
  "claiming",
  "batching",
  "waitingForLink",
  "editing",
  "confirming",
  "monitoring",
  "waiting",
  "backingOff",
  "finished",
] as const;

/** What the worker publishes as its custom status (visible through the durable status API). */
export interface LinkWorkerStatus {
  phase: (typeof WORKER_PHASES)[number];
  execution: number;
  poll: number;
  detail?: string;
  tables?: Record<string, number>;
  openRequests?: number;
  nextPollAt?: string;
  /** While backing off: when the worker tries again. */
  retryAt?: string;
}

/** The extension fails an instance whose custom status exceeds 16 KB; service texts can be long. */
export const MAX_STATUS_DETAIL = 500;

export function boundedDetail(detail: string): string {
  return detail.length <= MAX_STATUS_DETAIL ? detail : `${detail.slice(0, MAX_STATUS_DETAIL - 1)}…`;
}
