/**
 * Plain, JSON-serializable state of the replay driver: everything a persistent dev host needs to store (e.g. in
 * Azure Table storage) to resume later. No closures, no Dates, no class instances.
 */
import type { LeafAction, WireRetryOptions } from "./actions";
import type { CompletionEvent, HistoryEvent } from "./historyEvents";

export type RuntimeStatus = "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated";

/** What crossed the payload threshold (`largePayloadBytes`): where DTFx on Azure Storage would spill to blobs. */
export type LargePayloadKind =
  "orchestrationInput" | "continueAsNewInput" | "activityInput" | "activityResult";

export interface LargePayload {
  kind: LargePayloadKind;
  /** The activity's name, or the orchestration's for orchestration inputs. */
  name: string;
  /** UTF-8 bytes of the JSON text. */
  bytes: number;
  /** 1-based execution (1 + number of continueAsNew) it happened in. */
  execution: number;
}

/** The fields an instance's status and its stored state share. */
export interface InstanceOutline {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  error?: string;
}

/** What `getStatus()` returns (like the extension's status-query response, docs/durable-protocol.md §10.3). */
export interface InstanceStatus extends InstanceOutline {
  /** ISO, virtual clock. */
  createdTime: string;
  /** ISO, virtual clock. */
  lastUpdatedTime: string;
  /** 1 + number of continueAsNew. */
  executions: number;
  /** History event count of each execution (the last one still growing). */
  historyLengths: number[];
  /** Payloads over `largePayloadBytes` since the instance was (re)started, oldest first, at most 100. */
  largePayloads: LargePayload[];
}

/** An action the orchestrator produced in an earlier episode, with the DTFx id it got (if it takes one, §8.2). */
export interface RecordedLeaf {
  action: LeafAction;
  taskId?: number;
}

/** A DTFx id handed out for this execution: an activity attempt or a timer (user timer or retry timer). */
export type TrackedTask =
  | {
      kind: "activity";
      functionName: string;
      /** Still running: keeps the instance Running after the orchestrator finished (§7). */
      open: boolean;
      /** Leaf index of the CallActivityWithRetry this attempt belongs to. */
      retryUnit?: number;
    }
  | {
      kind: "timer";
      fireAt: string;
      open: boolean;
      cancelled: boolean;
      retryUnit?: number;
      /** The immediate "dummy" timer DTFx creates after the last failed attempt. */
      lastAttempt?: boolean;
    };

/** DTFx RetryInterceptor progress for one CallActivityWithRetry (§7). */
export interface RetryUnitState {
  functionName: string;
  /** The wire input (string inputs still JSON-encoded, §6). */
  input: unknown;
  retryOptions: WireRetryOptions;
  failedAttempts: number;
  /** Orchestration time of the first attempt (for retryTimeout). */
  firstAttemptAt: number;
}

export interface InstanceState extends InstanceOutline {
  createdAt: number;
  lastUpdatedAt: number;
  executions: number;
  /** History lengths of executions that ended with continueAsNew. */
  finishedHistoryLengths: number[];
  /** Bumped on (re)start, continueAsNew and terminate; queued work of an older generation is stale. */
  generation: number;
  /** History of the current execution. */
  history: HistoryEvent[];
  leaves: RecordedLeaf[];
  /** DTFx `idCounter` for this execution. */
  nextId: number;
  /** Keyed by DTFx id. */
  tasks: Record<string, TrackedTask>;
  /** Keyed by leaf index. */
  retryUnits: Record<string, RetryUnitState>;
  /** Set when the instance can never progress (JS waits for something DTFx will not send). */
  stuck?: string;
  /** Its start message was lost (`loseStart`): Pending for ever, as in durable-extension #540 / #2060. */
  lostStart?: boolean;
  /** See `InstanceStatus.largePayloads` (optional: snapshots written before it existed lack it). */
  largePayloads?: LargePayload[];
}

interface WorkItemBase {
  /** Virtual time at which the item is delivered. */
  at: number;
  /** FIFO tie-breaker. */
  seq: number;
  instanceId: string;
  generation: number;
}

/** Queued work, delivered one item per episode in (at, seq) order. */
export type WorkItem =
  /** First episode of a new execution after continueAsNew. */
  | (WorkItemBase & { kind: "start" })
  | (WorkItemBase & { kind: "activity"; taskId: number; functionName: string; input: unknown })
  | (WorkItemBase & { kind: "timer"; timerId: number; fireAt: string })
  | (WorkItemBase & { kind: "event"; name: string; data: unknown })
  /**
   * An activity that already ran but whose outcome could not join the batch it ran in (batchEvents: a retry
   * failure only heads a batch); delivered as it is, without running the activity again.
   */
  | (WorkItemBase & { kind: "completed"; event: CompletionEvent });

/** Everything needed to recreate a driver with `importState()`. */
export interface DriverSnapshot {
  version: 1;
  now: number;
  seq: number;
  invocations: number;
  instances: InstanceState[];
  queue: WorkItem[];
}

export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set(["Completed", "Failed", "Terminated"]);

export function isTerminal(state: InstanceState): boolean {
  return TERMINAL_STATUSES.has(state.runtimeStatus);
}

export function hasOpenTasks(state: InstanceState): boolean {
  return Object.values(state.tasks).some((t) => t.open);
}

export function toInstanceStatus(state: InstanceState): InstanceStatus {
  const status: InstanceStatus = {
    name: state.name,
    instanceId: state.instanceId,
    runtimeStatus: state.runtimeStatus,
    input: state.input,
    output: state.output,
    customStatus: state.customStatus,
    createdTime: new Date(state.createdAt).toISOString(),
    lastUpdatedTime: new Date(state.lastUpdatedAt).toISOString(),
    executions: state.executions,
    historyLengths: [...state.finishedHistoryLengths, state.history.length],
    largePayloads: [...(state.largePayloads ?? [])],
  };
  if (state.error !== undefined) status.error = state.error;
  return status;
}

/** Deep copy through JSON: what persisting and reloading the value would give. */
export function jsonClone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
