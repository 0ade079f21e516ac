import { handleQueueMessage } from "../../../shared/intake/handleQueueMessage";
import type { WorkerScheduler } from "../../../shared/worker/ensureLinkWorker";
import { InMemoryLedger } from "../../support/inMemoryLedger";
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
  v: 1,
  requestId: "r1",
  action: "add",
  workspace: "demo",
  linkConnection: "demo-link",
  tables: [
    {
      schema: "dbo",
      name: "Orders",
      target: {
        schema: "dbo",
        name: "Orders",
        distribution: "RoundRobin",
        structure: "ClusteredColumnstoreIndex",
      },
    },
  ],
  origin: { kind: "http", id: "r1" },
  receivedAt: NOW,
};

describe("handleQueueMessage", () => {
  it("records a valid message as Queued and starts the link's worker", async () => {
    const ledger = new InMemoryLedger();
    const { s, calls } = scheduler();
    const result = await handleQueueMessage(
      { ledger, scheduler: s, settings: defaultSettings },
      message,
      { messageId: "m1" },
      NOW,
    );
    expect(result).toMatchObject({
      kind: "accepted",
      requestId: "r1",
      recorded: "created",
      worker: "started",
    });
    expect((await ledger.getRequest("r1"))?.status).toBe("Queued");
    expect(calls).toEqual([expect.stringMatching(/^start linkWorker-demo-demo-link-/)]);
  });

  it("accepts the message as a JSON string too and nudges a running worker", async () => {
    const ledger = new InMemoryLedger();
    const { s, calls } = scheduler("Running");
    const result = await handleQueueMessage(
      { ledger, scheduler: s, settings: defaultSettings },
      JSON.stringify(message),
      { messageId: "m1" },
      NOW,
    );
    expect(result).toMatchObject({ kind: "accepted", worker: "nudged" });
    expect(calls).toEqual(["raise requestQueued"]);
  });

  it("records a redelivered message once", async () => {
    const ledger = new InMemoryLedger();
    const { s } = scheduler("Running");
    await handleQueueMessage(
      { ledger, scheduler: s, settings: defaultSettings },
      message,
      { messageId: "m1" },
      NOW,
    );
    const again = await handleQueueMessage(
      { ledger, scheduler: s, settings: defaultSettings },
      message,
      { messageId: "m1" },
      NOW,
    );
    expect(again).toMatchObject({ recorded: "exists" });
  });

  it("poisons an invalid message with the reason naming the field, and records why", async () => {
    const ledger = new InMemoryLedger();
    const { s, calls } = scheduler();
    const result = await handleQueueMessage(
      { ledger, scheduler: s, settings: defaultSettings },
      { ...message, action: "explode" },
      { messageId: "m2" },
      NOW,
    );
    expect(result).toMatchObject({ kind: "poison", reason: expect.stringMatching(/\/action/) });
    expect(ledger.rejected).toEqual([
      { messageId: "m2", reason: expect.stringMatching(/\/action/), body: expect.any(String) },
    ]);
    expect(calls).toEqual([]);
  });

  it("poisons a message that is not JSON", async () => {
    const ledger = new InMemoryLedger();
    const result = await handleQueueMessage(
      { ledger, scheduler: scheduler().s, settings: defaultSettings },
      "{{{",
      { messageId: "m3" },
      NOW,
    );
    expect(result).toMatchObject({ kind: "poison", reason: "message is not JSON", body: "{{{" });
  });

  it("clears the detached mark when a readd is recorded", async () => {
    const ledger = new InMemoryLedger();
    const link = { workspace: "demo", linkConnection: "demo-link" };
    await ledger.setDetached(link, { schema: "dbo", name: "Orders" }, true);
    await handleQueueMessage(
      { ledger, scheduler: scheduler().s, settings: defaultSettings },
      { ...message, action: "reAdd" },
      { messageId: "m4" },
      NOW,
    );
    expect(await ledger.isDetached(link, { schema: "dbo", name: "Orders" })).toBe(false);
  });
});
