/*
 * Ingest cost: accepting one onboarding request through the real `onboardingHttp` handler (validate, allow-list,
 * the idempotency record in the ledger when an Idempotency-Key is given, then the queue message sent to Azurite,
 * as the host's output binding would) against a bare queue send of the same body. Three variants — with a key,
 * without a key, bare send — run side by side in one process against one Azurite, interleaved in rounds (the order
 * rotates each round) so machine noise hits all alike.
 *
 *   npx ts-node --transpile-only bench/ingestCost.ts [requests=200] [rounds=5] [warmup=200]
 *
 * Then, untimed, a few requests of each variant through the counting proxy (bench/support/tableTrafficProxy.ts)
 * give the Table storage round trips the handler pays before it answers. The timed runs talk to Azurite directly.
 */
import { HttpRequest } from "@azure/functions";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite } from "../dev/azurite/startAzurite";
import { installFunctionsCoreStandIn } from "../dev/durable";
import { invokeFunction } from "../dev/host";
import { resetDependencies } from "../shared/dependencies";
import { describeArgs, fmt, Goals, numberArgs, quartiles, runMain, watchdog } from "./support/report";
import { startTableTrafficProxy } from "./support/tableTrafficProxy";

const args = numberArgs({ requests: 200, rounds: 5, warmup: 200, watchdogMinutes: 10 });
const COUNTED_REQUESTS = 20;

type Variant = "withKey" | "withoutKey" | "bare";
const VARIANTS: Variant[] = ["withKey", "withoutKey", "bare"];

function useStorage(connectionString: string): void {
  Object.assign(process.env, {
    AzureWebJobsStorage: connectionString,
    SYNAPSE_WORKSPACES: "demo=http://127.0.0.1:7072",
    SYNAPSE_STATIC_TOKEN: "bench",
    ALLOWED_LINKS: "demo/*",
  });
  resetDependencies();
}

async function main(): Promise<void> {
  watchdog(args.watchdogMinutes);
  const azurite = await startAzurite();
  try {
    useStorage(azurite.connectionString);
    const registry = installFunctionsCoreStandIn();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stand-in
    require("../functions/onboardingHttp");
    const handler = registry.get("onboardingHttp");
    if (!handler) throw new Error("onboardingHttp not registered");
    const queue = new QueueClient(azurite.connectionString, "bench-ingest");
    await queue.createIfNotExists();

    const body = JSON.stringify({
      linkConnection: "demo-link",
      tables: [
        { schema: "dbo", name: "Customers" },
        { schema: "dbo", name: "Orders" },
      ],
    });
    let counter = 0;
    const viaApp = async (withKey: boolean) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (withKey) headers["idempotency-key"] = `bench-${process.pid}-${++counter}`;
      const { result, outputs } = await invokeFunction(
        handler,
        new HttpRequest({
          method: "POST",
          url: "http://127.0.0.1:7071/api/onboarding",
          headers,
          body: { string: body },
        }),
        { logHandler: () => undefined },
      );
      if ((result as { status: number }).status !== 202) throw new Error("expected 202");
      for (const message of outputs.values()) {
        await queue.sendMessage(Buffer.from(JSON.stringify(message)).toString("base64"));
      }
    };
    const bare = async () => {
      await queue.sendMessage(Buffer.from(body).toString("base64"));
    };
    const run: Record<Variant, () => Promise<void>> = {
      withKey: () => viaApp(true),
      withoutKey: () => viaApp(false),
      bare,
    };

    // Every variant is warmed alike before timing (module caches, the ledger table, the JIT): the goal is the cost
    // per request of a running instance, and the queue client's send path, which all three variants share, would
    // otherwise be the only warm one. Loading cost is bench:cold-start's.
    for (let i = 0; i < args.warmup; i++) for (const variant of VARIANTS) await run[variant]();
    const totalMs: Record<Variant, number> = { withKey: 0, withoutKey: 0, bare: 0 };
    const roundRatios: Record<"withKey" | "withoutKey", number[]> = { withKey: [], withoutKey: [] };
    const perRound = Math.max(1, Math.floor(args.requests / args.rounds));
    for (let round = 0; round < args.rounds; round++) {
      const roundMs: Record<Variant, number> = { withKey: 0, withoutKey: 0, bare: 0 };
      for (let k = 0; k < VARIANTS.length; k++) {
        const variant = VARIANTS[(round + k) % VARIANTS.length] ?? "bare";
        const start = performance.now();
        for (let i = 0; i < perRound; i++) await run[variant]();
        roundMs[variant] = performance.now() - start;
        totalMs[variant] += roundMs[variant];
      }
      roundRatios.withKey.push(roundMs.withKey / roundMs.bare);
      roundRatios.withoutKey.push(roundMs.withoutKey / roundMs.bare);
    }
    const n = perRound * args.rounds;
    const range = (xs: number[]) =>
      `per round: median ${fmt(quartiles(xs).median)}, min–max ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
    const ratio = (v: "withKey" | "withoutKey") => totalMs[v] / totalMs.bare;

    // Untimed: the handler's Table storage round trips, through the counting proxy.
    const proxy = await startTableTrafficProxy(azurite.connectionString, azurite.tablePort);
    const roundTrips: Record<"withKey" | "withoutKey", number> = { withKey: 0, withoutKey: 0 };
    try {
      useStorage(proxy.connectionString);
      await viaApp(true); // the new client's first call checks the table
      for (const variant of ["withKey", "withoutKey"] as const) {
        proxy.reset();
        for (let i = 0; i < COUNTED_REQUESTS; i++) await run[variant]();
        roundTrips[variant] = proxy.total().requests / COUNTED_REQUESTS;
      }
    } finally {
      useStorage(azurite.connectionString);
      await proxy.close();
    }

    console.log(
      `sizes: ${describeArgs(args)} → ${n} requests per variant, ${perRound} per variant per round`,
    );
    console.log(
      `onboardingHttp + enqueue, with Idempotency-Key:    ${fmt(totalMs.withKey / n)} ms per request`,
    );
    console.log(
      `onboardingHttp + enqueue, without Idempotency-Key: ${fmt(totalMs.withoutKey / n)} ms per request`,
    );
    console.log(`bare queue send:                                   ${fmt(totalMs.bare / n)} ms per request`);
    console.log(`ratio with key / bare:    ${fmt(ratio("withKey"))} (${range(roundRatios.withKey)})`);
    console.log(`ratio without key / bare: ${fmt(ratio("withoutKey"))} (${range(roundRatios.withoutKey)})`);
    console.log(
      `Table storage round trips per request before 202 (${COUNTED_REQUESTS} counted): with key ${fmt(roundTrips.withKey)}, without ${fmt(roundTrips.withoutKey)}`,
    );

    const goals = new Goals();
    goals.atMost("ingest with Idempotency-Key / bare send", ratio("withKey"), 1.3, "×");
    goals.atMost("ingest without Idempotency-Key / bare send", ratio("withoutKey"), 1.3, "×");
    goals.finish();
  } finally {
    await azurite.stop();
  }
}

runMain(main);
