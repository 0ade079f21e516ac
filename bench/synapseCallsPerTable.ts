/*
 * Synapse calls per onboarded table: the link worker against the per-request script people write
 * today (one edittables per request, then querytablestatus every 30 s until Replicating).
 * Both run against the simulator with the same timings on a virtual clock, side by side in one run.
 *
 *   npx ts-node --transpile-only bench/synapseCallsPerTable.ts [tables=20]
 */
import { startAzurite } from "../dev/azurite/startAzurite";
import { demoSeed, startSynapseSim, type SimSeed } from "../dev/synapse-sim";
import { resolveTarget } from "../shared/domain/tableTarget";
import { ArtifactsSynapseLinkClient } from "../shared/synapse/artifactsSynapseLinkClient";
import { LinkWorkerHarness } from "../test/support/linkWorkerHarness";

const TABLES = Number(process.argv[2] ?? "20");
const POLL_MS = 30_000;

function seedWithTables(): SimSeed {
  const seed = demoSeed();
  for (let i = 0; i < TABLES; i++)
    seed.sourceTables.push({ schema: "bench", name: `T${i}`, primaryKey: ["Id"] });
  return seed;
}

/** The status quo: each request is its own edittables call plus a sleep-and-poll loop. */
async function perRequestScript(): Promise<number> {
  let now = Date.parse("2026-01-05T08:00:00Z");
  const sim = await startSynapseSim({ seed: seedWithTables(), token: "t", clock: () => now });
  const client = new ArtifactsSynapseLinkClient({
    workspaces: [{ name: "demo", endpoint: sim.url }],
    auth: { kind: "staticToken", token: "t" },
    apiVersion: "2023-04-18-preview",
  });
  const link = { workspace: "demo", linkConnection: "demo-link" };
  for (let i = 0; i < TABLES; i++) {
    const source = { schema: "bench", name: `T${i}` };
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    await client.editTables(link, [
      { operation: "add", id, source, target: resolveTarget(source, undefined) },
    ]);
    for (;;) {
      now += POLL_MS;
      const states = await client.queryTableStatus(link);
      if (states.find((s) => s.id === id)?.status === "Replicating") break;
    }
  }
  const calls = sim.calls.length;
  await sim.close();
  return calls;
}

/** The link worker, with every request arriving at once (the webhook burst case). */
async function linkWorker(connectionString: string): Promise<number> {
  const harness = await LinkWorkerHarness.start(connectionString, { seed: seedWithTables() });
  for (let i = 0; i < TABLES; i++) await harness.submit([`bench.T${i}`]);
  await harness.driver.run();
  const calls = harness.sim.calls.length;
  await harness.stop();
  return calls;
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  try {
    const script = await perRequestScript();
    const worker = await linkWorker(azurite.connectionString);
    console.log(`tables onboarded: ${TABLES}`);
    console.log(`per-request script: ${script} Synapse calls (${(script / TABLES).toFixed(2)} per table)`);
    console.log(`link worker:        ${worker} Synapse calls (${(worker / TABLES).toFixed(2)} per table)`);
    console.log(`ratio (script / worker): ${(script / worker).toFixed(2)}`);
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
