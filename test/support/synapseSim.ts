// The Synapse simulator in Jest tests: one per describe block (or file), and the real ArtifactsClient pointed at it.
import { ArtifactsClient } from "@azure/synapse-artifacts";
import {
  artifactsClientOverHttp,
  startSynapseSim,
  type SimSeed,
  type SynapseSim,
  type SynapseSimOptions,
} from "../../dev/synapse-sim";

export interface SimHooks {
  /** Receives the simulator once it runs (before the block's tests). */
  started: (sim: SynapseSim) => void;
  /** Runs before each test, e.g. to set a virtual clock back. */
  beforeEachTest?: () => void;
  /** The seed the simulator is reset to before each test (after `beforeEachTest`); no reset when absent. */
  reseed?: () => SimSeed;
}

/** Starts a simulator with `options` before the enclosing block's tests and closes it after them. */
export function useSynapseSim(options: SynapseSimOptions, hooks: SimHooks): void {
  let sim: SynapseSim | undefined;
  beforeAll(async () => {
    sim = await startSynapseSim(options);
    hooks.started(sim);
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(() => {
    hooks.beforeEachTest?.();
    if (hooks.reseed) sim?.reset(hooks.reseed());
  });
}

/** A credential the simulator accepts (any bearer token will do unless it was started with `token`). */
export const simCredential: ConstructorParameters<typeof ArtifactsClient>[0] = {
  getToken: async () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** The real ArtifactsClient talking to the simulator at `simUrl` (through artifactsClientOverHttp). */
export function artifactsClientFor(simUrl: string): ArtifactsClient {
  const { endpoint, options } = artifactsClientOverHttp(simUrl);
  return new ArtifactsClient(simCredential, endpoint, options);
}

/**
 * The link-table tests' starting point: sales-link (empty) and other-link (dbo.Legacy linked), and five source tables
 * (AuditLog without a primary key, Shapes with an unsupported column). `more` adds links and tables after them.
 */
export function salesSeed(more: Partial<SimSeed> = {}): SimSeed {
  return {
    ...more,
    links: [
      { name: "sales-link" },
      { name: "other-link", tables: [{ schema: "dbo", name: "Legacy", id: "legacy-id" }] },
      ...(more.links ?? []),
    ],
    sourceTables: [
      { schema: "dbo", name: "Orders", primaryKey: ["OrderId"] },
      { schema: "dbo", name: "Customers", primaryKey: ["CustomerId"] },
      { schema: "dbo", name: "AuditLog" },
      { schema: "dbo", name: "Shapes", primaryKey: ["ShapeId"], unsupportedColumns: ["Outline geography"] },
      { schema: "dbo", name: "Legacy", primaryKey: ["LegacyId"] },
      ...(more.sourceTables ?? []),
    ],
  };
}
