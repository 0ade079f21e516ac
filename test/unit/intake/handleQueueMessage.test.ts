import { handleQueueMessage } from "../../../shared/intake/handleQueueMessage";
import type { WorkerScheduler } from "../../../shared/worker/ensureLinkWorker";
import { InMemoryLedger } from "../../support/inMemoryLedger";
import { queuedAdd, tableEntry } from "../../support/onboardingTables";
import { defaultSettings } from "../worker/workerTestKit";

const NOW = "2026-01-05T08:00:00.000Z";

function scheduler(status?: "Running") {
  const calls: string[] = [];
  const s: WorkerScheduler = {
    getRuntimeStatus: () => Promise.resolve(status),
    start: (id) => {
      calls.push(`start ${id}`);
      return Promise.resolve();
    },
    raiseEvent: (_id, name) => {
      calls.push(`raise ${name}`);
      return Promise.resolve();
    },
  };
  return { s, calls };
}

const message = {
  ...queuedAdd,
  tables: [
    tableEntry("dbo", "Orders", { distribution: "RoundRobin", structure: "ClusteredColumnstoreIndex" }),
  ],
  receivedAt: NOW,
};

/** handleQueueMessage at NOW with the default worker settings. */
function handle(ledger: InMemoryLedger, s: WorkerScheduler, body: unknown, messageId = "m1") {
  return handleQueueMessage({ ledger, scheduler: s, settings: defaultSettings }, body, { messageId }, NOW);
}

describe("handleQueueMessage", () => {
  it("records a valid message as Queued and starts the link's worker", async () => {
    const ledger = new InMemoryLedger();
    const { s, calls } = scheduler();
    const result = await handle(ledger, s, message);
    expect(result).toMatchObject({
      kind: "accepted",
      requestId: "r1",
      recorded: "created",
      worker: "started",
    });
    expect((await ledger.getRequest("r1"))?.status).toBe("Queued");
    expect(calls).toEqual([expect.stringMatching(/^start linkWorker-demo-demo-link-/)]);
  });

  it("nudges a running worker once until it claims: later requests are coalesced into that nudge", async () => {
    const ledger = new InMemoryLedger();
    const { s, calls } = scheduler("Running");
    const second = { ...message, requestId: "r2" };
    const third = { ...message, requestId: "r3" };
    expect(await handle(ledger, s, message)).toMatchObject({ worker: "nudged" });
    expect(await handle(ledger, s, second)).toMatchObject({ worker: "alreadyNudged" });
    await ledger.clearNudge({ workspace: message.workspace, linkConnection: message.linkConnection });
    expect(await handle(ledger, s, third)).toMatchObject({ worker: "nudged" });
    expect(calls).toEqual(["raise requestQueued", "raise requestQueued"]);
  });

  it("accepts the message as a JSON string too and nudges a running worker", async () => {
    const ledger = new InMemoryLedger();
    const { s, calls } = scheduler("Running");
    const result = await handle(ledger, s, JSON.stringify(message));
    expect(result).toMatchObject({ kind: "accepted", worker: "nudged" });
    expect(calls).toEqual(["raise requestQueued"]);
  });

  it("records a redelivered message once", async () => {
    const ledger = new InMemoryLedger();
    const { s } = scheduler("Running");
    await handle(ledger, s, message);
    const again = await handle(ledger, s, message);
    expect(again).toMatchObject({ recorded: "exists" });
  });

  it("poisons an invalid message with the reason naming the field, and records why", async () => {
    const ledger = new InMemoryLedger();
    const { s, calls } = scheduler();
    const result = await handle(ledger, s, { ...message, action: "explode" }, "m2");
    expect(result).toMatchObject({ kind: "poison", reason: expect.stringMatching(/\/action/) });
    expect(ledger.rejected).toEqual([
      { messageId: "m2", reason: expect.stringMatching(/\/action/), body: expect.any(String) },
    ]);
    expect(calls).toEqual([]);
  });

  it("poisons a message that is not JSON", async () => {
    const ledger = new InMemoryLedger();
    const result = await handle(ledger, scheduler().s, "{{{", "m3");
    expect(result).toMatchObject({ kind: "poison", reason: "message is not JSON", body: "{{{" });
  });

  it("clears the detached mark when a readd is recorded", async () => {
    const ledger = new InMemoryLedger();
    const link = { workspace: "demo", linkConnection: "demo-link" };
    await ledger.setDetached(link, { schema: "dbo", name: "Orders" }, true);
    await handle(ledger, scheduler().s, { ...message, action: "reAdd" }, "m4");
    expect(await ledger.isDetached(link, { schema: "dbo", name: "Orders" })).toBe(false);
  });
});
