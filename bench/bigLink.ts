/*
 * Big link: `small`, then `big`, then `small` tables again, each phase into one link, in one run (default 500,
 * 5,000, 500; requests of `perRequest` tables each, all of a phase arriving at once). Per phase: ledger rows read,
 * ledger round trips, Synapse calls, wall time and history per execution; the growth exponent of rows read and wall
 * time for `big / small` times the tables; the process's peak RSS by the end of the big phase.
 *
 * A link holds at most 5,000 tables (MAX_TABLES_PER_LINK), so each phase onboards into a link of its own (link-1,
 * link-2, link-3) of the same workspace, with the same simulator, ledger table and replay driver: the last phase
 * runs next to a workspace and a ledger that already hold the earlier phases' tables.
 *
 *   npm run bench:big-link -- [small=500] [big=5000] [perRequest=500] [watchdogMinutes=20]
 *
 * It runs compiled (`tsconfig.bench.json` → dist-bench/), as the app runs in production: under ts-node the process
 * would also hold the TypeScript compiler (about 56 MiB of RSS that no deployment carries).
 *
 * Counting: rows read are the entities in every Table storage answer to the app (queries and point reads) through
 * the counting proxy (bench/support/tableTrafficProxy.ts); wall time is the phase from its first request to the
 * worker's completion, split into the time the app waited on Table storage (some request in flight through the
 * proxy; requests sent together count once) and the rest; the exponent is ln(big phase / small phase) / ln(big /
 * small), against each small phase.
 * Peak RSS is the process's maxRSS (getrusage) after the big phase: app, replay driver, simulator and proxy
 * (Azurite runs in its own process). History: events per execution are the driver's count (historyLengths);
 * bytes are the UTF-8 JSON of the history the orchestrator is handed on its last episode of each execution
 * (bench/support/workerProbe.ts). Payloads over 64 KiB are reported, not failed (the tests fail them).
 */
import { linkWorkerInstanceId } from "../shared/domain/linkRef";
import { benchSeed, callsByOperation, startBenchStack, type BenchStack } from "./support/benchStack";
import { describeArgs, fmt, Goals, MiB, numberArgs, runMain, watchdog } from "./support/report";
import { largest } from "./support/workerProbe";

const args = numberArgs({ small: 500, big: 5000, perRequest: 500, watchdogMinutes: 20 });
const START = Date.parse("2026-01-05T08:00:00Z");
const LINKS = ["link-1", "link-2", "link-3"];

interface PhaseResult {
  tables: number;
  requests: number;
  succeeded: number;
  statuses: Record<string, number>;
  workerStatus: string;
  wallMs: number;
  /** Of the wall time, the time the app waited on Table storage (Azurite): some request in flight. */
  storageMs: number;
  virtualMinutes: number;
  roundTrips: number;
  rowsRead: number;
  synapseCalls: number;
  synapseByOperation: Record<string, number>;
  executions: number;
  maxEvents: number;
  maxHistoryBytes: number;
  largePayloads: number;
  peakRssBytes: number;
}

let nextTable = 0;

