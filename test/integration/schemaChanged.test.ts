import { InvocationContext, type LogLevel } from "@azure/functions";
import { startAzurite, type RunningAzurite } from "../../dev/azurite/startAzurite";
import { installFunctionsCoreStandIn, triggerBindingOf, type RegisteredFunction } from "../../dev/durable";
import { createEventGridHandler } from "../../dev/host/eventGridEndpoint";
import { serve } from "../../dev/http";
import { demoSeed, startSynapseSim, type SynapseSim } from "../../dev/synapse-sim";
import { onboardingQueueOutput } from "../../functions/onboardingQueueOutput";
import { getDependencies } from "../../shared/dependencies";
import { eventRequestId } from "../../shared/events/handleSchemaChange";
import { ONBOARDING_QUEUE, queueMessageSchema, type QueueMessage } from "../../shared/intake/queueMessage";
import { cloudEvent, eventGridEvent, SOURCE, tableData } from "../unit/events/schemaChangeEvents";
import { useAppSettings } from "../support/httpFunctions";
import { tableEntry } from "../support/onboardingTables";

// The stand-in must capture registrations before the function module calls app.eventGrid.
const registry = installFunctionsCoreStandIn();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the stand-in is installed
require("../../functions/schemaChanged");

const SIM_TOKEN = "schema-changed-test-token";
const WORKSPACE = "demo";
const ROUTING_RULES = [
  // dbo.Legacy is already Replicating in other-link (demo seed).
  { source: SOURCE, workspace: WORKSPACE, linkConnection: "other-link", include: ["dbo.Legacy"] },
  {
    source: SOURCE,
    workspace: WORKSPACE,
    linkConnection: "demo-link",
    include: ["dbo.*", "sales.*"],
    exclude: ["*.tmp_*"],
    target: { structure: "Heap" },
  },
];

let azurite: RunningAzurite;
let sim: SynapseSim;
let restoreSettings: () => void = () => undefined;

beforeAll(async () => {
  [azurite, sim] = await Promise.all([
    startAzurite(),
    startSynapseSim({ seed: demoSeed(), token: SIM_TOKEN }),
  ]);
  restoreSettings = useAppSettings({
    AzureWebJobsStorage: azurite.connectionString,
    LEDGER_TABLE_NAME: `schemaChanged${process.pid}`,
    SYNAPSE_WORKSPACES: `${WORKSPACE}=${sim.url}`,
    SYNAPSE_STATIC_TOKEN: SIM_TOKEN,
    ROUTING_RULES: JSON.stringify(ROUTING_RULES),
  });
});

afterAll(async () => {
  restoreSettings();
  await Promise.all([sim.close(), azurite.stop()]);
});

/** Cleanups of the running test, run after it. */
const afterThis: (() => void)[] = [];

afterEach(() => {
  sim.clearFaults();
  for (const cleanup of afterThis.splice(0)) cleanup();
});

function registration(): RegisteredFunction {
  const entry = registry.get("schemaChanged");
  if (!entry) throw new Error("schemaChanged was not registered");
  return entry;
}

function queueBinding() {
  const binding = Object.values(registration().metadata.bindings).find(
    (b) => b.type === "queue" && b.direction === "out",
  );
  if (!binding?.name) throw new Error("schemaChanged has no queue output binding");
  return binding;
}

interface Invocation {
  message: QueueMessage | undefined;
  logs: { level: LogLevel; text: string }[];
  warnings: string[];
}

/** Runs the registered handler as the Functions worker would: trigger value first, then the context. */
async function invoke(event: unknown): Promise<Invocation> {
  const { metadata, callback } = registration();
  const trigger = triggerBindingOf(metadata);
  const output = queueBinding();
  const logs: Invocation["logs"] = [];
  const context = new InvocationContext({
    functionName: "schemaChanged",
    invocationId: `inv-${Math.random().toString(16).slice(2)}`,
    options: {
      trigger: { type: trigger?.type ?? "eventGridTrigger", name: trigger?.name ?? "trigger" },
      extraInputs: [],
      extraOutputs: [{ type: output.type, name: output.name!, queueName: ONBOARDING_QUEUE }],
    },
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(" ") }),
  });
  await callback(event, context);
  const written = context.extraOutputs.get(output.name!) as QueueMessage | undefined;
  if (written !== undefined) queueMessageSchema.parse(written);
  return { message: written, logs, warnings: logs.filter((l) => l.level === "warning").map((l) => l.text) };
}

describe("schemaChanged: registration", () => {
  it("registers an Event Grid trigger with the onboarding queue as its output", () => {
    const { metadata } = registration();
    expect(triggerBindingOf(metadata)).toMatchObject({ type: "eventGridTrigger", direction: "in" });
    expect(queueBinding()).toMatchObject({
      type: "queue",
      direction: "out",
      queueName: "onboarding-requests",
      connection: "AzureWebJobsStorage",
    });
    // The same binding the HTTP triggers enqueue with (one definition of the queue output).
    expect(queueBinding().name).toBe(onboardingQueueOutput.name);
  });
});

