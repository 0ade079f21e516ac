/**
 * Which `EventRaised` events DTFx on Azure Storage carries over into the next execution when an out-of-process
 * (JS) orchestration continues as new (`EventBehaviourForContinueAsNew = Carryover`, the Azure Storage default in
 * durabletask `AzureStorageOrchestrationServiceSettings.cs`).
 *
 * Why a simulation is needed: DTFx replays the execution's history event by event
 * (`TaskOrchestrationExecutor.ProcessEvents`), and the extension's shim (`OutOfProcOrchestrationShim
 * .ProcessAsyncActionsV2`) walks the JS actions in the same run, awaiting each top-level action before invoking the
 * next. `HandleEventRaisedEvent` (durabletask `TaskOrchestrationContext.cs`) hands an event to the orchestration
 * only while no continue-as-new is pending; once the shim has invoked the `ContinueAsNew` action, every later
 * `EventRaised` is added to the next iteration instead. The shim gets there early when nothing before it still
 * waits for history, typically because a `Task.any([timer, event])` holds a timer JS already cancelled (a
 * cancelled .NET timer completes at once). The event that JS consumed in that final episode is then processed
 * after the `ContinueAsNew` and handed to the next execution as well: azure-functions-durable-extension #2606.
 *
 * The simulation follows the extension's event matching (`DurableOrchestrationContext.WaitForExternalEvent` /
 * `RaiseEvent`): waiters per name form a stack (the newest waiter gets the event); events nobody waits for are
 * buffered FIFO and taken by the next waiter. .NET continuations are assumed to run before DTFx processes the next
 * history event.
 */
import { ActionType, isCompound, type LeafAction, type OrchestratorAction } from "./actions";
import { EventType, type HistoryEvent } from "./historyEvents";
import type { RecordedLeaf, TrackedTask } from "./instanceState";

interface Waiter {
  done: boolean;
}

/** A node of the action tree, resolved against the execution's ids. */
type ShimNode =
  | { kind: "compound"; any: boolean; children: ShimNode[] }
  | { kind: "leaf"; leaf: LeafAction; index: number; waiter?: Waiter };

export interface CarryoverInput {
  /** The execution's history, ending with the final episode's delivered events (and its new scheduling events). */
  history: readonly HistoryEvent[];
  /** Top-level actions the orchestrator returned in the final episode (`state.actions[0]`). */
  actions: readonly OrchestratorAction[];
  /** Leaves recorded so far, with their DTFx ids, in depth-first order. */
  leaves: readonly RecordedLeaf[];
  tasks: Readonly<Record<string, TrackedTask>>;
}

function buildTree(actions: readonly OrchestratorAction[], counter: { next: number }): ShimNode[] {
  return actions.map((action): ShimNode => {
    if (isCompound(action)) {
      return {
        kind: "compound",
        any: action.actionType === ActionType.WhenAny,
        children: buildTree(action.compoundActions, counter),
      };
    }
    return { kind: "leaf", leaf: action, index: counter.next++ };
  });
}

/**
 * Indices (into `history`) of the `EventRaised` events DTFx would carry over, in history order. Empty when the
 * actions hold no `ContinueAsNew` or the shim only reaches it after the last event.
 */
export function carriedOverEventIndices(input: CarryoverInput): number[] {
  const roots = buildTree(input.actions, { next: 0 });
  const completedOk = new Set<number>();
  const failed = new Set<number>();
  const fired = new Set<number>();
  /** Leaf indices of CallActivityWithRetry calls whose RetryInterceptor finished. */
  const retriesDone = new Set<number>();
  const pending = new Map<string, Waiter[]>(); // stack per name: the last element is the newest waiter
  const buffered = new Map<string, number>(); // count of buffered events per name (FIFO; only the count matters)
  const carried: number[] = [];
  let pointer = 0;
  let invoked = false;
  let continueAsNew = false;

  /** The shim's InvokeAPIFromAction: registers waits (taking a buffered event at once) and the continue-as-new. */
  const invoke = (node: ShimNode): void => {
    if (node.kind === "compound") {
      node.children.forEach(invoke);
      return;
    }
    if (node.leaf.actionType === ActionType.ContinueAsNew) {
      continueAsNew = true;
    } else if (node.leaf.actionType === ActionType.WaitForExternalEvent) {
      const name = node.leaf.externalEventName;
      const waiter: Waiter = { done: false };
      node.waiter = waiter;
      const count = buffered.get(name) ?? 0;
      if (count > 0) {
        buffered.set(name, count - 1);
        waiter.done = true;
      } else {
        const stack = pending.get(name) ?? [];
        stack.push(waiter);
        pending.set(name, stack);
      }
    }
  };

  const isComplete = (node: ShimNode): boolean => {
    if (node.kind === "compound") {
      return node.any ? node.children.some(isComplete) : node.children.every(isComplete);
    }
    const { leaf, index } = node;
    const id = input.leaves[index]?.taskId;
    switch (leaf.actionType) {
      case ActionType.ContinueAsNew:
        return true;
      case ActionType.WaitForExternalEvent:
        return node.waiter?.done === true;
      case ActionType.CreateTimer:
        // A timer JS cancelled is created and cancelled at once by the shim: its task completes immediately.
        return leaf.isCanceled || (id !== undefined && fired.has(id));
      case ActionType.CallActivity:
        return id !== undefined && (completedOk.has(id) || failed.has(id));
      case ActionType.CallActivityWithRetry:
        return retriesDone.has(index);
      default:
        return false; // the driver rejects every other action type before an execution can end
    }
  };

  /** Runs the shim's `foreach action: await` loop as far as the processed history allows. */
  const advance = (): void => {
    while (pointer < roots.length) {
      const node = roots[pointer]!;
      if (!invoked) {
        invoke(node);
        invoked = true;
      }
      if (!isComplete(node)) return;
      pointer++;
      invoked = false;
    }
  };

  input.history.forEach((event, index) => {
    switch (event.EventType) {
      case EventType.ExecutionStarted:
        advance();
        return;
      case EventType.TaskCompleted: {
        completedOk.add(event.TaskScheduledId);
        // RetryInterceptor: a retried call is done when an attempt succeeds...
        const unit = input.tasks[event.TaskScheduledId]?.retryUnit;
        if (unit !== undefined) retriesDone.add(unit);
        break;
      }
      case EventType.TaskFailed:
        failed.add(event.TaskScheduledId);
        break;
      case EventType.TimerFired: {
        fired.add(event.TimerId);
        // ...or when the timer after its last attempt fires.
        const timer = input.tasks[event.TimerId];
        if (timer?.kind === "timer" && timer.lastAttempt === true && timer.retryUnit !== undefined) {
          retriesDone.add(timer.retryUnit);
        }
        break;
      }
      case EventType.EventRaised: {
        if (continueAsNew) {
          carried.push(index);
          return;
        }
        const waiters = pending.get(event.Name);
        const waiter = waiters?.pop();
        if (waiter !== undefined) waiter.done = true;
        else buffered.set(event.Name, (buffered.get(event.Name) ?? 0) + 1);
        break;
      }
      default:
        return;
    }
    advance();
  });
  return carried;
}
