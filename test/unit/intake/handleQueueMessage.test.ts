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
  return handleQueueMessage(
    { ledger, scheduler: s, settings: defaultSettings, workspaces: ["demo"] },
    body,
    { messageId },
    NOW,
  );
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

  describe("never retried, never left behind (issue 9)", () => {
    const v2 = (
      requestId: string,
      tables: { schema: string; name: string }[],
      key?: string,
      fingerprint = "f1",
    ) => ({
      v: 2,
      requestId,
      action: "add",
      workspace: "demo",
      linkConnection: "demo-link",
      defaults: { distribution: "RoundRobin" },
      tables,
      origin: { kind: "http", id: requestId },
      receivedAt: NOW,
      ...(key ? { dedupe: { kind: "idempotency", key, fingerprint } } : {}),
    });

    it("records the same Idempotency-Key with another body as Rejected, naming the first request", async () => {
      const ledger = new InMemoryLedger();
      const { s, calls } = scheduler();
      expect(await handle(ledger, s, v2("first", [{ schema: "dbo", name: "A" }], "k-1", "f1"))).toMatchObject(
        {
          kind: "accepted",
        },
      );
      expect(await handle(ledger, s, v2("first", [{ schema: "dbo", name: "A" }], "k-1", "f1"))).toMatchObject(
        {
          kind: "accepted",
          recorded: "exists",
        },
      );
      const before = calls.length;
      const other = await handle(ledger, s, v2("second", [{ schema: "dbo", name: "B" }], "k-1", "f2"));
      expect(other).toMatchObject({
        kind: "rejected",
        reason: expect.stringMatching(/Idempotency-Key k-1.*first/),
      });
      expect(await ledger.getRequest("second")).toMatchObject({
        status: "Rejected",
        error: expect.stringMatching(/first used for a different request \(first\)/),
        tables: [{ name: "B", status: "Rejected" }],
      });
      expect(calls).toHaveLength(before);
    });

    it("records a message for a workspace that is not configured as Rejected instead of starting a worker", async () => {
      const ledger = new InMemoryLedger();
      const { s, calls } = scheduler();
      const result = await handle(ledger, s, {
        ...v2("w1", [{ schema: "dbo", name: "A" }]),
        workspace: "elsewhere",
      });
      expect(result).toMatchObject({
        kind: "rejected",
        reason: expect.stringMatching(/elsewhere is not configured/),
      });
      expect((await ledger.getRequest("w1"))?.status).toBe("Rejected");
      expect(calls).toEqual([]);
    });

    it("poisons a message naming one table twice in different case, with a record GET can show", async () => {
      const ledger = new InMemoryLedger();
      const twice = v2("dup", [
        { schema: "dbo", name: "Orders" },
        { schema: "DBO", name: "ORDERS" },
      ]);
      const result = await handle(ledger, scheduler().s, twice, "m9");
      expect(result).toMatchObject({ kind: "poison", reason: expect.stringMatching(/twice/) });
      expect(await ledger.getRequest("dup")).toMatchObject({
        status: "Rejected",
        error: expect.stringMatching(/twice/),
      });
    });

    it("poisons a message whose requestId has an unpaired surrogate, without throwing", async () => {
      const ledger = new InMemoryLedger();
      const result = await handle(
        ledger,
        scheduler().s,
        v2("bad\ud800id", [{ schema: "dbo", name: "A" }]),
        "m10",
      );
      expect(result).toMatchObject({ kind: "poison", reason: expect.stringMatching(/requestId/) });
      expect(ledger.rejected).toHaveLength(1);
    });
  });
});