describe("schemaChanged: events that ask for something", () => {
  it("turns a CloudEvents 'created' event into an add message", async () => {
    const { message, warnings } = await invoke(cloudEvent({ id: "ce-created", table: "Customers" }));
    expect(warnings).toEqual([]);
    expect(message).toMatchObject({
      v: 1,
      requestId: eventRequestId({ id: "ce-created", source: SOURCE }),
      action: "add",
      workspace: WORKSPACE,
      linkConnection: "demo-link",
      tables: [tableEntry("dbo", "Customers", { distribution: "RoundRobin", structure: "Heap" })],
      origin: { kind: "event", id: "ce-created" },
    });
    expect(Date.parse(message!.receivedAt)).not.toBeNaN();
  });

  it("turns an Event Grid schema 'created' event into an add message", async () => {
    const { message } = await invoke(
      eventGridEvent({ id: "eg-created", schema: "sales", table: "Invoices" }),
    );
    expect(message).toMatchObject({
      action: "add",
      linkConnection: "demo-link",
      tables: [{ schema: "sales", name: "Invoices" }],
      origin: { kind: "event", id: "eg-created" },
    });
  });

  it("turns a 'dropped' event for a linked table into a remove message, asking Synapse", async () => {
    const before = sim.callsTo("LinkConnection_ListLinkTables", "other-link").length;
    const { message, warnings } = await invoke(
      cloudEvent({ kind: "dropped", id: "ce-drop-linked", table: "Legacy" }),
    );
    expect(warnings).toEqual([]);
    expect(message).toMatchObject({
      action: "remove",
      linkConnection: "other-link",
      tables: [{ schema: "dbo", name: "Legacy" }],
    });
    expect(sim.callsTo("LinkConnection_ListLinkTables", "other-link")).toHaveLength(before + 1);
  });

  it("turns an 'altered' event for a detached table into a re-add message", async () => {
    const link = { workspace: WORKSPACE, linkConnection: "demo-link" };
    const table = { schema: "dbo", name: "Products" };
    await getDependencies().ledger.setDetached(link, table, true, new Date().toISOString());
    const { message, warnings } = await invoke(
      cloudEvent({ kind: "altered", id: "ce-alter-detached", table: "Products" }),
    );
    expect(warnings).toEqual([]);
    expect(message).toMatchObject({ action: "reAdd", linkConnection: "demo-link", tables: [table] });
  });

  it("gives a redelivered event (same id) the same request id", async () => {
    const first = await invoke(cloudEvent({ id: "ce-redelivered", table: "Orders" }));
    const again = await invoke(cloudEvent({ id: "ce-redelivered", table: "Orders" }));
    const other = await invoke(cloudEvent({ id: "ce-other", table: "Orders" }));
    expect(first.message?.requestId).toBeDefined();
    expect(again.message?.requestId).toBe(first.message?.requestId);
    expect(other.message?.requestId).not.toBe(first.message?.requestId);
  });
});

describe("schemaChanged: events that are logged and dropped", () => {
  it("writes nothing for a 'dropped' event of a table the link does not have", async () => {
    const { message, warnings } = await invoke(
      cloudEvent({ kind: "dropped", id: "ce-drop-unlinked", table: "Orders" }),
    );
    expect(message).toBeUndefined();
    expect(warnings).toEqual([
      "schemaChanged: event ce-drop-unlinked dropped: table dbo.Orders was dropped but is not linked in demo/demo-link",
    ]);
  });

  it("writes nothing for an 'altered' event of a table that is not detached", async () => {
    const { message, warnings } = await invoke(
      cloudEvent({ kind: "altered", id: "ce-alter-linked", table: "Customers" }),
    );
    expect(message).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/table dbo\.Customers was altered but is not detached from demo\/demo-link/);
  });

  it("logs an unrouted event as a warning and does not throw", async () => {
    const excluded = await invoke(cloudEvent({ id: "ce-tmp", table: "tmp_Load" }));
    const otherDatabase = await invoke({
      ...cloudEvent({ id: "ce-hr" }),
      source: "/sql/servers/contoso-sql/databases/hr",
      data: { ...tableData(), database: "hr" },
    });
    expect(excluded.message).toBeUndefined();
    expect(excluded.warnings).toEqual([
      `schemaChanged: event ce-tmp dropped: not routed: no ROUTING_RULES entry matches source ${SOURCE} and table dbo.tmp_Load`,
    ]);
    expect(otherDatabase.message).toBeUndefined();
    expect(otherDatabase.warnings[0]).toMatch(/not routed: .*\/sql\/servers\/contoso-sql\/databases\/hr/);
  });

  const { data: _noData, ...withoutData } = cloudEvent({ id: "bad-no-data" });
  const malformed: [string, unknown, RegExp][] = [
    ["not an object", "dbo.Orders was created", /the event must be a JSON object, got a string/],
    ["null", null, /the event must be a JSON object, got null/],
    [
      "wrong specversion",
      { ...cloudEvent({ id: "bad-spec" }), specversion: "0.3" },
      /not in the Cloud Event 1\.0/,
    ],
    ["missing data", withoutData, /data is missing/],
    [
      "wrong subject",
      { ...cloudEvent({ id: "bad-subject" }), subject: "/schemas/dbo/tables/Other" },
      /subject/,
    ],
    ["129-character table", cloudEvent({ id: "bad-long", table: "T".repeat(129) }), /at most 128 characters/],
    ["control characters", cloudEvent({ id: "bad-ctl", table: "Ord\u0007ers" }), /control characters/],
    ["unknown type", { ...cloudEvent({ id: "bad-type" }), type: "com.contoso.sql.index.created" }, /type/],
  ];
  it.each(malformed)(
    "writes nothing and does not throw for a malformed event: %s",
    async (_name, event, reason) => {
      const { message, warnings } = await invoke(event);
      expect(message).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^schemaChanged: event .* dropped: malformed event: /);
      expect(warnings[0]).toMatch(reason);
    },
  );
});

