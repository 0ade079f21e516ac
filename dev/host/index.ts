/** Public surface of the local host building blocks (see README.md). */
export { DriverPump, type DriverPumpOptions, type PumpClock } from "./driverPump";
export {
  DEFAULT_CONNECTION_NAME,
  DEFAULT_DURABLE_BASE_PATH,
  DEFAULT_LOCAL_ORIGIN,
  DEFAULT_TASK_HUB_NAME,
  INSTANCE_ID_PLACEHOLDER,
  buildDurableClientData,
  buildManagementUrls,
  normalizeBasePath,
  type DurableClientData,
  type DurableClientDataOptions,
  type DurableCreationUrls,
  type DurableManagementUrls,
  type ManagementUrlOptions,
} from "./durableClientData";
export {
  createDurableClientApiHandler,
  startDurableClientApi,
  type DurableClientApi,
  type DurableClientApiHandler,
  type DurableClientApiOptions,
  type StartDurableClientApiOptions,
} from "./durableClientApi";
export {
  effectiveOptionsOf,
  invocationContextFor,
  invokeFunction,
  invokeWithContext,
  isDurableClientBinding,
  type InvocationResult,
  type InvokeFunctionOptions,
} from "./invokeFunction";
export {
  matchHttpRoute,
  readRequestBody,
  serveHttpFunction,
  toHttpRequest,
  writeHttpResponse,
  type ServeHttpOptions,
  type ToHttpRequestOptions,
} from "./httpBridge";
export { startLocalHost, type LocalHostOptions, type RunningLocalHost } from "./localHost";
export { appModuleFiles, expandGlob, findRepoRoot, loadAppModules, packageMainGlob } from "./appModules";
export {
  DEFAULT_QUEUES_SETTINGS,
  hostSettingsFrom,
  parseTimeSpan,
  readHostSettings,
  resolveAppSettings,
  type HostSettings,
  type QueueMessageEncoding,
  type QueuesSettings,
} from "./hostConfig";
export { applyLocalSettings, loadLocalSettings, type LocalSettingsResult } from "./localSettings";
export {
  QueueClients,
  decodeQueueMessageText,
  encodeQueueMessage,
  encodeQueueOutput,
  normalizeQueueName,
  queueOutputBindings,
  queueTriggerInput,
  writeQueueOutputs,
} from "./queueMessages";
export {
  QueueTriggerPoller,
  RECEIVE_VISIBILITY_SECONDS,
  type QueueTriggerMetadata,
  type QueueTriggerPollerOptions,
} from "./queueTriggerPoller";
export {
  EVENT_GRID_WEBHOOK_PATH,
  SUBSCRIPTION_VALIDATION_EVENT,
  createEventGridHandler,
  type EventGridEndpointOptions,
  type EventGridHandler,
} from "./eventGridEndpoint";
export {
  nextOccurrence,
  parseTimerSchedule,
  timerInfo,
  type CronFields,
  type TimerInfo,
  type TimerSchedule,
} from "./timerSchedule";
export { TimerTrigger, type TimerTriggerOptions } from "./timerTriggers";
export {
  CHARS_PER_PROPERTY,
  DURABLE_STATE_TABLE,
  DurableStateStore,
  PROPERTIES_PER_ENTITY,
  splitIntoChunks,
  type DurableStateStoreOptions,
} from "./durableStateStore";
