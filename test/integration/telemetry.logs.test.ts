import { format } from "node:util";
import {
  HttpRequest,
  InvocationContext,
  LogHookContext,
  PreInvocationContext,
  type FunctionHandler,
  type LogLevel,
} from "@azure/functions";
import { logs } from "@opentelemetry/api-logs";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import { installFunctionsCoreStandIn } from "../../dev/durable";
import { getDependencies, useDependencies } from "../../shared/dependencies";
import { linkWorkerInstanceId } from "../../shared/domain/linkRef";
import { useLinkWorkerHarness } from "../support/linkWorkerHarness";
import { enrichInvocation, recordLog } from "../../functions/invocationLogger";

/*
 * Every line the app writes, as the Node worker delivers it: the pre-invocation hook wraps the
 * handler, `context.log` goes through the log hook, and the log hook emits a record through the
 * OpenTelemetry logs API — here into a real SDK logger provider with an in-memory exporter. (The
 * dev host does not run invocation or log hooks, so this file runs them as the worker does.)
 */
const exporter = new InMemoryLogRecordExporter();
const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });

const registry = installFunctionsCoreStandIn();
const start = useLinkWorkerHarness();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stand-in (the harness installs it)
require("../../functions/onboardingHttp");

/** The worker's invocation: a context whose log handler runs the log hook, and the pre-invocation hook. */
function throughHooks(
  name: string,
  handler: FunctionHandler,
  trigger: unknown,
  options?: InvocationContext["options"],
) {
  const context: InvocationContext = new InvocationContext({
    functionName: name,
    ...(options ? { options } : {}),
    logHandler: (level: LogLevel, ...args: unknown[]) => {
      recordLog(
        new LogHookContext({ level, category: "user", message: format(...args), invocationContext: context }),
      );
    },
  });
  const hook = new PreInvocationContext({
    inputs: [trigger],
    invocationContext: context,
    functionCallback: handler,
  });
  enrichInvocation(hook);
  return { context, result: hook.functionHandler(trigger, context) as unknown };
}

for (const [name, fn] of registry) {
  if (!name.startsWith("linkWorker_")) continue;
  const callback = fn.callback;
  fn.callback = (trigger, context) => throughHooks(name, callback, trigger, context.options).result;
}

beforeAll(() => {
  logs.setGlobalLoggerProvider(provider);
});
afterAll(async () => {
  logs.disable();
  await provider.shutdown();
});
beforeEach(() => {
  exporter.reset();
});

const records = (): ReadableLogRecord[] => exporter.getFinishedLogRecords();
const body = (r: ReadableLogRecord): string => (typeof r.body === "string" ? r.body : "");

describe("structured logs", () => {
  it("a worker activity's lines carry workspace, link, instance id and, per table, the table and its request", async () => {
    const h = await start();
    const id = await h.submit(["dbo.Customers"]);
    await h.driver.run();
    expect((await h.request(id)).status).toBe("Succeeded");

    const link = { workspace: "demo", linkConnection: "demo-link" };
    const lines = records();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.attributes).toMatchObject({ ...link, instanceId: linkWorkerInstanceId(link) });
    }
    const replicating = lines.find((r) => body(r).startsWith("table dbo.Customers Replicating"));
    expect(replicating?.attributes).toMatchObject({ table: "dbo.Customers", requestId: id });
    const completed = lines.find((r) => body(r).startsWith(`request ${id} Succeeded`));
    expect(completed?.attributes).toMatchObject({ requestId: id });
    expect(completed?.severityText).toBe("information");
  });

  it("an accepted onboarding request's intake line carries the request id, workspace, link and worker instance", async () => {
    await start();
    const deps = getDependencies();
    useDependencies({
      ...deps,
      config: {
        ...deps.config,
        intake: {
          ...deps.config.intake,
          routing: { rules: [], allowedLinks: [{ workspace: "demo", linkConnection: "demo-link" }] },
        },
      },
    });
    const onboardingHttp = registry.get("onboardingHttp");
    if (!onboardingHttp) throw new Error("onboardingHttp is not registered");
    const request = new HttpRequest({
      method: "POST",
      url: "http://127.0.0.1:7071/api/onboarding",
      headers: { "content-type": "application/json" },
      body: {
        string: JSON.stringify({ linkConnection: "demo-link", tables: [{ schema: "dbo", name: "Orders" }] }),
      },
    });
    const { result } = throughHooks("onboardingHttp", onboardingHttp.callback, request);
    const response = (await result) as { status?: number; jsonBody?: { requestId?: string } };
    expect(response.status).toBe(202);
    const requestId = response.jsonBody?.requestId;
    expect(requestId).toEqual(expect.any(String));

    const queued = records().find((r) => body(r).startsWith(`queued request ${requestId ?? ""}`));
    expect(queued?.attributes).toEqual({
      requestId,
      workspace: "demo",
      linkConnection: "demo-link",
      instanceId: linkWorkerInstanceId({ workspace: "demo", linkConnection: "demo-link" }),
      table: "dbo.Orders",
    });
  });

  it("a refused request's line carries only what is known: no invented ids", async () => {
    await start();
    const onboardingHttp = registry.get("onboardingHttp");
    if (!onboardingHttp) throw new Error("onboardingHttp is not registered");
    const request = new HttpRequest({
      method: "POST",
      url: "http://127.0.0.1:7071/api/onboarding",
      headers: { "content-type": "application/json" },
      body: { string: "{" },
    });
    await throughHooks("onboardingHttp", onboardingHttp.callback, request).result;
    const refused = records().find((r) => body(r).startsWith("onboarding request refused"));
    expect(refused?.attributes).toEqual({});
  });
});
