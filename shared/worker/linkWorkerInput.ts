import type { WorkerSettings } from "../config";
import type { LinkRef } from "../domain/linkRef";

/** The link worker's orchestration input; settings travel with it so replays never read the environment. */
export interface LinkWorkerInput {
  link: LinkRef;
  settings: WorkerSettings;
  /** 1 for a fresh start, +1 on every continueAsNew. */
  execution: number;
}

/** What activities of the link worker receive: the link and the orchestration's notion of "now". */
export interface LinkActivityInput {
  link: LinkRef;
  now: string;
}

/** What the worker publishes as its custom status (visible through the durable status API). */
export interface LinkWorkerStatus {
  phase: "claiming" | "waitingForLink" | "editing" | "confirming" | "monitoring" | "waiting" | "finished";
  execution: number;
  poll: number;
  detail?: string;
  tables?: Record<string, number>;
  openRequests?: number;
  nextPollAt?: string;
}
