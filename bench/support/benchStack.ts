/*
 * The worker's whole real stack for a benchmark (test/support/linkWorkerHarness.ts: Azurite ledger, simulator over
 * HTTP, real SDK, real orchestrator through the replay driver on a virtual clock), with the Table endpoint behind
 * the counting proxy and the probes on the registered functions.
 */
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import type { SimSeed } from "../../dev/synapse-sim";
import { LinkWorkerHarness, type HarnessOptions } from "../../test/support/linkWorkerHarness";
import { startTableTrafficProxy, type TableTrafficProxy } from "./tableTrafficProxy";
import { WorkerProbe } from "./workerProbe";

export const INTAKE = "intake";
export const IDLE = "other";

let sharedProbe: WorkerProbe | undefined;

export interface BenchStack {
  azurite: RunningAzurite;
  proxy: TableTrafficProxy;
  harness: LinkWorkerHarness;
  probe: WorkerProbe;
  /** `harness.submit` with its Table traffic attributed to the intake (the queue consumer's part). */
  submit(tables: string[], linkConnection: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchStack(options: HarnessOptions): Promise<BenchStack> {
  const azurite = await startAzurite();
  const proxy = await startTableTrafficProxy(azurite.connectionString, azurite.tablePort);
  try {
    const harness = await LinkWorkerHarness.start(proxy.connectionString, options);
    sharedProbe ??= new WorkerProbe();
    const probe = sharedProbe;
    probe.idleLabel = IDLE;
    probe.onActivity = (label) => {
      proxy.label = label;
    };
    proxy.label = IDLE;
    return {
      azurite,
      proxy,
      harness,
      probe,
      async submit(tables, linkConnection) {
        proxy.label = INTAKE;
        try {
          return await harness.submit(tables, { linkConnection });
        } finally {
          proxy.label = IDLE;
        }
      },
      async stop() {
        proxy.label = "teardown";
        await harness.stop();
        await proxy.close();
        await azurite.stop();
      },
    };
  } catch (error) {
    await proxy.close();
    await azurite.stop();
    throw error;
  }
}

/** Source tables `bench.T<from>` … `bench.T<from+count-1>`, with a primary key, and the given running links. */
export function benchSeed(links: string[], tableCount: number): SimSeed {
  return {
    links: links.map((name) => ({ name, status: "Running" as const })),
    sourceTables: Array.from({ length: tableCount }, (_, i) => ({
      schema: "bench",
      name: `T${i}`,
      primaryKey: ["Id"],
    })),
    targetTables: [],
  };
}

/** Calls per operation id, e.g. `{ LinkConnection_EditTables: 5 }`. */
export function callsByOperation(calls: { operationId: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.operationId] = (counts[call.operationId] ?? 0) + 1;
  return counts;
}

export function shortOperation(operationId: string): string {
  return operationId.replace(/^[A-Za-z]+_/, "");
}
