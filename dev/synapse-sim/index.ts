// Public API of the Synapse link-connection simulator: startSynapseSim(), demoSeed() and the profiles.
import { serve } from "../http";
import type { ArmSimHandle } from "./arm";
import { armSpec } from "./arm/armSpec";
import { ArmState, DEFAULT_ARM_TIMINGS, demoArmSeed, type ArmSeed, type ArmTimings } from "./arm/armState";
import { parseSeed } from "./controlSchemas";
import { FaultInjector } from "./faults";
import { linkedServiceSpec } from "./linkedServiceSpec";
import { DEFAULT_TIMINGS, LinkState } from "./linkState";
import type { SimCall, SimSeed, SynapseSim, SynapseSimOptions } from "./publicTypes";
import { createRequestHandler } from "./server";
import { SimClock } from "./simClock";
import { resolveSimProfile } from "./simProfile";
import { loadSpecDocument, shortOperationName, specOperations, type SpecOperation } from "./specDocument";
import { SpecValidator } from "./specValidator";

export type * from "./publicTypes";
export { dedicatedPoolLinkedService, demoSeed, workspaceDefaultSqlServer } from "./seed";
export * from "./arm";
export { artifactsClientOverHttp } from "./sdkOverHttp";
export {
  DEFAULT_SIM_PROFILE,
  formatSimProfile,
  parseSimProfile,
  SIM_PROFILE_ANSWERS,
  SimProfileError,
  simProfileMatrix,
} from "./simProfile";

const EMPTY_SEED: SimSeed = { links: [], sourceTables: [], targetTables: [] };
const DEFAULT_PAGE_SIZE = 50;

// Compiling the spec's schemas is the slow part of a start; every simulator in a process shares one result.
let compiled: { validator: SpecValidator; operations: SpecOperation[] } | undefined;
function compiledSpec(): { validator: SpecValidator; operations: SpecOperation[] } {
  compiled ??= {
    validator: new SpecValidator(),
    operations: specOperations(loadSpecDocument("2023-04-18-preview")),
  };
  return compiled;
}

/**
 * A seeded linked service must be one the real API could return: its resource validates against the vendored
 * spec's subtype for its type (spec/artifacts/), so the app is never tested against a shape the service cannot send.
 */
function checkLinkedServices(seed: SimSeed): SimSeed {
  const spec = linkedServiceSpec();
  for (const service of seed.linkedServices ?? []) {
    const issues = spec.validateResource({ name: service.name, properties: service.properties });
    if (issues.length > 0) {
      throw new Error(
        `seed: linked service ${service.name} does not match the spec: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      );
    }
  }
  return seed;
}

/** The management plane's options (kept beside SynapseSimOptions so the link-connection contract stays as it is). */
export interface ArmSimOptions {
  /** The workspace and SQL pools ARM serves; default demoArmSeed(). */
  arm?: ArmSeed;
  armTimings?: Partial<ArmTimings>;
}

export async function startSynapseSim(
  options: SynapseSimOptions & ArmSimOptions = {},
): Promise<SynapseSim & { arm: ArmSimHandle }> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new Error(`pageSize must be a positive integer, got ${pageSize}`);
  const profile = resolveSimProfile(options.profile);
  const initialSeed = checkLinkedServices(parseSeed(structuredClone(options.seed ?? EMPTY_SEED)));
  const clock = new SimClock(options.clock, options.timeScale ?? 1);
  const faults = new FaultInjector();
  const state = new LinkState(() => clock.now(), { ...DEFAULT_TIMINGS, ...options.timings }, faults, profile);
  state.load(initialSeed);
  const calls: SimCall[] = [];

  let selfUrl = "http://127.0.0.1";
  const armSeed = options.arm ?? demoArmSeed();
  const arm = new ArmState(
    () => clock.now(),
    { ...DEFAULT_ARM_TIMINGS, ...options.armTimings },
    () => selfUrl,
  );
  arm.load(armSeed);

  const reset = (seed?: SimSeed): void => {
    state.load(checkLinkedServices(parseSeed(structuredClone(seed ?? initialSeed))));
    arm.load(armSeed);
    calls.length = 0;
    faults.clear();
  };

  const { validator, operations } = compiledSpec();
  const server = await serve(
    createRequestHandler({
      state,
      faults,
      clock,
      calls,
      profile,
      reset,
      validator,
      operations,
      pageSize,
      arm: { state: arm, spec: armSpec() },
      ...(options.token === undefined ? {} : { token: options.token }),
    }),
    { port: options.port ?? 0, host: options.host ?? "127.0.0.1" },
  );

  selfUrl = server.origin;

  return {
    arm: {
      workspaceResourceId: arm.workspaceId,
      setPoolStatus: (pool, status) => {
        arm.setStatus(pool, status);
      },
      poolStatus: (pool) => {
        const properties = arm.pool(pool).properties as { status: string };
        return properties.status;
      },
    },
    url: server.origin,
    port: server.port,
    profile,
    calls,
    putSourceTable: (table) => {
      state.putSourceTable(table);
    },
    callsTo(operationId, linkConnection) {
      const wanted = shortOperationName(operationId);
      return calls.filter(
        (c) =>
          shortOperationName(c.operationId) === wanted &&
          (linkConnection === undefined || c.linkConnection?.toLowerCase() === linkConnection.toLowerCase()),
      );
    },
    addFault: (fault) => {
      faults.add(fault);
    },
    clearFaults: () => {
      faults.clear();
    },
    reset,
    link: (name) => state.view(name),
    close: server.close,
  };
}