describe("schemaChanged: one Event Grid delivery of many events", () => {
  /** Delivers `events` in one POST to the dev host's Event Grid webhook, which runs the trigger once per event. */
  async function deliver(events: unknown[]): Promise<{ status: number; messages: QueueMessage[] }> {
    const messages: QueueMessage[] = [];
    const handler = createEventGridHandler({
      findFunction: (name) => (name === "schemaChanged" ? registration() : undefined),
      invoke: async (_registered, event) => {
        const { message } = await invoke(event);
        if (message) messages.push(message);
      },
    });
    const server = await serve((req, res) => {
      void handler(req, res);
    });
    try {
      const response = await fetch(`${server.origin}/runtime/webhooks/eventgrid?functionName=schemaChanged`, {
        method: "POST",
        headers: { "content-type": "application/json", "aeg-event-type": "Notification" },
        body: JSON.stringify(events),
      });
      return { status: response.status, messages };
    } finally {
      await server.close();
    }
  }

  it("reads a link's tables once for a delivery of many 'dropped' events of that link", async () => {
    const restore = useAppSettings({}); // a freshly started app: nothing read yet
    try {
      const before = sim.callsTo("LinkConnection_ListLinkTables", "demo-link").length;
      const tables = [
        "Customers",
        "Orders",
        "Products",
        "Suppliers",
        "Shippers",
        "Regions",
        "Notes",
        "Audit",
      ];
      const events = tables.map((table, i) => cloudEvent({ kind: "dropped", id: `ce-batch-${i}`, table }));
      const { status } = await deliver(events);
      expect(status).toBe(200);
      expect(sim.callsTo("LinkConnection_ListLinkTables", "demo-link")).toHaveLength(before + 1);

      // Back to back (the next delivery a moment later) shares it too.
      await deliver([cloudEvent({ kind: "dropped", id: "ce-batch-next", table: "Orders" })]);
      expect(sim.callsTo("LinkConnection_ListLinkTables", "demo-link")).toHaveLength(before + 1);
    } finally {
      restore();
    }
  });

  it("still decides each event on its own from the one read", async () => {
    const restore = useAppSettings({});
    try {
      const { status, messages } = await deliver([
        cloudEvent({ kind: "dropped", id: "ce-mixed-linked", table: "Legacy" }),
        cloudEvent({ kind: "dropped", id: "ce-mixed-unlinked", table: "Orders" }),
      ]);
      expect(status).toBe(200);
      // dbo.Legacy is linked in other-link (demo seed); dbo.Orders is routed to demo-link and not linked there.
      expect(messages.map((m) => [m.action, m.linkConnection, m.tables[0]?.name])).toEqual([
        ["remove", "other-link", "Legacy"],
      ]);
    } finally {
      restore();
    }
  });
});

describe("schemaChanged: infrastructure faults", () => {
  it("throws when Synapse keeps failing, so that Event Grid redelivers the event", async () => {
    // A fresh app: a read of other-link's tables answered moments ago by an earlier test would be shared.
    const restore = useAppSettings({});
    afterThis.push(restore);
    sim.addFault({
      kind: "status",
      status: 503,
      retryAfterSeconds: 0,
      operations: ["LinkConnection_ListLinkTables"],
    });
    await expect(
      invoke(cloudEvent({ kind: "dropped", id: "ce-drop-503", table: "Legacy" })),
    ).rejects.toThrow();
  });
});
