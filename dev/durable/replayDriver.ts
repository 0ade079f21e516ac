/**
 * Replay driver: plays the Durable extension + DTFx for the REAL registered durable-functions 3.x handlers
 * (docs/durable-protocol.md §8). It builds the history, invokes the registered orchestrator callback with the
 * trigger payload of §3, reads the returned actions, runs activities and appends the events DTFx would append. By
 * default one event is delivered per episode (a legal DTFx schedule that keeps the id interleaving exact), in
 * virtual-time order; `batchEvents` delivers everything due at once, like DTFx batches messages.
 */
import { format } from "node:util";
import { InvocationContext } from "@azure/functions";
import {
  ActionType,
  type CallActivityAction,
  type CallActivityWithRetryAction,
  type CreateTimerAction,
  type LeafAction,
  type WireOrchestratorState,
  actionName,
  actionTypeName,
  decodeActionInput,
  describeAction,
  leavesOfState,
  stableStringify,
} from "./actions";
import { carriedOverEventIndices } from "./continueAsNewCarryover";
import { NonDeterminismError, StuckOrchestrationError, UnsupportedByReplayDriverError } from "./errors";
import { type FunctionRegistry, type RegisteredFunction, triggerBindingOf } from "./functionsCoreStandIn";
import { type CompletionEvent, EventType, completedTaskId, historyEvent } from "./historyEvents";
import {
  type DriverSnapshot,
  type InstanceState,
  type InstanceStatus,
  type LargePayloadKind,
  type RuntimeStatus,
  type WorkItem,
  hasOpenTasks,
  isTerminal,
  jsonClone,
  toInstanceStatus,
} from "./instanceState";
import {
  DEFAULT_LARGE_PAYLOAD_BYTES,
  MAX_LARGE_PAYLOAD_ENTRIES,
  customStatusSizeError,
  describeLargePayload,
  jsonBytes,
} from "./payloadLimits";
import { decideAfterFailure } from "./retryPolicy";
import { withTrappedWallClock } from "./wallClockTrap";

export interface ReplayDriverOptions {
  registry: FunctionRegistry;
  /** Virtual clock start, default 2024-01-01T00:00:00Z. */
  startTime?: Date;
  /** Virtual ms an activity takes, default 1000. */
  activityLatencyMs?: number;
  /** Invoke the orchestrator twice per episode and compare the states (default true). */
  doubleInvoke?: boolean;
  /** Also compare action inputs (and retry options) on replay (default true). DTFx compares only type + name. */
  strictInputs?: boolean;
  /** Safety valve: most work items one run() call delivers, default 100_000. */
  maxEpisodes?: number;
  /** Orchestrator / activity `context.log` output. */
  onLog?: (instanceId: string, level: string, message: string) => void;
  /**
   * While the orchestrator runs, `Date.now()` / `new Date()` report the virtual clock plus a lag that alternates
   * between invocations (1 ms / 1002 ms), so wall-clock use changes decisions from one invocation to the next and
   * is caught deterministically (default true). Activities always see the real clock.
   */
  trapWallClock?: boolean;
  /**
   * What continueAsNew does with events the old execution did not consume (default "carryOver", as DTFx on Azure
   * Storage with `EventBehaviourForContinueAsNew = Carryover`): queued events are delivered to the new execution,
   * and an `EventRaised` that DTFx processes after the shim reached the `ContinueAsNew` action (typically the event
   * that won a `Task.any` whose timer JS cancelled, azure-functions-durable-extension #2606) is copied into the new
   * execution's first episode, so the SDK sees it again. "drop" discards both (the driver's earlier behaviour).
   */
  continueAsNewEvents?: "carryOver" | "drop";
  /**
   * Deliver, in one episode, every event of an instance that is due when its first one is delivered (default
   * false: one event per episode). Like DTFx, which hands an orchestration all its queued messages at once. A
   * retry failure (or retry timer) only ever heads a batch, so ids stay in the order the JS SDK allocates them.
   */
  batchEvents?: boolean;
  /**
   * Also deliver the `TimerFired` of a cancelled timer at its fireAt, as Azure Storage does (DTFx and the JS SDK
   * ignore it; it costs an episode). Default false: cancelled timers are never delivered.
   */
  deliverCancelledTimers?: boolean;
  /**
   * Orchestration inputs (start and continueAsNew), activity inputs and activity results larger than this many
   * UTF-8 bytes of JSON are listed in `largePayloads` and logged as warnings (default 65_536, the Azure Storage
   * queue message limit).
   */
  largePayloadBytes?: number;
  /** Fail the instance when a payload exceeds `largePayloadBytes`, instead of only reporting it (default false). */
  failOnLargePayloads?: boolean;
  /**
   * Loses the start message of the instances it returns true for: the instance row says Pending and nothing ever
   * runs it. Events raised on it are discarded (DTFx drops messages for an instance without history), terminate
   * leaves it Pending, and a start with its id is refused (it is Pending): the state reported in
   * azure-functions-durable-extension #540 and #2060, cleared there only by deleting the instance's storage rows.
   */
  loseStart?: (instanceId: string) => boolean;
}

export interface RunOptions {
  /** Checked before the first and after every episode; stops the run when it returns true. */
  until?: () => boolean;
  /**
   * Stop before delivering work scheduled later than (clock at call) + maxVirtualMs; the clock is then advanced to
   * that limit, so e.g. an event raised next lands exactly there.
   */
  maxVirtualMs?: number;
}

