import type { PoisonedMessage, PoisonQueue } from "../../../shared/intake/replayPoisonedMessages";
import { handleQueueMessage } from "../../../shared/intake/handleQueueMessage";
import { REPLAY_GIVE_UP_HOURS, replayPoisonedMessages } from "../../../shared/intake/replayPoisonedMessages";
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

const hoursBefore = (hours: number) => new Date(Date.parse(NOW) - hours * 3600_000).toISOString();

const message = (requestId: string, insertedOn = hoursBefore(1)): PoisonedMessage => ({
  messageId: `m-${requestId}`,
  popReceipt: "p",
  insertedOn,
  text: JSON.stringify({
    ...queuedAdd,
    requestId,
    tables: [tableEntry("dbo", "Orders", { distribution: "RoundRobin" })],
  }),
});

/** What the replay needs: the ledger, the durable client (as a scheduler), settings, workspaces, the queue. */
function replayDeps(ledger: InMemoryLedger, scheduler: WorkerScheduler, poison: PoisonQueue) {
  return { ledger, scheduler, settings: defaultSettings, workspaces: ["demo"], poison };
}

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
    const deps = replayDeps(
      new InMemoryLedger(),
      failingStarts((n) => n === 2),
      poison,
    );
    expect(await replayPoisonedMessages(deps, NOW)).toEqual({
      replayed: ["a", "c"],
      rejected: 0,
      failed: 1,
      gaveUp: [],
    });
    expect(poison.deleted).toEqual(["m-a", "m-c"]);
  });

  it("ends the run after three failures in a row: the durable client is still down", async () => {
    const poison = new ArrayPoisonQueue(["a", "b", "c", "d", "e"].map((id) => message(id)));
    const deps = replayDeps(
      new InMemoryLedger(),
      failingStarts(() => true),
      poison,
    );
    expect(await replayPoisonedMessages(deps, NOW)).toEqual({
      replayed: [],
      rejected: 0,
      failed: 3,
      gaveUp: [],
    });
    expect(poison.deleted).toEqual([]);
  });

  it("records a message still failing after REPLAY_GIVE_UP_HOURS as rejected with the last error, and removes it", async () => {
    /** A request this ledger cannot record (say, a row the store refuses), though it records rejections. */
    class RefusingLedger extends InMemoryLedger {
      override recordRequestAndNudge(): ReturnType<InMemoryLedger["recordRequestAndNudge"]> {
        return Promise.reject(new Error("EntityTooLarge"));
      }
    }
    const ledger = new RefusingLedger();
    const poison = new ArrayPoisonQueue([
      message("old", hoursBefore(REPLAY_GIVE_UP_HOURS + 0.1)),
      message("young", hoursBefore(REPLAY_GIVE_UP_HOURS - 0.1)),
    ]);
    const deps = replayDeps(
      ledger,
      failingStarts(() => false),
      poison,
    );
    expect(await replayPoisonedMessages(deps, NOW)).toEqual({
      replayed: [],
      rejected: 0,
      failed: 1,
      gaveUp: [{ id: "old", outcome: "rejected" }],
    });
    expect(poison.deleted).toEqual(["m-old"]);
    expect(await ledger.getRequest("old")).toMatchObject({
      status: "Rejected",
      tables: [
        { status: "Rejected", error: expect.stringMatching(/within 12 hours of retries: EntityTooLarge/) },
      ],
    });
    expect(await ledger.getRequest("young")).toBeUndefined();
  });

  it("leaves a request recorded before the failure to its worker when it gives up on the message", async () => {
    const ledger = new InMemoryLedger();
    const poison = new ArrayPoisonQueue([message("a", hoursBefore(REPLAY_GIVE_UP_HOURS + 1))]);
    const deps = replayDeps(
      ledger,
      failingStarts(() => true),
      poison,
    );
    expect(await replayPoisonedMessages(deps, NOW)).toMatchObject({
      failed: 0,
      gaveUp: [{ id: "a", outcome: "recorded" }],
    });
    expect(poison.deleted).toEqual(["m-a"]);
    // Recorded Queued before the durable client failed: the link is open, and reconcile starts its worker.
    expect((await ledger.getRequest("a"))?.status).toBe("Queued");
    expect((await ledger.listOpenLinks()).map((l) => l.link.linkConnection)).toEqual(["demo-link"]);
  });

  it("removes a message whose request was recorded and has ended since, without rejecting it", async () => {
    const ledger = new InMemoryLedger();
    const poisoned = message("done", hoursBefore(REPLAY_GIVE_UP_HOURS + 1));
    const poison = new ArrayPoisonQueue([poisoned]);
    const deps = replayDeps(
      ledger,
      failingStarts(() => true),
      poison,
    );
    // Recorded by the consumer before the durable client failed; served and finished since.
    await expect(
      handleQueueMessage(deps, poisoned.text, { messageId: poisoned.messageId }, NOW),
    ).rejects.toThrow();
    await ledger.completeRequest(
      { workspace: "demo", linkConnection: "demo-link" },
      "done",
      "Succeeded",
      [],
      NOW,
    );
    expect((await replayPoisonedMessages(deps, NOW)).gaveUp).toEqual([{ id: "done", outcome: "ended" }]);
    expect((await ledger.getRequest("done"))?.status).toBe("Succeeded");
  });

  it("clears a re-added table's detached mark when it leaves a recorded re-add to its worker", async () => {
    const ledger = new InMemoryLedger();
    const reAdd: PoisonedMessage = {
      ...message("readd", hoursBefore(REPLAY_GIVE_UP_HOURS + 1)),
      text: JSON.stringify({
        ...queuedAdd,
        requestId: "readd",
        action: "reAdd",
        tables: [tableEntry("dbo", "Orders", { distribution: "RoundRobin" })],
      }),
    };
    const link = { workspace: "demo", linkConnection: "demo-link" };
    await ledger.setDetached(link, { schema: "dbo", name: "Orders" }, true);
    const poison = new ArrayPoisonQueue([reAdd]);
    const deps = replayDeps(
      ledger,
      failingStarts(() => true),
      poison,
    );
    // The consumer recorded it, then the durable client failed before the mark was cleared.
    await expect(handleQueueMessage(deps, reAdd.text, { messageId: reAdd.messageId }, NOW)).rejects.toThrow();
    expect(await ledger.isDetached(link, { schema: "dbo", name: "Orders" })).toBe(true);
    expect((await replayPoisonedMessages(deps, NOW)).gaveUp).toEqual([{ id: "readd", outcome: "recorded" }]);
    expect(await ledger.isDetached(link, { schema: "dbo", name: "Orders" })).toBe(false);
  });
});
