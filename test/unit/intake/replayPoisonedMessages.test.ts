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
  it("ends the run at a message that fails again, leaving it and the rest for the next run", async () => {
    const ledger = new InMemoryLedger();
    let starts = 0;
    const scheduler: WorkerScheduler = {
      getRuntimeStatus: () => Promise.resolve(undefined),
      // The durable client is still down for the second message's worker.
      start: () => (++starts === 2 ? Promise.reject(new Error("ECONNREFUSED")) : Promise.resolve()),
      raiseEvent: () => Promise.resolve(),
    };
    const poison = new ArrayPoisonQueue([message("a"), message("b"), message("c")]);
    const deps = { ledger, scheduler, settings: defaultSettings, workspaces: ["demo"], poison };

    expect(await replayPoisonedMessages(deps, NOW)).toEqual({ replayed: ["a"], rejected: 0, failed: 1 });
    expect(poison.deleted).toEqual(["m-a"]);
  });
});
