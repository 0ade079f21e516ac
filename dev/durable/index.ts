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
export type {
  DriverSnapshot,
  InstanceState,
  InstanceStatus,
  LargePayload,
  LargePayloadKind,
  RuntimeStatus,
  WorkItem,
} from "./instanceState";
export { carriedOverEventIndices, type CarryoverInput } from "./continueAsNewCarryover";
export { DEFAULT_LARGE_PAYLOAD_BYTES, MAX_CUSTOM_STATUS_KB, customStatusSizeError } from "./payloadLimits";
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
