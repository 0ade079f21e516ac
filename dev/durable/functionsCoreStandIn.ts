/**
 * Stand-in for `@azure/functions-core`, the module the Node worker injects into the Functions host process.
 *
 * Without it, `@azure/functions` runs in "test mode" and `app.generic` (which every `df.app.*` call ends in)
 * registers nothing (docs/durable-protocol.md §1). With it, every registration is captured together with the
 * exact callback the worker would invoke (protocol §2.1), so the replay driver can run the real orchestrator and
 * activity handlers.
 *
 * Install it BEFORE the first `app.*` / `df.app.*` call: `@azure/functions` caches the result of its first
 * `require("@azure/functions-core")` (`tryGetCoreApiLazy`).
 */
import Module from "node:module";
import type { InvocationContext } from "@azure/functions";

export const FUNCTIONS_CORE_MODULE = "@azure/functions-core";

/** One binding of a function, as produced by `toCoreFunctionMetadata` in `@azure/functions`. */
export interface BindingMetadata {
  type: string;
  direction: "in" | "out" | "inout";
  name?: string;
  [key: string]: unknown;
}

/** Metadata handed to `registerFunction` (`name`, `bindings` keyed by binding name, optional retry policy). */
export interface FunctionMetadata {
  name: string;
  bindings: Record<string, BindingMetadata>;
  retryOptions?: unknown;
  [key: string]: unknown;
}

/** The callback the worker invokes: the trigger value first, then the invocation context. */
export type FunctionCallback = (triggerInput: unknown, context: InvocationContext) => unknown;

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** Registered functions keyed by function name. */
export type FunctionRegistry = Map<string, RegisteredFunction>;

interface Disposable {
  dispose(): void;
}

/** The subset of the core API that `@azure/functions` 4.x calls. */
export interface FunctionsCoreStandIn {
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable;
  setProgrammingModel(model: unknown): void;
  getProgrammingModel(): unknown;
  registerHook(hookName: string, callback: unknown): Disposable;
  readonly registry: FunctionRegistry;
  /** Hooks registered through `app.hook.*`, by hook name (`appStart`, ...). */
  readonly hooks: Map<string, ((coreContext: unknown) => unknown)[]>;
}

/** Minimal view of the `jest` object Jest injects into every module it loads. */
interface JestModuleApi {
  doMock(moduleName: string, factory: () => unknown, options: { virtual: boolean }): unknown;
}

interface StandInGlobal {
  standIn: FunctionsCoreStandIn;
  nodeHookInstalled: boolean;
  jestMockInstalled: boolean;
}

// Kept on globalThis so that a second copy of this module (e.g. compiled twice) still finds the same registry.
const GLOBAL_KEY = Symbol.for("synapse-link-autopilot.dev.durable.functionsCoreStandIn");

function createStandIn(): FunctionsCoreStandIn {
  const registry: FunctionRegistry = new Map();
  const hooks = new Map<string, ((coreContext: unknown) => unknown)[]>();
  let programmingModel: unknown;
  return {
    registry,
    hooks,
    registerFunction(metadata, callback) {
      // The real worker refuses duplicate names too; a silent overwrite would hide a test-setup mistake.
      if (registry.has(metadata.name)) {
        throw new Error(`A function with name "${metadata.name}" has already been registered.`);
      }
      const entry: RegisteredFunction = { metadata, callback };
      registry.set(metadata.name, entry);
      return {
        dispose() {
          if (registry.get(metadata.name) === entry) registry.delete(metadata.name);
        },
      };
    },
    setProgrammingModel(model) {
      programmingModel = model;
    },
    getProgrammingModel() {
      return programmingModel;
    },
    registerHook(hookName, callback) {
      const list = hooks.get(hookName) ?? [];
      const hook = callback as (coreContext: unknown) => unknown;
      list.push(hook);
      hooks.set(hookName, list);
      return {
        dispose() {
          list.splice(list.indexOf(hook), 1);
        },
      };
    },
  };
}

function getGlobalState(): StandInGlobal {
  const holder = globalThis as unknown as Record<symbol, StandInGlobal | undefined>;
  let state = holder[GLOBAL_KEY];
  if (state === undefined) {
    state = { standIn: createStandIn(), nodeHookInstalled: false, jestMockInstalled: false };
    holder[GLOBAL_KEY] = state;
  }
  return state;
}

/** `jest` is a module-scope variable injected by jest-runtime, not a global; absent outside Jest. */
function jestModuleApi(): JestModuleApi | undefined {
  const candidate: unknown = typeof jest === "undefined" ? undefined : jest;
  if (typeof candidate === "object" && candidate !== null && "doMock" in candidate) {
    return candidate as JestModuleApi;
  }
  return undefined;
}

type ResolveFilename = (request: string, ...rest: unknown[]) => string;

function installNodeHook(standIn: FunctionsCoreStandIn): void {
  // Plain Node / ts-node: resolve the bare name to a synthetic id and pre-populate require.cache (§2.1).
  const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = function resolveWithStandIn(this: unknown, request, ...rest) {
    if (request === FUNCTIONS_CORE_MODULE) return FUNCTIONS_CORE_MODULE;
    return original.call(this, request, ...rest);
  };
  const cached = new Module(FUNCTIONS_CORE_MODULE);
  cached.filename = FUNCTIONS_CORE_MODULE;
  cached.loaded = true;
  cached.exports = standIn;
  require.cache[FUNCTIONS_CORE_MODULE] = cached;
}

/**
 * Installs the stand-in (idempotent) and returns the registry that fills up as `app.*` / `df.app.*` run.
 *
 * Under Jest, Node's resolver is bypassed by jest-runtime, so the stand-in is registered as a virtual module
 * mock (`jest.doMock(..., { virtual: true })`) for the calling test file's module registry instead.
 */
export function installFunctionsCoreStandIn(): FunctionRegistry {
  const state = getGlobalState();
  const jestApi = jestModuleApi();
  if (jestApi !== undefined) {
    if (!state.jestMockInstalled) {
      const standIn = state.standIn;
      jestApi.doMock(FUNCTIONS_CORE_MODULE, () => standIn, { virtual: true });
      state.jestMockInstalled = true;
    }
  } else if (!state.nodeHookInstalled) {
    installNodeHook(state.standIn);
    state.nodeHookInstalled = true;
  }
  return state.standIn.registry;
}

/** The trigger binding of a registered function (the single `in` binding whose type ends in `Trigger`). */
export function triggerBindingOf(metadata: FunctionMetadata): BindingMetadata | undefined {
  return Object.values(metadata.bindings).find((b) => b.direction === "in" && b.type.endsWith("Trigger"));
}

/** Runs the app's `app.hook.appStart` handlers, as the Node worker does once it has loaded the app. */
export async function runAppStartHooks(functionAppDirectory: string): Promise<void> {
  for (const hook of getGlobalState().standIn.hooks.get("appStart") ?? []) {
    await hook({ hookData: {}, appHookData: {}, functionAppDirectory });
  }
}
