/*
 * Many requests: one-table requests spread evenly over a few links, all arriving within one simulated minute
 * (default 500 requests over 5 links in 60 s). The link workers' Synapse calls against what a per-request script
 * makes for the same arrivals (bench/support/perRequestScript.ts), side by side in one run; and the worker's
 * ledger traffic per request.
 *
 *   npx ts-node --transpile-only bench/manyRequests.ts [requests=500] [links=5] [seconds=60] [watchdogMinutes=15]
 *
 * Counting: Synapse calls are the simulator's record of every API request it handled (sim.calls), per operation
 * and link. Ledger round trips are HTTP requests to Azurite's Table endpoint through a counting proxy
 * (bench/support/tableTrafficProxy.ts): the intake's part (recording the request and starting or nudging the
 * worker, as the queue consumer does) and every activity's, over the requests' whole life; a transaction is one
 * round trip. The HTTP intake's idempotency record is not part of this path (see bench/ingestCost.ts).
 */
import { linkWorkerInstanceId } from "../shared/domain/linkRef";
import {
  benchSeed,
  IDLE,
  INTAKE,
  shortOperation,
  startBenchStack,
  callsByOperation,
} from "./support/benchStack";
import { runPerRequestScripts, type ScriptRequest } from "./support/perRequestScript";
import { describeArgs, fmt, Goals, numberArgs, runMain, watchdog } from "./support/report";
import type { TrafficTally } from "./support/tableTrafficProxy";

const args = numberArgs({ requests: 500, links: 5, seconds: 60, watchdogMinutes: 15 });
const START = Date.parse("2026-01-05T08:00:00Z");
/** The simulated time the workers get to finish after the last arrival. */
const MAX_VIRTUAL_MS = 12 * 3600_000;

