// The poison-queue replay against Azurite: the real queue adapter and Table storage ledger; the
// durable client is the project's scheduler port, recording what it was asked.
import { QueueClient } from "@azure/storage-queue";
import { TableClient } from "@azure/data-tables";
import { TableStorageLedger } from "../../shared/ledger/tableStorageLedger";
import { ONBOARDING_POISON_QUEUE } from "../../shared/intake/queueMessage";
import { REPLAY_GIVE_UP_HOURS, replayPoisonedMessages } from "../../shared/intake/replayPoisonedMessages";
import { storagePoisonQueue } from "../../shared/intake/storagePoisonQueue";
import type { WorkerScheduler } from "../../shared/worker/ensureLinkWorker";
import { useAzurite } from "../support/azurite";
import { queuedAdd, tableEntry } from "../support/onboardingTables";
import { defaultSettings } from "../unit/worker/workerTestKit";

const azurite = useAzurite();
const NOW = "2026-01-05T08:10:00.000Z";

function recordingScheduler() {
  const started: string[] = [];
  const scheduler: WorkerScheduler = {
    getRuntimeStatus: () => Promise.resolve(undefined),
    start: (id) => {
      started.push(id);
      return Promise.resolve();
    },
    raiseEvent: () => Promise.resolve(),
  };
  return { scheduler, started };
}

/** What the Functions host leaves in the poison queue: the message's base64 text, as it was enqueued. */
const encoded = (body: unknown) =>
  Buffer.from(typeof body === "string" ? body : JSON.stringify(body)).toString("base64");

describe("replayPoisonedMessages (Azurite)", () => {
  it("records and serves a valid message poisoned during an outage, and records an invalid one as rejected", async () => {
    const poison = new QueueClient(azurite.connectionString, ONBOARDING_POISON_QUEUE);
    await poison.createIfNotExists();
    const valid = {
      ...queuedAdd,
      requestId: "poisoned-1",
      tables: [tableEntry("dbo", "Orders", { distribution: "RoundRobin" })],
    };
    await poison.sendMessage(encoded(valid));
    await poison.sendMessage(encoded("{ not json"));
    const ledger = new TableStorageLedger(
      TableClient.fromConnectionString(azurite.connectionString, "replayledger", {
        allowInsecureConnection: true,
      }),
    );
    const { scheduler, started } = recordingScheduler();
    const deps = {
      ledger,
      scheduler,
      settings: defaultSettings,
      workspaces: ["demo"],
      poison: storagePoisonQueue(
        { kind: "connectionString", connectionString: azurite.connectionString },
        () => {
          throw new Error("no credential with a connection string");
        },
      ),
    };

    expect(await replayPoisonedMessages(deps, NOW)).toEqual({
      replayed: ["poisoned-1"],
      rejected: 1,
      failed: 0,
      gaveUp: [],
    });
    expect((await ledger.getRequest("poisoned-1"))?.status).toBe("Queued");
    expect(started).toEqual([expect.stringMatching(/^linkWorker-demo-demo-link-/)]);
    // Both are gone: the invalid one's reason and body are in the ledger (rejectedMessages).
    expect((await poison.getProperties()).approximateMessagesCount).toBe(0);
    expect(await replayPoisonedMessages(deps, NOW)).toEqual({
      replayed: [],
      rejected: 0,
      failed: 0,
      gaveUp: [],
    });
  });

  it("gives up on a message that still fails REPLAY_GIVE_UP_HOURS after it was poisoned, by the queue's own insertion time", async () => {
    const poison = new QueueClient(azurite.connectionString, ONBOARDING_POISON_QUEUE);
    await poison.createIfNotExists();
    await poison.clearMessages();
    const stuck = encoded({
      ...queuedAdd,
      requestId: "stuck-1",
      tables: [tableEntry("dbo", "Orders", { distribution: "RoundRobin" })],
    });
    await poison.sendMessage(stuck);
    const ledger = new TableStorageLedger(
      TableClient.fromConnectionString(azurite.connectionString, "replayledger2", {
        allowInsecureConnection: true,
      }),
    );
    const deps = {
      ledger,
      settings: defaultSettings,
      workspaces: ["demo"],
      // The durable client stays down.
      scheduler: {
        ...recordingScheduler().scheduler,
        start: () => Promise.reject(new Error("ECONNREFUSED")),
      },
      poison: storagePoisonQueue(
        { kind: "connectionString", connectionString: azurite.connectionString },
        () => {
          throw new Error("unused");
        },
      ),
    };
    const hoursFromNow = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
    expect(await replayPoisonedMessages(deps, hoursFromNow(1))).toMatchObject({ failed: 1, gaveUp: [] });
    // The failed try hid it for five minutes: the same message again, to be read at once.
    await poison.clearMessages();
    await poison.sendMessage(stuck);
    expect(await replayPoisonedMessages(deps, hoursFromNow(REPLAY_GIVE_UP_HOURS + 0.5))).toMatchObject({
      failed: 0,
      gaveUp: [{ id: "stuck-1", outcome: "recorded" }],
    });
    expect((await poison.getProperties()).approximateMessagesCount).toBe(0);
    // It was recorded before the durable client failed: Queued, on an open link reconcile serves.
    expect((await ledger.getRequest("stuck-1"))?.status).toBe("Queued");
  });

  it("reads nothing before the host created the poison queue", async () => {
    await new QueueClient(azurite.connectionString, ONBOARDING_POISON_QUEUE).deleteIfExists();
    const queue = storagePoisonQueue(
      { kind: "connectionString", connectionString: azurite.connectionString },
      () => {
        throw new Error("unused");
      },
    );
    expect(await queue.receive(32, 60)).toEqual([]);
  });
});
