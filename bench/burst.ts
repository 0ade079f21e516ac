/*
 * Burst: many one-table requests for one link within one simulated minute (default 100 in 60 s), then until the
 * worker finishes. History events per execution of the link's worker.
 *
 *   npx ts-node --transpile-only bench/burst.ts [requests=100] [seconds=60] [watchdogMinutes=10]
 *
 * Counting: events per execution are the replay driver's own count (status.historyLengths: every event of the
 * execution, its closing ExecutionCompleted included); events by type and bytes come from the history the
 * orchestrator is handed on its last episode of each execution (bench/support/workerProbe.ts).
 */
import { linkWorkerInstanceId } from "../shared/domain/linkRef";
import { benchSeed, startBenchStack } from "./support/benchStack";
import { describeArgs, fmt, Goals, numberArgs, runMain, watchdog } from "./support/report";
import { largest } from "./support/workerProbe";

const args = numberArgs({ requests: 100, seconds: 60, watchdogMinutes: 10 });
const START = Date.parse("2026-01-05T08:00:00Z");
const LINK = "link-0";

async function main(): Promise<void> {
  watchdog(args.watchdogMinutes);
  console.log(`sizes: ${describeArgs(args)} (one table per request, one link, arrivals evenly spread)`);
  const stack = await startBenchStack({
    seed: benchSeed([LINK], args.requests),
    driver: { startTime: new Date(START) },
  });
  const { harness, probe } = stack;
  try {
    const deadline = Date.now() + args.watchdogMinutes * 60_000 - 30_000;
    const wallStarted = performance.now();
    const requestIds: string[] = [];
    for (let i = 0; i < args.requests; i++) {
      const due = START + Math.floor((i * args.seconds * 1000) / args.requests) - harness.driver.now;
      if (due > 0) await harness.driver.run({ maxVirtualMs: due });
      requestIds.push(await stack.submit([`bench.T${i}`], LINK));
    }
    const instanceId = linkWorkerInstanceId(harness.link(LINK));
    const done = () => harness.driver.getStatus(instanceId)?.runtimeStatus === "Completed";
    await harness.driver.run({ maxVirtualMs: 12 * 3600_000, until: () => done() || Date.now() > deadline });
    const wallMs = performance.now() - wallStarted;

    let succeeded = 0;
    for (const id of requestIds) if ((await harness.request(id)).status === "Succeeded") succeeded++;
    const status = harness.driver.getStatus(instanceId);
    const lengths = status?.historyLengths ?? [];
    const executions = probe.takeExecutions();
    const longest = largest(executions, "events");
    const biggest = largest(executions, "bytes");

    console.log("");
    console.log(
      `requests: ${succeeded} of ${args.requests} Succeeded; worker ${status?.runtimeStatus ?? "none"}`,
    );
    console.log(
      `virtual time: ${fmt((harness.driver.now - START) / 60_000)} min; wall time ${fmt(wallMs / 1000)} s`,
    );
    console.log(
      `edittables: ${harness.sim.callsTo("LinkConnection_EditTables", LINK).length}; Synapse calls: ${harness.sim.calls.length}`,
    );
    console.log(
      `executions: ${status?.executions ?? 0}; history events per execution: ${lengths.join(", ")}`,
    );
    if (longest) {
      const types = Object.entries(longest.byType)
        .sort((a, b) => b[1] - a[1])
        .map(([t, n]) => `${t} ${n}`)
        .join(", ");
      console.log(
        `longest execution as last replayed: ${longest.events} events, ${fmt(longest.bytes / 1024)} KiB [${types}]`,
      );
    }
    if (biggest) console.log(`largest history per execution: ${fmt(biggest.bytes / 1024)} KiB`);

    const goals = new Goals();
    goals.holds(
      "every request finished",
      succeeded === args.requests && done(),
      `${succeeded} of ${args.requests} Succeeded`,
    );
    goals.atMost("history events per execution (longest)", Math.max(0, ...lengths), 300);
    goals.finish();
  } finally {
    await stack.stop();
  }
}

runMain(main);
