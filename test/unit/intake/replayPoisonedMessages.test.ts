import type { PoisonedMessage, PoisonQueue } from "../../../shared/intake/replayPoisonedMessages";
import { replayPoisonedMessages } from "../../../shared/intake/replayPoisonedMessages";
import type { WorkerScheduler } from "../../../shared/worker/ensureLinkWorker";
import { InMemoryLedger } from "../../support/inMemoryLedger";
import { queuedAdd, tableEntry } from "../../support/onboardingTables";
import { defaultSettings } from "../worker/workerTestKit";

const NOW = "2026-01-05T08:10:00.000Z";

/** The project's poison-queue port over an array: received messages stay until deleted. */
class ArrayPoisonQueue implements PoisonQueue {
  readonly deleted: string[] = [];
  constructor(private readonly messages: PoisonedMessage[]) {}
  receive(count: number): Promise<PoisonedMessage[]> {
    const batch = this.messages.splice(0, count);
    return Promise.resolve(batch);
  }
  delete(message: PoisonedMessage): Promise<void> {
    this.deleted.push(message.messageId);
    return Promise.resolve();
  }
}

const message = (requestId: string): PoisonedMessage => ({
  messageId: `m-${requestId}`,
  popReceipt: "p",
  text: JSON.stringify({
    ...queuedAdd,
    requestId,
    tables: [tableEntry("dbo", "Orders", { distribution: "RoundRobin" })],
  }),
});

describe("replayPoisonedMessages", () => {
  function failingStarts(failing: (n: number) => boolean): WorkerScheduler {
    let starts = 0;
    return {
      getRuntimeStatus: () => Promise.resolve(undefined),
      start: () => (failing(++starts) ? Promise.reject(new Error("ECONNREFUSED")) : Promise.resolve()),
      raiseEvent: () => Promise.resolve(),
    };
  }

  it("does not let one message that fails again hold up the others", async () => {
    const poison = new ArrayPoisonQueue([message("a"), message("b"), message("c")]);
    const deps = {
      ledger: new InMemoryLedger(),
      scheduler: failingStarts((n) => n === 2),
      settings: defaultSettings,
      workspaces: ["demo"],
      poison,
    };
    expect(await replayPoisonedMessages(deps, NOW)).toEqual({ replayed: ["a", "c"], rejected: 0, failed: 1 });
    expect(poison.deleted).toEqual(["m-a", "m-c"]);
  });

  it("ends the run after three failures in a row: the durable client is still down", async () => {
    const poison = new ArrayPoisonQueue(["a", "b", "c", "d", "e"].map(message));
    const deps = {
      ledger: new InMemoryLedger(),
      scheduler: failingStarts(() => true),
      settings: defaultSettings,
      workspaces: ["demo"],
      poison,
    };
    expect(await replayPoisonedMessages(deps, NOW)).toEqual({ replayed: [], rejected: 0, failed: 3 });
    expect(poison.deleted).toEqual([]);
  });
});