const DEFAULT_START = Date.parse("2024-01-01T00:00:00Z");
/** `maximumShortTimerDuration` sent to the SDK (§3); longer timers become LongTimerTasks in JS (§8.2). */
const MAX_SHORT_TIMER_MS = 6 * 24 * 3600 * 1000;
const OUT_OF_PROC_LABEL = "$OutOfProcData$:";

/** `maxEpisodes` budget of one run() call. */
interface EpisodeBudget {
  remaining: number;
  readonly max: number;
}

interface Invocation {
  state: WireOrchestratorState;
  /** The orchestrator threw (OrchestrationFailureError with `$OutOfProcData$`, §5). */
  failed: boolean;
}

/** `Omit` distributed over the WorkItem union. */
type WithoutSeq<T> = T extends unknown ? Omit<T, "seq"> : never;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ReplayDriver {
  private readonly registry: FunctionRegistry;
  private readonly activityLatencyMs: number;
  private readonly doubleInvoke: boolean;
  private readonly strictInputs: boolean;
  private readonly maxEpisodes: number;
  private readonly onLog: ReplayDriverOptions["onLog"];
  private readonly trapWallClock: boolean;
  private readonly continueAsNewEvents: "carryOver" | "drop";
  private readonly batchEvents: boolean;
  private readonly deliverCancelledTimers: boolean;
  private readonly largePayloadBytes: number;
  private readonly failOnLargePayloads: boolean;
  private readonly loseStart: ((instanceId: string) => boolean) | undefined;

  private clock: number;
  private seq = 0;
  private invocations = 0;
  private instances = new Map<string, InstanceState>();
  private queue: WorkItem[] = [];
  /** Serializes episodes (startNew and run steps may be called concurrently by a dev host). */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(options: ReplayDriverOptions) {
    this.registry = options.registry;
    this.clock = options.startTime?.getTime() ?? DEFAULT_START;
    this.activityLatencyMs = options.activityLatencyMs ?? 1000;
    this.doubleInvoke = options.doubleInvoke ?? true;
    this.strictInputs = options.strictInputs ?? true;
    this.maxEpisodes = options.maxEpisodes ?? 100_000;
    this.onLog = options.onLog;
    this.trapWallClock = options.trapWallClock ?? true;
    this.continueAsNewEvents = options.continueAsNewEvents ?? "carryOver";
    this.batchEvents = options.batchEvents ?? false;
    this.deliverCancelledTimers = options.deliverCancelledTimers ?? false;
    this.largePayloadBytes = options.largePayloadBytes ?? DEFAULT_LARGE_PAYLOAD_BYTES;
    this.failOnLargePayloads = options.failOnLargePayloads ?? false;
    this.loseStart = options.loseStart;
  }

  /** Virtual clock, epoch ms. */
  get now(): number {
    return this.clock;
  }

  /** Moves the virtual clock forward (never back) without delivering anything; deliver with `run()`. */
  advanceTo(epochMs: number): void {
    this.clock = Math.max(this.clock, epochMs);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Client API
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Starts (or restarts) an instance and runs its first episode. Like the extension's default
   * `overridableExistingInstanceStates = NonRunningStates` (§11.6), an id that is Pending / Running is rejected;
   * a Completed / Failed / Terminated one is started fresh.
   */
  startNew(name: string, options: { instanceId: string; input?: unknown }): Promise<string> {
    return this.exclusive(async () => {
      const { instanceId } = options;
      const registered = this.findFunction(name, "orchestrationTrigger");
      if (registered === undefined) {
        throw new Error(
          `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.` +
            this.registrationHint(),
        );
      }
      const existing = this.instances.get(instanceId);
      if (existing !== undefined && !isTerminal(existing)) {
        throw new Error(
          `An orchestration instance with ID '${instanceId}' already exists and is ${existing.runtimeStatus}.`,
        );
      }
      const input = jsonClone(options.input) ?? null;
      const state: InstanceState = {
        name: registered.metadata.name,
        instanceId,
        runtimeStatus: "Pending",
        input,
        output: null,
        customStatus: null,
        createdAt: this.clock,
        lastUpdatedAt: this.clock,
        executions: 1,
        finishedHistoryLengths: [],
        generation: (existing?.generation ?? 0) + 1,
        history: [],
        leaves: [],
        nextId: 0,
        tasks: {},
        retryUnits: {},
        largePayloads: [],
      };
      this.instances.set(instanceId, state);
      this.dropQueuedWork(instanceId);
      if (this.loseStart?.(instanceId) === true) {
        state.lostStart = true;
        return instanceId;
      }
      this.beginExecution(state);
      // The extension accepts any input; with failOnLargePayloads the instance fails before its first episode.
      if (this.checkPayload(state, "orchestrationInput", state.name, input)) return instanceId;
      await this.episode(state, []);
      return instanceId;
    });
  }

  /**
   * Queues `EventRaised` at the current virtual time. Unknown id → throws like the client's 404; a terminal
   * instance → ignored like HTTP 410. The event is appended to history when delivered, whoever waits: a still-open
   * `waitForExternalEvent(name)` gets it (the newest one first), otherwise the JS SDK buffers it (`deferredTasks`)
   * for the next wait, in FIFO order.
   */
  raiseEvent(instanceId: string, eventName: string, data?: unknown): void {
    const state = this.requireInstance(instanceId);
    if (isTerminal(state) || state.lostStart === true) return;
    this.enqueue({
      kind: "event",
      at: this.clock,
      instanceId,
      generation: state.generation,
      name: eventName,
      data: jsonClone(data),
    });
  }

  /**
   * Terminates a Pending / Running instance (output = reason); ignored for terminal ones (HTTP 410) and for one
   * whose start was lost (`loseStart`).
   */
  terminate(instanceId: string, reason: string): void {
    const state = this.requireInstance(instanceId);
    if (isTerminal(state) || state.lostStart === true) return;
    state.history.push(historyEvent.executionTerminated(this.clock, reason));
    state.runtimeStatus = "Terminated";
    state.output = reason;
    state.lastUpdatedAt = this.clock;
    state.generation++;
    this.dropQueuedWork(instanceId);
  }

  getStatus(instanceId: string): InstanceStatus | undefined {
    const state = this.instances.get(instanceId);
    return state === undefined ? undefined : jsonClone(toInstanceStatus(state));
  }

  listInstances(): InstanceStatus[] {
    return [...this.instances.values()].map((s) => jsonClone(toInstanceStatus(s)));
  }

  /** True when the instance has no queued work other than timers (i.e. it is waiting for timers or events). */
  isIdle(instanceId: string): boolean {
    this.requireInstance(instanceId);
    return !this.queue.some((w) => w.instanceId === instanceId && w.kind !== "timer");
  }

  /** fireAt of open timers (not cancelled, not fired), including retry timers. */
  pendingTimers(instanceId: string): Date[] {
    const state = this.requireInstance(instanceId);
    return Object.values(state.tasks)
      .flatMap((t) => (t.kind === "timer" && t.open ? [new Date(t.fireAt)] : []))
      .sort((a, b) => a.getTime() - b.getTime());
  }

  /** The current execution's history (a copy), for assertions and debugging. */
  getHistory(instanceId: string): InstanceState["history"] {
    return jsonClone(this.requireInstance(instanceId).history);
  }

  /** Plain JSON snapshot of the whole driver (instances, queue, clock). */
  exportState(): DriverSnapshot {
    const snapshot: DriverSnapshot = {
      version: 1,
      now: this.clock,
      seq: this.seq,
      invocations: this.invocations,
      instances: [...this.instances.values()],
      queue: this.queue,
    };
    return jsonClone(snapshot);
  }

  /** Replaces all state with a snapshot from `exportState()` (possibly of another driver / process). */
  importState(snapshot: DriverSnapshot): void {
    if ((snapshot.version as number) !== 1) {
      throw new Error(`unsupported snapshot version ${snapshot.version}`);
    }
    const copy = jsonClone(snapshot);
    this.clock = copy.now;
    this.seq = copy.seq;
    this.invocations = copy.invocations;
    this.instances = new Map(copy.instances.map((s) => [s.instanceId, s]));
    this.queue = copy.queue;
  }

  /**
   * Delivers queued work in virtual-time order, one event per episode (or a batch, `batchEvents`), until the queue
   * is empty, `until()` returns
   * true, or the next item lies beyond `maxVirtualMs`. Throws NonDeterminismError / StuckOrchestrationError /
   * UnsupportedByReplayDriverError (the affected instance is marked accordingly first).
   */
  async run(options: RunOptions = {}): Promise<void> {
    const { until, maxVirtualMs } = options;
    const limit = maxVirtualMs === undefined ? Number.POSITIVE_INFINITY : this.clock + maxVirtualMs;
    const budget = this.newBudget();
    if (until?.() === true) return;
    for (;;) {
      const step = await this.exclusive(() => this.step(limit, budget));
      if (step === "empty") return;
      if (step === "limit") {
        this.advanceTo(limit);
        return;
      }
      if (until?.() === true) return;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Episode machinery
  // ---------------------------------------------------------------------------------------------------------------

  private async step(limit: number, budget: EpisodeBudget): Promise<"delivered" | "empty" | "limit"> {
    const item = this.peekNext();
    if (item === undefined) return "empty";
    if (item.at > limit) return "limit";
    this.consumeBudget(budget, item.instanceId);
    this.queue.splice(this.queue.indexOf(item), 1);
    const state = this.instances.get(item.instanceId);
    if (state === undefined || isTerminal(state) || state.generation !== item.generation) return "delivered";
    this.advanceTo(item.at);

    if (item.kind === "start") {
      // First episode of a continued-as-new execution; its history was set up at the transition.
      await this.episode(state, []);
      return "delivered";
    }
    const events: CompletionEvent[] = [];
    for (let next: WorkItem | undefined = item; next !== undefined;) {
      const event = await this.completionOf(state, next);
      // The instance may have been terminated (or failed by a payload check) while an activity ran.
      if (isTerminal(state) || state.generation !== item.generation) return "delivered";
      if (event !== undefined) {
        if (events.length > 0 && this.allocatesRetryIds(state, event)) {
          // JS allocates retry ids while it processes the event, before user code resumes on later events; the
          // driver allocates them before the episode's new leaves. Both agree only if such an event heads a batch.
          const { at, seq, instanceId, generation } = next;
          this.queue.push({ kind: "completed", at, seq, instanceId, generation, event });
          break;
        }
        events.push(event);
      }
      next = this.batchEvents ? this.takeDueItem(state, item.at) : undefined;
    }
    if (events.length === 0) return "delivered";

    state.history.push(historyEvent.orchestratorStarted(this.clock), ...events);
    for (const event of events) {
      const closed = completedTaskId(event);
      const closedTask = closed === undefined ? undefined : state.tasks[closed];
      if (closedTask !== undefined) closedTask.open = false;
    }
    await this.episode(state, events);
    return "delivered";
  }

  /** The history event a work item delivers, or undefined when it delivers nothing (stale or cancelled timer). */
  private async completionOf(state: InstanceState, item: WorkItem): Promise<CompletionEvent | undefined> {
    switch (item.kind) {
      case "start":
        return undefined;
      case "activity":
        return this.executeActivity(state, item);
      case "completed":
        return { ...item.event, Timestamp: new Date(this.clock).toISOString() };
      case "timer": {
        const task = state.tasks[item.timerId];
        if (task?.kind !== "timer") return undefined;
        // A cancelled timer's TimerFired is only delivered with deliverCancelledTimers (DTFx ignores it).
        if (task.cancelled && !this.deliverCancelledTimers) return undefined;
        return historyEvent.timerFired(this.clock, item.timerId, item.fireAt);
      }
      case "event":
        return historyEvent.eventRaised(this.clock, item.name, item.data);
    }
  }

  /** Removes and returns the instance's next item due by `at` (current generation, not a start), if any. */
  private takeDueItem(state: InstanceState, at: number): WorkItem | undefined {
    let best: WorkItem | undefined;
    for (const w of this.queue) {
      if (w.instanceId !== state.instanceId || w.generation !== state.generation) continue;
      if (w.kind === "start" || w.at > at) continue;
      if (best === undefined || w.at < best.at || (w.at === best.at && w.seq < best.seq)) best = w;
    }
    if (best !== undefined) this.queue.splice(this.queue.indexOf(best), 1);
    return best;
  }

  /** A retry attempt's failure, or a retry timer with attempts left: processing it allocates ids (§8.2). */
  private allocatesRetryIds(state: InstanceState, event: CompletionEvent): boolean {
    const id = completedTaskId(event);
    const task = id === undefined ? undefined : state.tasks[id];
    if (task?.retryUnit === undefined) return false;
    if (event.EventType === EventType.TaskFailed) return true;
    return event.EventType === EventType.TimerFired && task.kind === "timer" && task.lastAttempt !== true;
  }

  /** §8.1 steps 2–8 for one episode. The history already ends with OrchestratorStarted + the delivered events. */
  private async episode(state: InstanceState, delivered: readonly CompletionEvent[]): Promise<void> {
    const generation = state.generation;
    const payload = this.buildPayload(state);
    let first: Invocation;
    try {
      first = await this.invoke(state, payload, true);
      if (this.doubleInvoke) {
        const second = await this.invoke(state, payload, false);
        this.compareInvocations(state, first, second);
      }
    } catch (err) {
      if (state.generation === generation && !isTerminal(state)) {
        this.failInstance(state, `Orchestrator function '${state.name}' failed: ${errorMessage(err)}`);
      }
      throw err;
    }
    // Terminated while we awaited the orchestrator.
    if (state.generation !== generation || isTerminal(state)) return;

    const { state: result, failed } = first;
    // The extension's shim calls SetCustomStatus before it replays any action; over 16 KB that throws and the
    // orchestration fails (the custom status keeps its previous value).
    const statusError =
      result.customStatus === undefined ? undefined : customStatusSizeError(result.customStatus);
    if (statusError !== undefined) {
      this.failInstance(state, `Orchestrator function '${state.name}' failed: ${statusError}`);
      return;
    }
    const leaves = leavesOfState(result);
    try {
      this.checkAgainstHistory(state, leaves);
    } catch (err) {
      this.failInstance(state, `Orchestrator function '${state.name}' failed: ${errorMessage(err)}`);
      throw err;
    }
    // Only a truthy custom status is sent (§5); it persists until overwritten, across continue-as-new (§7).
    if (result.customStatus !== undefined) state.customStatus = result.customStatus;
    state.runtimeStatus = "Running";
    state.lastUpdatedAt = this.clock;
    this.applyCancellations(state, leaves);

    // §8.1 step 5: ids allocated while the SDK processed the delivered event come before any new leaf.
    let newlyStuck = false;
    for (const event of delivered) newlyStuck = this.retryBookkeeping(state, event) || newlyStuck;
    // Step 6: new leaves, ids in order.
    try {
      for (let index = state.leaves.length; index < leaves.length && !isTerminal(state); index++) {
        this.scheduleLeaf(state, leaves[index]!, index);
      }
    } catch (err) {
      this.failInstance(state, `Orchestrator function '${state.name}' failed: ${errorMessage(err)}`);
      throw err;
    }
    if (isTerminal(state)) {
      this.dropQueuedWork(state.instanceId); // e.g. an unknown activity failed the instance mid-way
      return;
    }
    state.history.push(historyEvent.orchestratorCompleted(this.clock));

    // Step 8: DTFx completes only when nothing is open (TaskOrchestrationExecutor: `!context.HasOpenTasks`).
    const continueAsNew = leaves.find((l) => l.actionType === ActionType.ContinueAsNew);
    const ended = failed || result.isDone;
    if (!ended) {
      // Only a live orchestrator can be stuck: once it returned, DTFx completes as soon as nothing is open.
      if (newlyStuck && state.stuck !== undefined) {
        throw new StuckOrchestrationError(state.instanceId, state.stuck);
      }
      return;
    }
    if (hasOpenTasks(state)) return;
    if (failed) {
      this.failInstance(
        state,
        `Orchestrator function '${state.name}' failed: ${result.error ?? "unknown error"}`,
      );
      return;
    }
    if (continueAsNew !== undefined) {
      const input = decodeActionInput(continueAsNew.input);
      if (this.checkPayload(state, "continueAsNewInput", state.name, input)) return;
      this.continueAsNew(state, input, result);
      return;
    }
    state.runtimeStatus = "Completed";
    state.output = result.output ?? null;
    state.history.push(historyEvent.executionCompleted(this.clock, "Completed", state.output));
    this.dropQueuedWork(state.instanceId);
  }

  /** §3 trigger payload. IsPlayed is recomputed: everything before the last OrchestratorStarted was played. */
  private buildPayload(state: InstanceState): string {
    let lastStart = -1;
    state.history.forEach((e, i) => {
      if (e.EventType === EventType.OrchestratorStarted) lastStart = i;
    });
    return JSON.stringify({
      history: state.history.map((e, i) => ({ ...e, IsPlayed: i < lastStart })),
      input: state.input,
      instanceId: state.instanceId,
      isReplaying: lastStart > 0,
      parentInstanceId: null,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2, // JS ReplaySchema V3, what current extensions advertise (§3)
      longRunningTimerIntervalDuration: "3.00:00:00",
      maximumShortTimerDuration: "6.00:00:00",
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    });
  }

  /** Calls the registered orchestrator callback once; JSON round-trips payload and result like the wire does. */
  private async invoke(state: InstanceState, payload: string, emitLogs: boolean): Promise<Invocation> {
    const registered = this.findFunction(state.name, "orchestrationTrigger");
    if (registered === undefined) throw new Error(`orchestration '${state.name}' is no longer registered`);
    const invocation = ++this.invocations;
    const context = new InvocationContext({
      functionName: registered.metadata.name,
      invocationId: `${state.instanceId}:${invocation}`,
      logHandler: (level, ...args) => {
        // Logs of the determinism re-invocation are duplicates; drop them.
        if (emitLogs) this.onLog?.(state.instanceId, level, format(...args));
      },
    });
    const call = (): unknown => registered.callback(JSON.parse(payload), context);
    try {
      // durable-functions drives the generator synchronously inside this call, so the trap covers user code.
      const pending = this.trapWallClock
        ? withTrappedWallClock(this.clock + (invocation % 2 === 0 ? 1 : 1002), call)
        : call();
      const raw = await pending;
      return { state: JSON.parse(JSON.stringify(raw)) as WireOrchestratorState, failed: false };
    } catch (err) {
      const message = errorMessage(err);
      const at = message.indexOf(OUT_OF_PROC_LABEL);
      if (at < 0) throw err; // a framework failure, not an orchestration failure (§8.1 step 2)
      const failedState = JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as WireOrchestratorState;
      return { state: failedState, failed: true };
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Determinism checks (§8.1 step 4)
  // ---------------------------------------------------------------------------------------------------------------

  /** Why two actions at the same index disagree, or undefined when they agree. */
  private leafMismatch(expected: LeafAction, actual: LeafAction): string | undefined {
    if (expected.actionType !== actual.actionType || actionName(expected) !== actionName(actual)) {
      return "different action";
    }
    if (expected.actionType === ActionType.CreateTimer && actual.actionType === ActionType.CreateTimer) {
      if (expected.fireAt !== actual.fireAt) {
        return (
          "timer fireAt changed. Compute timer deadlines from context.df.currentUtcDateTime, " +
          "never from Date.now() / new Date()"
        );
      }
      return undefined;
    }
    if (!this.strictInputs) return undefined;
    const inputOf = (a: LeafAction): unknown => ("input" in a ? a.input : undefined);
    const retryOf = (a: LeafAction): unknown =>
      a.actionType === ActionType.CallActivityWithRetry ? a.retryOptions : undefined;
    if (
      stableStringify(inputOf(expected)) !== stableStringify(inputOf(actual)) ||
      stableStringify(retryOf(expected)) !== stableStringify(retryOf(actual))
    ) {
      return "input changed (DTFx would silently reuse the old result; strictInputs)";
    }
    return undefined;
  }

  private nonDeterminism(
    state: InstanceState,
    actionIndex: number,
    expected: LeafAction | undefined,
    actual: LeafAction | undefined,
    how: { expectedLabel: string; actualLabel: string; reason: string },
  ): NonDeterminismError {
    const expectedText = describeAction(expected);
    const actualText = describeAction(actual);
    return new NonDeterminismError(
      `Non-deterministic orchestration '${state.name}' (instance '${state.instanceId}'), action #${actionIndex}: ` +
        `${how.expectedLabel} ${expectedText}, ${how.actualLabel} ${actualText} (${how.reason}).`,
      {
        instanceId: state.instanceId,
        orchestrationName: state.name,
        actionIndex,
        expected: expectedText,
        actual: actualText,
      },
    );
  }

  /** DTFx rule: the recorded actions must be a prefix of the replayed ones (same order, type and name). */
  private checkAgainstHistory(state: InstanceState, leaves: LeafAction[]): void {
    const labels = { expectedLabel: "history has", actualLabel: "replay produced" };
    state.leaves.forEach((recorded, index) => {
      const actual = leaves[index];
      if (actual === undefined) {
        throw this.nonDeterminism(state, index, recorded.action, undefined, {
          ...labels,
          reason: "the replay scheduled fewer actions than the history holds",
        });
      }
      const reason = this.leafMismatch(recorded.action, actual);
      if (reason !== undefined) {
        throw this.nonDeterminism(state, index, recorded.action, actual, { ...labels, reason });
      }
    });
  }

  /** Two invocations on the same history must return the same state (catches non-determinism on the last step). */
  private compareInvocations(state: InstanceState, first: Invocation, second: Invocation): void {
    if (stableStringify(first) === stableStringify(second)) return;
    const labels = {
      expectedLabel: "the first invocation produced",
      actualLabel: "a second one on the same history",
    };
    const a = leavesOfState(first.state);
    const b = leavesOfState(second.state);
    for (let index = 0; index < Math.max(a.length, b.length); index++) {
      const x = a[index];
      const y = b[index];
      const reason =
        x === undefined || y === undefined ? "different number of actions" : this.leafMismatch(x, y);
      if (reason !== undefined || stableStringify(x) !== stableStringify(y)) {
        throw this.nonDeterminism(state, index, x, y, { ...labels, reason: reason ?? "different action" });
      }
    }
    const fields = ["failed", "isDone", "output", "error", "customStatus"] as const;
    const pick = (inv: Invocation, field: (typeof fields)[number]): unknown =>
      field === "failed" ? inv.failed : inv.state[field];
    const field = fields.find((f) => stableStringify(pick(first, f)) !== stableStringify(pick(second, f)));
    throw new NonDeterminismError(
      `Non-deterministic orchestration '${state.name}' (instance '${state.instanceId}'): two invocations on the ` +
        `same history returned different ${field ?? "states"}: ${stableStringify(pick(first, field ?? "output"))} ` +
        `vs ${stableStringify(pick(second, field ?? "output"))} (wall-clock time, randomness or mutable state?).`,
    );
  }

  /** `timer.cancel()` sets isCanceled on the action in a later replay: the timer leaves the open set (§7). */
  private applyCancellations(state: InstanceState, leaves: LeafAction[]): void {
    state.leaves.forEach((recorded, index) => {
      const now = leaves[index];
      if (now?.actionType !== ActionType.CreateTimer || !now.isCanceled) return;
      if (recorded.action.actionType !== ActionType.CreateTimer || recorded.taskId === undefined) return;
      recorded.action.isCanceled = true;
      const task = state.tasks[recorded.taskId];
      if (task?.kind !== "timer" || task.cancelled) return;
      task.cancelled = true;
      task.open = false;
      const timerId = recorded.taskId;
      // Real Azure Storage still delivers a TimerFired that DTFx ignores; only deliverCancelledTimers keeps it.
      if (this.deliverCancelledTimers) return;
      this.queue = this.queue.filter(
        (w) => !(w.instanceId === state.instanceId && w.kind === "timer" && w.timerId === timerId),
      );
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Scheduling (§8.1 step 6, §8.2)
  // ---------------------------------------------------------------------------------------------------------------

  private scheduleLeaf(state: InstanceState, leaf: LeafAction, index: number): void {
    switch (leaf.actionType) {
      case ActionType.CallActivity:
        this.scheduleActivity(state, leaf, undefined);
        return;
      case ActionType.CallActivityWithRetry: {
        const { retryOptions } = leaf;
        if (!(retryOptions.maxNumberOfAttempts >= 1)) {
          throw new UnsupportedByReplayDriverError(
            `callActivityWithRetry('${leaf.functionName}') with maxNumberOfAttempts ` +
              `${retryOptions.maxNumberOfAttempts} is not supported by the replay driver (DTFx would never call it)`,
          );
        }
        state.retryUnits[index] = {
          functionName: leaf.functionName,
          input: leaf.input,
          retryOptions,
          failedAttempts: 0,
          firstAttemptAt: this.clock,
        };
        this.scheduleActivity(state, leaf, index);
        return;
      }
      case ActionType.CreateTimer:
        this.scheduleTimer(state, leaf, index);
        return;
      case ActionType.WaitForExternalEvent:
      case ActionType.ContinueAsNew:
        // No DTFx id: an event wait is satisfied by raiseEvent(); continue-as-new is handled at the episode end.
        state.leaves.push({ action: leaf });
        return;
      default:
        throw new UnsupportedByReplayDriverError(
          `${actionTypeName(leaf.actionType)}${actionName(leaf) === "" ? "" : ` '${actionName(leaf)}'`} is not ` +
            "supported by the replay driver (only activities, activity retries, timers up to 6 days, external " +
            "events and continueAsNew are)",
        );
    }
  }

  private scheduleActivity(
    state: InstanceState,
    leaf: CallActivityAction | CallActivityWithRetryAction,
    retryUnit: number | undefined,
  ): void {
    if (this.findFunction(leaf.functionName, "activityTrigger") === undefined) {
      // The extension validates the name when scheduling and fails the orchestration.
      this.failInstance(
        state,
        `Orchestrator function '${state.name}' failed: The function '${leaf.functionName}' doesn't exist, ` +
          `is disabled, or is not an activity function.${this.registrationHint()}`,
      );
      return;
    }
    // Checked once per call, not per retry attempt: every attempt re-sends the same input.
    if (this.checkPayload(state, "activityInput", leaf.functionName, leaf.input)) return;
    const taskId = this.newTaskAttempt(state, leaf.functionName, leaf.input, retryUnit);
    state.leaves.push({ action: leaf, taskId });
  }

  /** Allocates an id for one activity attempt: TaskScheduled + queued execution. */
  private newTaskAttempt(
    state: InstanceState,
    functionName: string,
    input: unknown,
    retryUnit: number | undefined,
  ): number {
    const taskId = state.nextId++;
    state.history.push(historyEvent.taskScheduled(this.clock, taskId, functionName, input));
    state.tasks[taskId] =
      retryUnit === undefined
        ? { kind: "activity", functionName, open: true }
        : { kind: "activity", functionName, open: true, retryUnit };
    this.enqueue({
      kind: "activity",
      at: this.clock + this.activityLatencyMs,
      instanceId: state.instanceId,
      generation: state.generation,
      taskId,
      functionName,
      input: jsonClone(input),
    });
    return taskId;
  }

  private scheduleTimer(state: InstanceState, leaf: CreateTimerAction, index: number): void {
    const fireAtMs = Date.parse(leaf.fireAt);
    if (Number.isNaN(fireAtMs)) throw new Error(`timer #${index} has an invalid fireAt '${leaf.fireAt}'`);
    if (fireAtMs - this.clock > MAX_SHORT_TIMER_MS) {
      // JS turns these into LongTimerTasks whose sub-timers the extension splits differently (§8.2).
      throw new UnsupportedByReplayDriverError(
        `a timer longer than 6 days (fireAt ${leaf.fireAt}, now ${new Date(this.clock).toISOString()}) is not ` +
          "supported by the replay driver",
      );
    }
    const timerId = this.newTimer(state, leaf.fireAt, !leaf.isCanceled, {});
    state.leaves.push({ action: leaf, taskId: timerId });
  }

  /** Allocates a timer id: TimerCreated + (unless cancelled already) a queued TimerFired at fireAt. */
  private newTimer(
    state: InstanceState,
    fireAt: string,
    open: boolean,
    extra: { retryUnit?: number; lastAttempt?: boolean },
  ): number {
    const timerId = state.nextId++;
    state.history.push(historyEvent.timerCreated(this.clock, timerId, fireAt));
    state.tasks[timerId] = { kind: "timer", fireAt, open, cancelled: !open, ...extra };
    if (open) {
      this.enqueue({
        kind: "timer",
        at: Math.max(this.clock, Date.parse(fireAt)),
        instanceId: state.instanceId,
        generation: state.generation,
        timerId,
        fireAt,
      });
    }
    return timerId;
  }

  /**
   * DTFx RetryInterceptor, mirrored id for id by JS RetryableTask's NoOpTasks (§7, §8.2):
   * TaskFailed → timer (delay, or the immediate dummy after the last attempt, or nothing when retryTimeout
   * expired); TimerFired with attempts left → the next TaskScheduled. Returns true when the instance got stuck.
   */
  private retryBookkeeping(state: InstanceState, delivered: CompletionEvent): boolean {
    const taskId = completedTaskId(delivered);
    const task = taskId === undefined ? undefined : state.tasks[taskId];
    if (task?.retryUnit === undefined) return false;
    const unit = state.retryUnits[task.retryUnit];
    if (unit === undefined) return false;

    if (delivered.EventType === EventType.TaskFailed) {
      unit.failedAttempts++;
      const decision = decideAfterFailure(
        unit.retryOptions,
        unit.failedAttempts,
        unit.firstAttemptAt,
        this.clock,
      );
      if (decision.kind === "giveUpWithoutTimer") {
        state.stuck =
          `Instance '${state.instanceId}' (${state.name}) is stuck: callActivityWithRetry('${unit.functionName}') ` +
          `attempt ${unit.failedAttempts} failed after retryTimeoutInMilliseconds ` +
          `(${unit.retryOptions.retryTimeoutInMilliseconds ?? "?"} ms) expired. DTFx then gives up WITHOUT a ` +
          "retry timer, but durable-functions' RetryableTask waits for one, so the orchestration just stops: no " +
          "exception reaches the orchestrator and nothing after the call runs (durable-js issue #629). Avoid " +
          "retryTimeoutInMilliseconds; bound retries with maxNumberOfAttempts or a hand-written retry loop.";
        return true;
      }
      const fireAt = new Date(this.clock + decision.delayMs).toISOString();
      this.newTimer(state, fireAt, true, { retryUnit: task.retryUnit, lastAttempt: decision.lastAttempt });
      return false;
    }
    if (delivered.EventType === EventType.TimerFired && task.kind === "timer" && task.lastAttempt !== true) {
      this.newTaskAttempt(state, unit.functionName, unit.input, task.retryUnit);
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Activities
  // ---------------------------------------------------------------------------------------------------------------

  private async executeActivity(
    state: InstanceState,
    item: Extract<WorkItem, { kind: "activity" }>,
  ): Promise<CompletionEvent> {
    const { functionName, taskId } = item;
    const registered = this.findFunction(functionName, "activityTrigger");
    const context = new InvocationContext({
      functionName,
      invocationId: `${state.instanceId}:${taskId}:${++this.invocations}`,
      logHandler: (level, ...args) => this.onLog?.(state.instanceId, level, format(...args)),
    });
    try {
      if (registered === undefined) throw new Error(`activity '${functionName}' is not registered`);
      // String inputs arrive JSON-encoded (§6); the activity gets the original value.
      const result = await registered.callback(decodeActionInput(item.input), context);
      // With failOnLargePayloads this fails the instance; step() then delivers nothing.
      this.checkPayload(state, "activityResult", functionName, result);
      return historyEvent.taskCompleted(this.clock, taskId, jsonClone(result));
    } catch (err) {
      const details = err instanceof Error ? (err.stack ?? err.message) : String(err);
      return historyEvent.taskFailed(
        this.clock,
        taskId,
        `Activity function '${functionName}' failed: ${errorMessage(err)}`,
        details,
      );
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Lifecycle helpers
  // ---------------------------------------------------------------------------------------------------------------

  /** `[OrchestratorStarted, ExecutionStarted]` of a fresh execution (§8.1 step 1). */
  private beginExecution(state: InstanceState): void {
    state.history = [
      historyEvent.orchestratorStarted(this.clock),
      historyEvent.executionStarted(this.clock, state.name, state.input),
    ];
    state.leaves = [];
    state.nextId = 0;
    state.tasks = {};
    state.retryUnits = {};
    delete state.stuck;
  }

  /**
   * Fresh history and id counter. Queued completions of the old execution are dropped (DTFx discards messages for
   * an older execution id). External events depend on `continueAsNewEvents`: with "carryOver" (DTFx on Azure
   * Storage) the events processed after the shim reached `ContinueAsNew` go into the new execution's first
   * episode and queued ones are delivered to the new execution (the client raises events to the instance, not to
   * an execution: `RaiseEventInternalAsync` clears the execution id); with "drop" both are discarded (the JS API
   * has no preserveUnprocessedEvents, §12.2). Custom status carries over (§7).
   */
  private continueAsNew(state: InstanceState, input: unknown, result: WireOrchestratorState): void {
    const carryOver = this.continueAsNewEvents === "carryOver";
    const carried = carryOver
      ? carriedOverEventIndices({
          history: state.history,
          actions: result.actions[0] ?? [],
          leaves: state.leaves,
          tasks: state.tasks,
        }).map((index) => ({ ...jsonClone(state.history[index]!), IsPlayed: false }))
      : [];
    const queuedEvents = carryOver
      ? this.queue
          .filter((w) => w.instanceId === state.instanceId && w.kind === "event")
          .sort((a, b) => a.at - b.at || a.seq - b.seq)
      : [];
    state.history.push(historyEvent.executionCompleted(this.clock, "ContinuedAsNew", null));
    state.finishedHistoryLengths.push(state.history.length);
    this.dropQueuedWork(state.instanceId);
    state.generation++;
    state.executions++;
    state.input = input ?? null;
    state.output = null;
    this.beginExecution(state);
    // DTFx: OrchestratorStarted, ExecutionStarted, the carried-over events, (OrchestratorCompleted).
    state.history.push(...carried);
    // Like DTFx (which sends the new execution an ExecutionStarted message), the new execution's first episode
    // is queued work: run() delivers it, counts it against maxEpisodes and checks until() around it.
    this.enqueue({
      kind: "start",
      at: this.clock,
      instanceId: state.instanceId,
      generation: state.generation,
    });
    // Behind the start, in their original order.
    for (const event of queuedEvents) {
      this.enqueue({ ...event, at: Math.max(event.at, this.clock), generation: state.generation });
    }
  }

  /**
   * Records a payload over `largePayloadBytes` (and logs a warning). With `failOnLargePayloads` the instance is
   * failed and true is returned: the caller must not go on with it.
   */
  private checkPayload(state: InstanceState, kind: LargePayloadKind, name: string, value: unknown): boolean {
    const bytes = jsonBytes(value);
    if (bytes <= this.largePayloadBytes) return false;
    const list = (state.largePayloads ??= []);
    if (list.length < MAX_LARGE_PAYLOAD_ENTRIES)
      list.push({ kind, name, bytes, execution: state.executions });
    const description = describeLargePayload(kind, name, bytes, this.largePayloadBytes);
    this.onLog?.(
      state.instanceId,
      "warning",
      `replay driver: ${description}; Azure Storage would move it to a blob, and every replay would read it back.`,
    );
    if (!this.failOnLargePayloads) return false;
    this.failInstance(
      state,
      `Orchestrator function '${state.name}' failed: payload too large (failOnLargePayloads): ${description}.`,
    );
    return true;
  }

  private failInstance(state: InstanceState, message: string): void {
    state.runtimeStatus = "Failed";
    state.error = message;
    state.output = message; // the status API reports the failure text as output
    state.lastUpdatedAt = this.clock;
    state.history.push(historyEvent.executionCompleted(this.clock, "Failed", message));
    this.dropQueuedWork(state.instanceId);
  }

  private consumeBudget(budget: EpisodeBudget, instanceId: string): void {
    if (--budget.remaining < 0) {
      throw new Error(
        `replay driver: more than ${budget.max} episodes in one call (last instance '${instanceId}'); ` +
          "an endless loop (e.g. continueAsNew without waiting)? Raise maxEpisodes if this is expected.",
      );
    }
  }

  private newBudget(): EpisodeBudget {
    return { remaining: this.maxEpisodes, max: this.maxEpisodes };
  }

  private enqueue(item: WithoutSeq<WorkItem>): void {
    this.queue.push({ ...item, seq: this.seq++ });
  }

  private peekNext(): WorkItem | undefined {
    let best: WorkItem | undefined;
    for (const item of this.queue) {
      if (best === undefined || item.at < best.at || (item.at === best.at && item.seq < best.seq))
        best = item;
    }
    return best;
  }

  private dropQueuedWork(instanceId: string): void {
    this.queue = this.queue.filter((w) => w.instanceId !== instanceId);
  }

  private requireInstance(instanceId: string): InstanceState {
    const state = this.instances.get(instanceId);
    if (state === undefined) throw new Error(`No instance with ID '${instanceId}' found.`);
    return state;
  }

  /** Exact name first, then case-insensitive (Functions names are case-insensitive); trigger type must match. */
  private findFunction(name: string, triggerType: string): RegisteredFunction | undefined {
    const candidates = [
      this.registry.get(name),
      ...[...this.registry.values()].filter((f) => f.metadata.name.toLowerCase() === name.toLowerCase()),
    ];
    return candidates.find((f) => f !== undefined && triggerBindingOf(f.metadata)?.type === triggerType);
  }

  private registrationHint(): string {
    const names = [...this.registry.keys()];
    return names.length === 0
      ? " (Nothing is registered: call installFunctionsCoreStandIn() before the first df.app.* call.)"
      : ` (Registered: ${names.join(", ")}.)`;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.lock.then(fn);
    this.lock = result.catch(() => undefined);
    return result;
  }
}

export type { RuntimeStatus, InstanceStatus };