function kinds(tally: TrafficTally): string {
  return Object.entries(tally.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
}

async function main(): Promise<void> {
  watchdog(args.watchdogMinutes);
  const links = Array.from({ length: args.links }, (_, i) => `link-${i}`);
  const arrivals: ScriptRequest[] = Array.from({ length: args.requests }, (_, i) => ({
    at: Math.floor((i * args.seconds * 1000) / args.requests),
    linkConnection: links[i % links.length] ?? "",
    tables: [{ schema: "bench", name: `T${i}` }],
  }));
  const seed = () => benchSeed(links, args.requests);
  console.log(
    `sizes: ${describeArgs(args)} (one table per request, arrivals evenly spread, links round-robin)`,
  );

  const scriptStarted = performance.now();
  const script = await runPerRequestScripts(seed(), arrivals, START);
  const scriptWallMs = performance.now() - scriptStarted;

  const stack = await startBenchStack({ seed: seed(), driver: { startTime: new Date(START) } });
  const { harness, proxy } = stack;
  try {
    const wallStarted = performance.now();
    const deadline = Date.now() + args.watchdogMinutes * 60_000 - 30_000;
    const requestIds: string[] = [];
    for (const arrival of arrivals) {
      const due = START + arrival.at - harness.driver.now;
      if (due > 0) await harness.driver.run({ maxVirtualMs: due });
      requestIds.push(await stack.submit([`bench.${arrival.tables[0]?.name ?? ""}`], arrival.linkConnection));
    }
    const ids = links.map((l) => linkWorkerInstanceId(harness.link(l)));
    const allDone = () => ids.every((id) => harness.driver.getStatus(id)?.runtimeStatus === "Completed");
    await harness.driver.run({
      maxVirtualMs: MAX_VIRTUAL_MS,
      until: () => allDone() || Date.now() > deadline,
    });
    const wallMs = performance.now() - wallStarted;
    const virtualMinutes = (harness.driver.now - START) / 60_000;

    const ledger = proxy.total((label) => label !== "teardown");
    const intake = proxy.total((label) => label === INTAKE);
    const activityLabels = [...proxy.tallies.keys()].filter(
      (l) => l !== INTAKE && l !== IDLE && l !== "teardown",
    );

    proxy.label = "verify";
    const statuses: Record<string, number> = {};
    for (const id of requestIds) {
      const status = (await harness.request(id)).status;
      statuses[status] = (statuses[status] ?? 0) + 1;
    }

    const calls = harness.sim.calls;
    const worker = callsByOperation(calls);
    const edits = worker.LinkConnection_EditTables ?? 0;
    const polls = worker.LinkConnection_QueryTableStatus ?? 0;
    const editsPerLink = links.map((l) => harness.sim.callsTo("LinkConnection_EditTables", l).length);
    const okEditsPerLink = links.map((l) => harness.editCalls(l).length);
    const other = calls.length - edits - polls;
    if (process.env.BENCH_TRACE) {
      // Diagnostics: the first link's Synapse calls on the virtual clock.
      for (const c of calls.filter((x) => x.linkConnection === links[0] || !x.linkConnection))
        console.log(
          `  +${fmt((c.at - START) / 1000)} s ${shortOperation(c.operationId)} ${c.linkConnection ?? ""}`,
        );
    }

    console.log("");
    console.log(
      `requests: ${statuses.Succeeded ?? 0} of ${args.requests} Succeeded (${JSON.stringify(statuses)})`,
    );
    console.log(
      `workers: ${ids.map((id) => harness.driver.getStatus(id)?.runtimeStatus ?? "none").join(", ")}`,
    );
    console.log(
      `virtual time to finish: ${fmt(virtualMinutes)} min; wall time: ${fmt(wallMs / 1000)} s (script model ${fmt(scriptWallMs / 1000)} s)`,
    );
    console.log("");
    console.log("Synapse calls                 worker   per-request script");
    const operations = [...new Set([...Object.keys(worker), ...Object.keys(script.byOperation)])].sort();
    for (const op of operations) {
      console.log(
        `  ${shortOperation(op).padEnd(26)} ${String(worker[op] ?? 0).padStart(6)}   ${String(script.byOperation[op] ?? 0).padStart(6)}`,
      );
    }
    console.log(
      `  ${"total".padEnd(26)} ${String(calls.length).padStart(6)}   ${String(script.calls).padStart(6)}`,
    );
    if (script.unfinished > 0)
      console.log(`  (script model: ${script.unfinished} request(s) gave up polling)`);
    const failed = calls.filter((c) => c.status >= 400).length;
    if (failed > 0) console.log(`  worker calls answered ≥ 400: ${failed}`);
    console.log(`edittables per link: ${editsPerLink.join(", ")} (successful: ${okEditsPerLink.join(", ")})`);
    console.log(`calls other than edits and status polls: ${other} of ${calls.length}`);
    console.log("");
    console.log(
      `ledger round trips: ${ledger.requests} (${fmt(ledger.requests / args.requests)} per request), rows read ${ledger.rowsRead}`,
    );
    console.log(`  intake (record + start/nudge): ${intake.requests} [${kinds(intake)}]`);
    for (const label of activityLabels.sort()) {
      const t = proxy.tallies.get(label);
      if (t) console.log(`  ${label}: ${t.requests}, rows read ${t.rowsRead} [${kinds(t)}]`);
    }
    const idle = proxy.tallies.get(IDLE);
    if (idle) console.log(`  outside activities: ${idle.requests} [${kinds(idle)}]`);

    const goals = new Goals();
    goals.holds(
      "every request finished",
      (statuses.Succeeded ?? 0) === args.requests && allDone(),
      `${statuses.Succeeded ?? 0} of ${args.requests} Succeeded`,
    );
    goals.atLeast("Synapse calls, per-request script / worker", script.calls / calls.length, 50);
    goals.atMost("edittables per link (most on any link)", Math.max(...editsPerLink), 2);
    goals.atMost("calls other than edits and status polls", (100 * other) / calls.length, 25, " %");
    goals.atMost("ledger round trips per request", ledger.requests / args.requests, 8);
    goals.finish();
  } finally {
    await stack.stop();
  }
}

runMain(main);