async function phase(
  stack: BenchStack,
  link: string,
  tables: number,
  deadline: number,
): Promise<PhaseResult> {
  const { harness, proxy, probe } = stack;
  const instanceId = linkWorkerInstanceId(harness.link(link));
  proxy.reset();
  probe.takeExecutions();
  const callsBefore = harness.sim.calls.length;
  const virtualStart = harness.driver.now;
  const wallStarted = performance.now();
  const requestIds: string[] = [];
  for (let done = 0; done < tables; done += args.perRequest) {
    const names = Array.from(
      { length: Math.min(args.perRequest, tables - done) },
      () => `bench.T${nextTable++}`,
    );
    requestIds.push(await stack.submit(names, link));
  }
  const finished = () => harness.driver.getStatus(instanceId)?.runtimeStatus === "Completed";
  await harness.driver.run({ maxVirtualMs: 24 * 3600_000, until: () => finished() || Date.now() > deadline });
  const wallMs = performance.now() - wallStarted;
  const traffic = proxy.total((label) => label !== "teardown");
  const storageMs = proxy.busyMs();
  if (process.env.BENCH_TRACE) {
    // Diagnostics: where this phase's ledger rows were read.
    for (const [label, t] of [...proxy.tallies.entries()].sort((a, b) => b[1].rowsRead - a[1].rowsRead)) {
      console.log(
        `  ${tables} tables, ${label}: ${t.requests} round trips ${JSON.stringify(t.byKind)}, rows read ${t.rowsRead}, ` +
          `${fmt(t.ms / 1000)} s in storage ${JSON.stringify(Object.fromEntries(Object.entries(t.msByKind).map(([k, v]) => [k, Math.round(v)])))}`,
      );
    }
  }

  proxy.label = "verify";
  const statuses: Record<string, number> = {};
  for (const id of requestIds) {
    const s = (await harness.request(id)).status;
    statuses[s] = (statuses[s] ?? 0) + 1;
  }
  const succeeded = statuses.Succeeded ?? 0;
  const status = harness.driver.getStatus(instanceId);
  const calls = harness.sim.calls.slice(callsBefore);
  const executions = probe.takeExecutions();
  return {
    tables,
    requests: requestIds.length,
    succeeded,
    statuses,
    workerStatus: status?.runtimeStatus ?? "none",
    wallMs,
    storageMs,
    virtualMinutes: (harness.driver.now - virtualStart) / 60_000,
    roundTrips: traffic.requests,
    rowsRead: traffic.rowsRead,
    synapseCalls: calls.length,
    synapseByOperation: callsByOperation(calls),
    executions: status?.executions ?? 0,
    maxEvents: Math.max(0, ...(status?.historyLengths ?? [])),
    maxHistoryBytes: largest(executions, "bytes")?.bytes ?? 0,
    largePayloads: status?.largePayloads.length ?? 0,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

function exponent(bigValue: number, smallValue: number): number {
  return Math.log(bigValue / smallValue) / Math.log(args.big / args.small);
}

async function main(): Promise<void> {
  watchdog(args.watchdogMinutes);
  console.log(
    `sizes: ${describeArgs(args)} (phases of ${args.small}, ${args.big}, ${args.small} tables, each into one link)`,
  );
  const total = 2 * args.small + args.big;
  const stack = await startBenchStack({
    seed: benchSeed(LINKS, total),
    driver: { startTime: new Date(START), failOnLargePayloads: false },
  });
  try {
    const deadline = Date.now() + args.watchdogMinutes * 60_000 - 30_000;
    const rssBefore = process.memoryUsage.rss();
    const phases: PhaseResult[] = [];
    for (const [i, tables] of [args.small, args.big, args.small].entries()) {
      const result = await phase(stack, LINKS[i] ?? "", tables, deadline);
      phases.push(result);
      console.log(`phase ${phases.length} done: ${tables} tables, ${fmt(result.wallMs / 1000)} s`);
    }

    console.log("");
    console.log(`RSS before the first phase: ${fmt(rssBefore / MiB)} MiB`);
    const row = (name: string, cells: (p: PhaseResult, i: number) => string) => {
      console.log(`${name.padEnd(32)}${phases.map((p, i) => cells(p, i).padStart(14)).join("")}`);
    };
    row("phase (tables)", (p) => String(p.tables));
    row("link", (_, i) => LINKS[i] ?? "");
    row("requests Succeeded", (p) => `${p.succeeded}/${p.requests}`);
    row("worker", (p) => p.workerStatus);
    row("wall time (s)", (p) => fmt(p.wallMs / 1000));
    row("  waiting on Table storage (s)", (p) => fmt(p.storageMs / 1000));
    row("  the rest (s)", (p) => fmt((p.wallMs - p.storageMs) / 1000));
    row("virtual time (min)", (p) => fmt(p.virtualMinutes));
    row("ledger round trips", (p) => String(p.roundTrips));
    row("ledger rows read", (p) => String(p.rowsRead));
    row("Synapse calls", (p) => String(p.synapseCalls));
    const operations = [...new Set(phases.flatMap((p) => Object.keys(p.synapseByOperation)))].sort();
    for (const op of operations)
      row(`  ${op.replace(/^[A-Za-z]+_/, "")}`, (p) => String(p.synapseByOperation[op] ?? 0));
    row("executions", (p) => String(p.executions));
    row("history events / execution (max)", (p) => String(p.maxEvents));
    row("history KiB / execution (max)", (p) => fmt(p.maxHistoryBytes / 1024));
    row("payloads over 64 KiB", (p) => String(p.largePayloads));
    row("peak RSS so far (MiB)", (p) => fmt(p.peakRssBytes / MiB));

    const [first, big, last] = phases as [PhaseResult, PhaseResult, PhaseResult];
    const ratios = (f: (p: PhaseResult) => number) =>
      `${fmt(f(big) / f(first))}× and ${fmt(f(big) / f(last))}× (exponent ${fmt(exponent(f(big), f(first)))} / ${fmt(exponent(f(big), f(last)))}); last / first small phase ${fmt(f(last) / f(first))}×`;
    console.log("");
    console.log(`for ${fmt(args.big / args.small)}× the tables (big phase against each small phase):`);
    console.log(`  rows read: ${ratios((p) => p.rowsRead)}`);
    console.log(`  wall time: ${ratios((p) => p.wallMs)}`);
    console.log(`    waiting on Table storage: ${ratios((p) => p.storageMs)}`);
    console.log(`    the rest (app, simulator, driver): ${ratios((p) => p.wallMs - p.storageMs)}`);
    console.log(`  round trips: ${ratios((p) => p.roundTrips)}`);

    const goals = new Goals();
    const allSucceeded = phases.every((p) => p.succeeded === p.requests && p.workerStatus === "Completed");
    goals.holds(
      "every phase finished",
      allSucceeded,
      phases.map((p) => `${p.succeeded}/${p.requests} Succeeded ${JSON.stringify(p.statuses)}`).join(", "),
    );
    const worst = (f: (p: PhaseResult) => number) =>
      Math.max(exponent(f(big), f(first)), exponent(f(big), f(last)));
    goals.atMost(
      "growth exponent of ledger rows read (worse of the two)",
      worst((p) => p.rowsRead),
      1.15,
    );
    goals.atMost(
      "growth exponent of wall time (worse of the two)",
      worst((p) => p.wallMs),
      1.15,
    );
    console.log(
      "  (Azurite scans a row's partition for each write (LokiJS), which a link of more than 1,000 records spread over " +
        "8 shard partitions avoids; on Azure the gain is the partitions' throughput: docs/performance.md, 'Big link')",
    );
    goals.atMost(`peak RSS at ${args.big} tables`, big.peakRssBytes / MiB, 300, " MiB");
    goals.atMost(
      "history per execution (largest, any phase)",
      Math.max(...phases.map((p) => p.maxHistoryBytes)) / 1e6,
      1,
      " MB",
    );
    goals.finish();
  } finally {
    await stack.stop();
  }
}

runMain(main);
