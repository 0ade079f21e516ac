/**
 * Invokes a captured registration (`{ metadata, callback }` from `installFunctionsCoreStandIn()`) the way the Node
 * worker does: a real `InvocationContext` whose `options` come from the registration's bindings (the worker's
 * `fromRpcBindings`), the durable client data set on the `durableClient` input, the callback called with
 * `(triggerInput, context)`, and every extra output the handler set collected by binding name (the worker's
 * `getResponse` reads `context.extraOutputs.get(bindingName)` for each `out` binding except `$return`).
 * HTTP triggers: `httpBridge.ts` (`toHttpRequest`, `writeHttpResponse`, `serveHttpFunction`).
 */
import { randomUUID } from "node:crypto";
import {
  InvocationContext,
  type EffectiveFunctionOptions,
  type FunctionInput,
  type FunctionOutput,
  type FunctionTrigger,
  type LogHandler,
  type RetryContext,
  type TraceContext,
} from "@azure/functions";
import type { FunctionMetadata, RegisteredFunction } from "../durable";

export interface InvokeFunctionOptions {
  /** Value for the `durableClient` / `orchestrationClient` input; required when the function has one. */
  durableClientData?: unknown;
  /** Trigger metadata (camelCase keys, e.g. `dequeueCount`). Ignored for http / timer triggers, like the worker. */
  triggerMetadata?: Record<string, unknown>;
  /** Default: the registered name. */
  functionName?: string;
  /** Default: a random UUID. */
  invocationId?: string;
  /** Values of other input bindings, keyed by binding name. */
  extraInputs?: Record<string, unknown>;
  /** `context.log` & co. Default: the library's fallback (console). */
  logHandler?: LogHandler;
  retryContext?: RetryContext;
  traceContext?: TraceContext;
}

export interface InvocationResult {
  /** What the handler returned (the `$return` binding: e.g. the HTTP response of an http trigger). */
  result: unknown;
  /** Extra outputs the handler set, keyed by binding name (null / undefined values are left out, like the worker). */
  outputs: Map<string, unknown>;
  context: InvocationContext;
}

const RETURN_BINDING = "$return";

/** The worker's `isTrigger`: any binding type ending in "trigger" (case-insensitive). */
function isTriggerType(type: string): boolean {
  return /trigger$/i.test(type);
}

/** True for the binding `df.getClient(context)` looks for. */
export function isDurableClientBinding(binding: { type: string }): boolean {
  return binding.type === "durableClient" || binding.type === "orchestrationClient";
}

/**
 * `context.options` as the worker builds it from the function's bindings (`fromRpcBindings`): the binding objects
 * with `name` set to their key. (The real worker only sees the host's binding info — type, direction, properties —
 * so settings such as `queueName` are extra here; no handler should depend on either.)
 */
export function effectiveOptionsOf(metadata: FunctionMetadata): EffectiveFunctionOptions {
  let trigger: FunctionTrigger | undefined;
  let returnBinding: FunctionOutput | undefined;
  const extraInputs: FunctionInput[] = [];
  const extraOutputs: FunctionOutput[] = [];
  for (const [name, binding] of Object.entries(metadata.bindings)) {
    const option = { ...binding, type: binding.type, name };
    if (isTriggerType(binding.type)) trigger = option;
    else if (name === RETURN_BINDING) returnBinding = option;
    else if (binding.direction === "in") extraInputs.push(option);
    else if (binding.direction === "out") extraOutputs.push(option);
  }
  if (trigger === undefined) throw new Error(`function '${metadata.name}' has no trigger binding`);
  return returnBinding === undefined
    ? { trigger, extraInputs, extraOutputs }
    : { trigger, return: returnBinding, extraInputs, extraOutputs };
}

/** Deep copy through JSON, like data crossing the host ↔ worker boundary. */
function viaJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * The InvocationContext the worker builds for one invocation of `registered` (its options from the
 * bindings, the durable client data on the `durableClient` input); `invokeFunction` builds one per call.
 */
export function invocationContextFor(
  registered: RegisteredFunction,
  options: InvokeFunctionOptions = {},
): InvocationContext {
  const { metadata } = registered;
  const effective = effectiveOptionsOf(metadata);
  const triggerType = effective.trigger.type.toLowerCase();
  const ignoresMetadata = triggerType === "httptrigger" || triggerType === "timertrigger";
  const context = new InvocationContext({
    invocationId: options.invocationId ?? randomUUID(),
    functionName: options.functionName ?? metadata.name,
    options: effective,
    ...(options.logHandler === undefined ? {} : { logHandler: options.logHandler }),
    ...(options.retryContext === undefined ? {} : { retryContext: options.retryContext }),
    ...(options.traceContext === undefined ? {} : { traceContext: options.traceContext }),
    ...(ignoresMetadata || options.triggerMetadata === undefined
      ? {}
      : { triggerMetadata: options.triggerMetadata }),
  });

  for (const input of effective.extraInputs) {
    if (isDurableClientBinding(input)) {
      if (options.durableClientData === undefined) {
        throw new Error(
          `function '${metadata.name}' has a ${input.type} input ('${input.name}'): pass durableClientData ` +
            "(buildDurableClientData / startDurableClientApi(...).durableClientData)",
        );
      }
      context.extraInputs.set(input.name, viaJson(options.durableClientData));
    } else if (options.extraInputs !== undefined && input.name in options.extraInputs) {
      context.extraInputs.set(input.name, options.extraInputs[input.name]);
    }
  }
  return context;
}

/** Calls the registration's callback with a real InvocationContext; throws what the handler throws. */
export async function invokeFunction(
  registered: RegisteredFunction,
  triggerInput: unknown,
  options: InvokeFunctionOptions = {},
): Promise<InvocationResult> {
  return invokeWithContext(registered, triggerInput, invocationContextFor(registered, options));
}

/** Calls the registration's callback with `context` (one per invocation, from `invocationContextFor`). */
export async function invokeWithContext(
  registered: RegisteredFunction,
  triggerInput: unknown,
  context: InvocationContext,
): Promise<InvocationResult> {
  const { callback } = registered;
  const effective = context.options;
  const result = await callback(triggerInput, context);

  const outputs = new Map<string, unknown>();
  for (const output of effective.extraOutputs) {
    const value = context.extraOutputs.get(output.name);
    if (value !== undefined && value !== null) outputs.set(output.name, value);
  }
  return { result, outputs, context };
}
