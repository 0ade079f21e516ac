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
  invokeFunction,
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
