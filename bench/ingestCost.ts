/*
 * Ingest cost: accepting one onboarding request through the real `onboardingHttp` handler (read the body,
 * validate, allow-list, the request id and acceptance token, then the queue message sent to Azurite, as the host's
 * output binding would) against a bare queue send of the same body. Three variants — with a key, without a key,
 * bare send — run side by side in one process against one Azurite, interleaved in rounds (the order rotates each
 * round) so machine noise hits all alike.
 *
 * Each round's invocations are built before its timer starts: in Azure the Functions worker builds the
 * `HttpRequest` and the `InvocationContext` from the host's message for every HTTP invocation alike, so they are not
 * the app's cost. The timed part is the handler (reading the body, validating, the id and token, the message) and the
 * send of what it put on its output binding. Two more variants build the invocation inside the timer, in the same
 * rounds against the same bare sends; their ratios are printed for reference.
 *
 *   npx ts-node --transpile-only bench/ingestCost.ts [requests=3000] [rounds=100] [warmup=200]
 *
 * The sample is large because the machine is noisy: on a shared 2-core machine the ratio of one round of 30
 * requests ranges from 0.4 to 4, and of 600 requests in all still from 1.19 to 1.38 between runs, while 3,000 settle
 * within a few hundredths (about a minute of running).
 *
 * Then, untimed, a new instance (new clients, the app's start hooks run as the worker runs them) answers a few
 * requests of each variant, its first request included, through the counting proxy
 * (bench/support/tableTrafficProxy.ts): the Table storage round trips it pays before it answers, which must be none
 * (the enqueue is intake's one storage call). The timed runs talk to Azurite directly.
 */
import { HttpRequest, type InvocationContext } from "@azure/functions";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite } from "../dev/azurite/startAzurite";
import { installFunctionsCoreStandIn, runAppStartHooks } from "../dev/durable";
import { invocationContextFor, invokeWithContext } from "../dev/host";
import { getDependencies, resetDependencies } from "../shared/dependencies";
import { describeArgs, fmt, Goals, numberArgs, quartiles, runMain, watchdog } from "./support/report";
import { startTableTrafficProxy } from "./support/tableTrafficProxy";

const args = numberArgs({ requests: 3000, rounds: 100, warmup: 200, watchdogMinutes: 10 });
const COUNTED_REQUESTS = 20;

/** The app's variants with the invocation built ahead (the goals) and inside the timer (for reference), and bare. */
type AppVariant = "withKey" | "withoutKey" | "withKeyBuiltInside" | "withoutKeyBuiltInside";
type Variant = AppVariant | "bare";
const VARIANTS: Variant[] = ["withKey", "withoutKey", "withKeyBuiltInside", "withoutKeyBuiltInside", "bare"];

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
    const httpRequest = (withKey: boolean) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (withKey) headers["idempotency-key"] = `bench-${process.pid}-${++counter}`;
      return new HttpRequest({
        method: "POST",
        url: "http://127.0.0.1:7071/api/onboarding",
        headers,
        body: { string: body },
      });
    };
    // Invocations (request and context) built ahead of a timed block, one per call.
    type Invocation = { request: HttpRequest; context: InvocationContext };
    const invocation = (withKey: boolean): Invocation => ({
      request: httpRequest(withKey),
      context: invocationContextFor(handler, { logHandler: () => undefined }),
    });
    // Filled just before the timed block of the variant that uses them; empty otherwise (built inside the timer).
    let built: Invocation[] = [];
    const viaApp = async (withKey: boolean) => {
      const { request, context } = built.pop() ?? invocation(withKey);
      const { result, outputs } = await invokeWithContext(handler, request, context);
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
      withKeyBuiltInside: () => viaApp(true),
      withoutKeyBuiltInside: () => viaApp(false),
      bare,
    };

    // Every variant is warmed alike before timing (module caches, the ledger table, the JIT): the goal is the cost
    // per request of a running instance, and the queue client's send path, which all variants share, would
    // otherwise be the only warm one. Loading cost is bench:cold-start's.
    for (let i = 0; i < args.warmup; i++) for (const variant of VARIANTS) await run[variant]();
    const perRound = Math.max(1, Math.floor(args.requests / args.rounds));
    const totalMs: Record<Variant, number> = {
      withKey: 0,
      withoutKey: 0,
      withKeyBuiltInside: 0,
      withoutKeyBuiltInside: 0,
      bare: 0,
    };
    const roundRatios: Record<"withKey" | "withoutKey", number[]> = { withKey: [], withoutKey: [] };
    for (let round = 0; round < args.rounds; round++) {
      const roundMs: Record<Variant, number> = { ...totalMs };
      for (let k = 0; k < VARIANTS.length; k++) {
        const variant = VARIANTS[(round + k) % VARIANTS.length] ?? "bare";
        const ahead = variant === "withKey" || variant === "withoutKey";
        built = ahead ? Array.from({ length: perRound }, () => invocation(variant === "withKey")) : [];
        const start = performance.now();
        for (let i = 0; i < perRound; i++) await run[variant]();
        roundMs[variant] = performance.now() - start;
        totalMs[variant] += roundMs[variant];
      }
      roundRatios.withKey.push(roundMs.withKey / roundMs.bare);
      roundRatios.withoutKey.push(roundMs.withoutKey / roundMs.bare);
    }
    built = [];
    const n = perRound * args.rounds;
    const range = (xs: number[]) =>
      `per round: median ${fmt(quartiles(xs).median)}, min–max ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
    const ratio = (v: AppVariant) => totalMs[v] / totalMs.bare;

    // Untimed: the handler's Table storage round trips, through the counting proxy.
    const proxy = await startTableTrafficProxy(azurite.connectionString, azurite.tablePort);
    const roundTrips: Record<"withKey" | "withoutKey", number> = { withKey: 0, withoutKey: 0 };
    try {
      // A new instance: new clients on the proxy, and the start hooks (they load the acceptance key).
      useStorage(proxy.connectionString);
      // Loaded only now, so its invocation hooks stay out of the timed rounds above.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app's start hooks, as the worker loads them
      require("../functions/appStart");
      await runAppStartHooks(process.cwd());
      await getDependencies().appKeys.acceptanceKey(); // the load the hook started, before the first request
      for (const variant of ["withKey", "withoutKey"] as const) {
        proxy.reset();
        // Built inside: `built` is empty.
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
      `with the request and context built inside the timer (for reference): with key ${fmt(ratio("withKeyBuiltInside"))}, ` +
        `without ${fmt(ratio("withoutKeyBuiltInside"))}`,
    );
    console.log(
      `Table storage round trips per request before 202 (${COUNTED_REQUESTS} counted, from an instance's first): with key ${fmt(roundTrips.withKey)}, without ${fmt(roundTrips.withoutKey)}`,
    );

    const goals = new Goals();
    goals.atMost("ingest with Idempotency-Key / bare send", ratio("withKey"), 1.3, "×");
    goals.atMost("ingest without Idempotency-Key / bare send", ratio("withoutKey"), 1.3, "×");
    // The enqueue is the one storage call; the first request of an instance included.
    goals.atMost("Table storage round trips before 202, with key", roundTrips.withKey, 0, "");
    goals.atMost("Table storage round trips before 202, without key", roundTrips.withoutKey, 0, "");
    goals.finish();
  } finally {
    await azurite.stop();
  }
}

runMain(main);
