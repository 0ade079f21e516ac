/*
 * Ingest cost: accepting one onboarding request through the real `onboardingHttp` handler
 * (validate, allow-list, idempotency record in the ledger, then the queue message sent to Azurite)
 * against a bare queue send of the same message. Both run side by side in one process against
 * one Azurite, alternating in rounds so machine noise hits both alike.
 *
 *   npx ts-node --transpile-only bench/ingestCost.ts [requests=200]
 */
import { HttpRequest } from "@azure/functions";
import { QueueClient } from "@azure/storage-queue";
import { startAzurite } from "../dev/azurite/startAzurite";
import { installFunctionsCoreStandIn } from "../dev/durable";
import { invokeFunction } from "../dev/host";
import { resetDependencies } from "../shared/dependencies";

const REQUESTS = Number(process.argv[2] ?? "200");
const ROUNDS = 5;

async function main(): Promise<void> {
  const azurite = await startAzurite();
  try {
    Object.assign(process.env, {
      AzureWebJobsStorage: azurite.connectionString,
      SYNAPSE_WORKSPACES: "demo=http://127.0.0.1:7072",
      SYNAPSE_STATIC_TOKEN: "bench",
      ALLOWED_LINKS: "demo/*",
    });
    resetDependencies();
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
    const viaApp = async () => {
      const { result, outputs } = await invokeFunction(
        handler,
        new HttpRequest({
          method: "POST",
          url: "http://127.0.0.1:7071/api/onboarding",
          headers: { "content-type": "application/json", "idempotency-key": `bench-${++counter}` },
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

    await viaApp(); // warm up module caches and the ledger table
    await bare();
    let appMs = 0;
    let bareMs = 0;
    const perRound = Math.max(1, Math.floor(REQUESTS / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      let start = performance.now();
      for (let i = 0; i < perRound; i++) await viaApp();
      appMs += performance.now() - start;
      start = performance.now();
      for (let i = 0; i < perRound; i++) await bare();
      bareMs += performance.now() - start;
    }
    const n = perRound * ROUNDS;
    console.log(`requests: ${n} each way, ${ROUNDS} alternating rounds`);
    console.log(`onboardingHttp + enqueue: ${(appMs / n).toFixed(2)} ms per request`);
    console.log(`bare queue send:          ${(bareMs / n).toFixed(2)} ms per request`);
    console.log(`ratio (app / bare): ${(appMs / bareMs).toFixed(2)}`);
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
