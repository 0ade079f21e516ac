/**
 * DTFx history events as the Durable extension sends them to the JS SDK (docs/durable-protocol.md §4):
 * PascalCase fields, numeric `EventType`, `EventId` = -1 except on id-carrying "scheduled" events, ISO
 * `Timestamp`. `Result` / `Input` are JSON strings; the SDK `JSON.parse`s them.
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
} as const;
export type EventTypeName = keyof typeof EventType;
export type EventTypeNumber = (typeof EventType)[EventTypeName];

interface EventBase<T extends EventTypeNumber> {
  EventType: T;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
}

export type OrchestratorStartedEvent = EventBase<typeof EventType.OrchestratorStarted>;
export type OrchestratorCompletedEvent = EventBase<typeof EventType.OrchestratorCompleted>;
export interface ExecutionStartedEvent extends EventBase<typeof EventType.ExecutionStarted> {
  Name: string;
  Input?: string;
}
/** Appended when an execution ends (completed, failed or continued as new); never replayed. */
export interface ExecutionCompletedEvent extends EventBase<typeof EventType.ExecutionCompleted> {
  OrchestrationStatus: "Completed" | "Failed" | "ContinuedAsNew";
  Result?: string;
}
export interface ExecutionTerminatedEvent extends EventBase<typeof EventType.ExecutionTerminated> {
  Input?: string;
}
export interface TaskScheduledEvent extends EventBase<typeof EventType.TaskScheduled> {
  Name: string;
  Input?: string;
}
export interface TaskCompletedEvent extends EventBase<typeof EventType.TaskCompleted> {
  TaskScheduledId: number;
  Result: string;
}
export interface TaskFailedEvent extends EventBase<typeof EventType.TaskFailed> {
  TaskScheduledId: number;
  Reason: string;
  Details: string;
}
export interface TimerCreatedEvent extends EventBase<typeof EventType.TimerCreated> {
  FireAt: string;
}
export interface TimerFiredEvent extends EventBase<typeof EventType.TimerFired> {
  TimerId: number;
  FireAt: string;
}
export interface EventRaisedEvent extends EventBase<typeof EventType.EventRaised> {
  Name: string;
  Input?: string;
}

export type HistoryEvent =
  | OrchestratorStartedEvent
  | OrchestratorCompletedEvent
  | ExecutionStartedEvent
  | ExecutionCompletedEvent
  | ExecutionTerminatedEvent
  | TaskScheduledEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | TimerCreatedEvent
  | TimerFiredEvent
  | EventRaisedEvent;

/** The events that complete a task or wait and are therefore delivered one per episode (§8.1 step 9). */
export type CompletionEvent = TaskCompletedEvent | TaskFailedEvent | TimerFiredEvent | EventRaisedEvent;

const iso = (ms: number): string => new Date(ms).toISOString();

/** JSON text for a `Result` / `Input` field; `undefined` becomes `null` (what a .NET host would send). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function base<T extends EventTypeNumber>(type: T, at: number, eventId = -1): EventBase<T> {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: iso(at) };
}

/** Builders; `at` is the virtual clock in epoch ms. */
export const historyEvent = {
  orchestratorStarted: (at: number): OrchestratorStartedEvent => base(EventType.OrchestratorStarted, at),
  orchestratorCompleted: (at: number): OrchestratorCompletedEvent =>
    base(EventType.OrchestratorCompleted, at),
  executionStarted: (at: number, name: string, input: unknown): ExecutionStartedEvent => ({
    ...base(EventType.ExecutionStarted, at),
    Name: name,
    Input: toJsonText(input),
  }),
  executionCompleted: (
    at: number,
    status: ExecutionCompletedEvent["OrchestrationStatus"],
    result: unknown,
  ): ExecutionCompletedEvent => ({
    ...base(EventType.ExecutionCompleted, at),
    OrchestrationStatus: status,
    Result: toJsonText(result),
  }),
  executionTerminated: (at: number, reason: string): ExecutionTerminatedEvent => ({
    ...base(EventType.ExecutionTerminated, at),
    Input: toJsonText(reason),
  }),
  taskScheduled: (at: number, id: number, name: string, input: unknown): TaskScheduledEvent => ({
    ...base(EventType.TaskScheduled, at, id),
    Name: name,
    Input: toJsonText(input),
  }),
  taskCompleted: (at: number, taskScheduledId: number, result: unknown): TaskCompletedEvent => ({
    ...base(EventType.TaskCompleted, at),
    TaskScheduledId: taskScheduledId,
    Result: toJsonText(result),
  }),
  taskFailed: (at: number, taskScheduledId: number, reason: string, details: string): TaskFailedEvent => ({
    ...base(EventType.TaskFailed, at),
    TaskScheduledId: taskScheduledId,
    Reason: reason,
    Details: details,
  }),
  timerCreated: (at: number, id: number, fireAt: string): TimerCreatedEvent => ({
    ...base(EventType.TimerCreated, at, id),
    FireAt: fireAt,
  }),
  timerFired: (at: number, timerId: number, fireAt: string): TimerFiredEvent => ({
    ...base(EventType.TimerFired, at),
    TimerId: timerId,
    FireAt: fireAt,
  }),
  /** `data === undefined` leaves `Input` out, so the waiting orchestrator receives `undefined` (§4). */
  eventRaised: (at: number, name: string, data: unknown): EventRaisedEvent => {
    const event: EventRaisedEvent = { ...base(EventType.EventRaised, at), Name: name };
    if (data !== undefined) event.Input = JSON.stringify(data);
    return event;
  },
};

/**
 * The id a completion event closes (`TaskScheduledId` / `TimerId`), or undefined for events matched by name.
 */
export function completedTaskId(event: HistoryEvent): number | undefined {
  switch (event.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
      return event.TaskScheduledId;
    case EventType.TimerFired:
      return event.TimerId;
    default:
      return undefined;
  }
}

/**
 * Compact notation used in protocol §8.4: `4:0` = TaskScheduled with EventId 0, `6→0` = TaskFailed for id 0.
 * Events without an id are shown as the bare EventType.
 */
export function formatHistoryEvent(event: HistoryEvent): string {
  const closes = completedTaskId(event);
  if (closes !== undefined) return `${event.EventType}→${closes}`;
  if (event.EventId >= 0) return `${event.EventType}:${event.EventId}`;
  return String(event.EventType);
}
