// Public API of the Synapse link-connection simulator: startSynapseSim(), demoSeed() and the profiles.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseSeed } from "./controlSchemas";
import { FaultInjector } from "./faults";
import { DEFAULT_TIMINGS, LinkState } from "./linkState";
import type { SimCall, SimSeed, SynapseSim, SynapseSimOptions } from "./publicTypes";
import { createRequestHandler } from "./server";
import { SimClock } from "./simClock";
import { resolveSimProfile } from "./simProfile";
import { loadSpecDocument, shortOperationName, specOperations, type SpecOperation } from "./specDocument";
import { SpecValidator } from "./specValidator";

export type * from "./publicTypes";
export { demoSeed } from "./seed";
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

export async function startSynapseSim(options: SynapseSimOptions = {}): Promise<SynapseSim> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new Error(`pageSize must be a positive integer, got ${pageSize}`);
  const profile = resolveSimProfile(options.profile);
  const initialSeed = parseSeed(structuredClone(options.seed ?? EMPTY_SEED));
  const clock = new SimClock(options.clock, options.timeScale ?? 1);
  const faults = new FaultInjector();
  const state = new LinkState(() => clock.now(), { ...DEFAULT_TIMINGS, ...options.timings }, faults, profile);
  state.load(initialSeed);
  const calls: SimCall[] = [];

  const reset = (seed?: SimSeed): void => {
    state.load(parseSeed(structuredClone(seed ?? initialSeed)));
    calls.length = 0;
    faults.clear();
  };

  const { validator, operations } = compiledSpec();
  const server = createServer(
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
      ...(options.token === undefined ? {} : { token: options.token }),
    }),
  );
  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, options.port ?? 0, host);
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    profile,
    calls,
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
    close: () => close(server),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => {
      if (err) reject(err);
      else resolve();
    });
    // Keep-alive sockets (the SDK's agent keeps them) would hold close() open.
    server.closeAllConnections();
  });
}
