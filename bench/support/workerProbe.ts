/*
 * Probes on the registered link-worker functions (the stand-in's registry, shared with the harness): activities set
 * the traffic label while they run (the replay driver runs them one at a time), and the orchestrator's trigger
 * payload — the whole history of the current execution, as the extension hands it over on every episode — is
 * measured per execution: events, events by type, and bytes of JSON.
 *
 * Must be imported after test/support/linkWorkerHarness (which registers the functions).
 */
import { EventType, installFunctionsCoreStandIn } from "../../dev/durable";
import { LINK_WORKER_ORCHESTRATION } from "../../shared/worker/ensureLinkWorker";

const EVENT_NAMES = new Map<number, string>(Object.entries(EventType).map(([name, n]) => [n, name]));

export interface ExecutionHistory {
  instanceId: string;
  /** Events the orchestrator was handed at its last episode of the execution. */
  events: number;
  /** UTF-8 bytes of those events as JSON (a history table or blob holds about this much). */
  bytes: number;
  byType: Record<string, number>;
}

interface OpenExecution extends ExecutionHistory {
  signature: string;
}

interface Trigger {
  instanceId?: string;
  history?: unknown[];
}

export class WorkerProbe {
  /** Receives the name of the activity that starts, and `idleLabel` when it ends. */
  onActivity: (label: string) => void = () => undefined;
  idleLabel = "other";
  readonly activityWallMs = new Map<string, number>();
  private readonly finished: ExecutionHistory[] = [];
  private readonly open = new Map<string, OpenExecution>();

  constructor() {
    const registry = installFunctionsCoreStandIn();
    const orchestrator = registry.get(LINK_WORKER_ORCHESTRATION);
    if (!orchestrator)
      throw new Error(`${LINK_WORKER_ORCHESTRATION} is not registered (import the harness first)`);
    const runOrchestrator = orchestrator.callback;
    orchestrator.callback = (trigger, context) => {
      this.measure(trigger as Trigger);
      return runOrchestrator(trigger, context);
    };
    for (const [name, fn] of registry) {
      if (!name.startsWith("linkWorker_")) continue;
      const runActivity = fn.callback;
      fn.callback = async (trigger, context) => {
        this.onActivity(name);
        const started = performance.now();
        try {
          return await runActivity(trigger, context);
        } finally {
          this.activityWallMs.set(name, (this.activityWallMs.get(name) ?? 0) + performance.now() - started);
          this.onActivity(this.idleLabel);
        }
      };
    }
  }

  /**
   * Executions seen since the last call (the still open ones as they stand), then forgets them all. An execution
   * that goes on afterwards is measured again from its start next time.
   */
  takeExecutions(): ExecutionHistory[] {
    const all = [...this.finished, ...this.open.values()].map(({ instanceId, events, bytes, byType }) => ({
      instanceId,
      events,
      bytes,
      byType,
    }));
    this.finished.length = 0;
    this.open.clear();
    return all;
  }

  /** Incremental: only events not seen before are serialised (the history only grows within an execution). */
  private measure(trigger: Trigger): void {
    const history = trigger.history;
    const instanceId = trigger.instanceId;
    if (!Array.isArray(history) || instanceId === undefined) return;
    const signature = JSON.stringify(history[1] ?? null);
    let current = this.open.get(instanceId);
    if (current && (current.signature !== signature || history.length < current.events)) {
      this.finished.push(current);
      current = undefined;
    }
    if (!current) {
      current = { instanceId, events: 0, bytes: 2, byType: {}, signature };
      this.open.set(instanceId, current);
    }
    for (let i = current.events; i < history.length; i++) {
      const event = history[i] as { EventType?: number };
      current.bytes += Buffer.byteLength(JSON.stringify(event)) + (i > 0 ? 1 : 0);
      const type = EVENT_NAMES.get(event.EventType ?? -1) ?? String(event.EventType);
      current.byType[type] = (current.byType[type] ?? 0) + 1;
    }
    current.events = history.length;
  }
}

export function largest(
  executions: ExecutionHistory[],
  by: "events" | "bytes",
): ExecutionHistory | undefined {
  return executions.reduce<ExecutionHistory | undefined>(
    (best, e) => (!best || e[by] > best[by] ? e : best),
    undefined,
  );
}
