/** Public surface of the replay driver (see README.md). */
export {
  installFunctionsCoreStandIn,
  runAppStartHooks,
  triggerBindingOf,
  type BindingMetadata,
  type FunctionCallback,
  type FunctionMetadata,
  type FunctionRegistry,
  type RegisteredFunction,
} from "./functionsCoreStandIn";
export { ReplayDriver, type ReplayDriverOptions, type RunOptions } from "./replayDriver";
export {
  NonDeterminismError,
  StuckOrchestrationError,
  UnsupportedByReplayDriverError,
  type NonDeterminismDetails,
} from "./errors";
export type { DriverSnapshot, InstanceState, InstanceStatus, RuntimeStatus, WorkItem } from "./instanceState";
export {
  EventType,
  completedTaskId,
  formatHistoryEvent,
  historyEvent,
  type CompletionEvent,
  type HistoryEvent,
} from "./historyEvents";
export {
  ActionType,
  decodeActionInput,
  describeAction,
  flattenActions,
  type LeafAction,
  type OrchestratorAction,
  type WireOrchestratorState,
} from "./actions";
