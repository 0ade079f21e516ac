/**
 * Actions returned by the JS orchestrator (`OrchestratorState.actions`), as they look after the JSON round trip
 * to the host (docs/durable-protocol.md §5, §6): camelCase fields, numeric `actionType`, `fireAt` as an ISO string.
 */

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;
export type ActionTypeName = keyof typeof ActionType;
export type ActionTypeNumber = (typeof ActionType)[ActionTypeName];

const ACTION_TYPE_NAMES = new Map<number, ActionTypeName>(
  (Object.entries(ActionType) as [ActionTypeName, number][]).map(([name, value]) => [value, name]),
);

/** `RetryOptions` on the wire; optional fields are present only when the user set them (§6). */
export interface WireRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface CallActivityAction {
  actionType: typeof ActionType.CallActivity;
  functionName: string;
  input?: unknown;
}
export interface CallActivityWithRetryAction {
  actionType: typeof ActionType.CallActivityWithRetry;
  functionName: string;
  input?: unknown;
  retryOptions: WireRetryOptions;
}
export interface CreateTimerAction {
  actionType: typeof ActionType.CreateTimer;
  fireAt: string;
  isCanceled: boolean;
}
export interface WaitForExternalEventAction {
  actionType: typeof ActionType.WaitForExternalEvent;
  externalEventName: string;
  reason?: string;
}
export interface ContinueAsNewAction {
  actionType: typeof ActionType.ContinueAsNew;
  input?: unknown;
}
/** Action types the SDK can emit but the replay driver rejects (kept loosely typed). */
export interface UnsupportedAction {
  actionType:
    | typeof ActionType.CallSubOrchestrator
    | typeof ActionType.CallSubOrchestratorWithRetry
    | typeof ActionType.CallEntity
    | typeof ActionType.CallHttp
    | typeof ActionType.SignalEntity
    | typeof ActionType.LockEntities
    | typeof ActionType.ReleaseEntities;
  functionName?: string;
  instanceId?: string;
  operation?: string;
  input?: unknown;
  [key: string]: unknown;
}

export type LeafAction =
  | CallActivityAction
  | CallActivityWithRetryAction
  | CreateTimerAction
  | WaitForExternalEventAction
  | ContinueAsNewAction
  | UnsupportedAction;

export interface CompoundAction {
  actionType: typeof ActionType.WhenAny | typeof ActionType.WhenAll;
  compoundActions: OrchestratorAction[];
}

export type OrchestratorAction = LeafAction | CompoundAction;

/** `OrchestratorState` after the JSON round trip (§5). `customStatus` is absent when falsy. */
export interface WireOrchestratorState {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion: number;
}

export function actionTypeName(actionType: number): string {
  return ACTION_TYPE_NAMES.get(actionType) ?? `actionType ${actionType}`;
}

export function isCompound(action: OrchestratorAction): action is CompoundAction {
  return action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny;
}

/**
 * Depth-first, in `compoundActions` order: the order in which JS `trackOpenTask` and DTFx hand out ids (§8.2).
 */
export function flattenActions(actions: readonly OrchestratorAction[], out: LeafAction[] = []): LeafAction[] {
  for (const action of actions) {
    if (isCompound(action)) flattenActions(action.compoundActions, out);
    else out.push(action);
  }
  return out;
}

/**
 * The leaves of a V2+ state: exactly one inner action list (§5). More than one list means a V1 payload, which the
 * driver never requests.
 */
export function leavesOfState(state: WireOrchestratorState): LeafAction[] {
  if (state.actions.length > 1) {
    throw new Error(`replay driver: expected one action list (schema V2+), got ${state.actions.length}`);
  }
  return flattenActions(state.actions[0] ?? []);
}

/** The name DTFx compares on replay: activity / sub-orchestration / event name, or the entity operation. */
export function actionName(action: LeafAction): string {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return action.functionName;
    case ActionType.WaitForExternalEvent:
      return action.externalEventName;
    case ActionType.CreateTimer:
    case ActionType.ContinueAsNew:
      return "";
    default:
      return action.functionName ?? action.operation ?? "";
  }
}

/**
 * JS pre-encodes string inputs of CallActivity(WithRetry) and ContinueAsNew (`Utils.processInput`, §6); the
 * function still receives the original value, so undo that here.
 */
export function decodeActionInput(input: unknown): unknown {
  return typeof input === "string" ? (JSON.parse(input) as unknown) : input;
}

/** Deterministic JSON (sorted object keys) for comparing inputs across replays. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return "undefined";
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

function short(value: unknown, max = 120): string {
  const text = stableStringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Human-readable action for error messages, e.g. `CallActivity 'Hello' (input "x")`. */
export function describeAction(action: LeafAction | undefined): string {
  if (action === undefined) return "nothing";
  const type = actionTypeName(action.actionType);
  switch (action.actionType) {
    case ActionType.CreateTimer:
      return `${type} (fireAt ${action.fireAt}${action.isCanceled ? ", cancelled" : ""})`;
    case ActionType.WaitForExternalEvent:
      return `${type} '${action.externalEventName}'`;
    case ActionType.ContinueAsNew:
      return `${type} (input ${short(action.input)})`;
    case ActionType.CallActivityWithRetry:
      return `${type} '${action.functionName}' (input ${short(action.input)}, retry ${short(action.retryOptions)})`;
    default:
      return `${type} '${actionName(action)}' (input ${short(action.input)})`;
  }
}
