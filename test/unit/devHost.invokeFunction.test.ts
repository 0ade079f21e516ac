import { HttpRequest, InvocationContext, app, input, output } from "@azure/functions";
import * as df from "durable-functions";
import { installFunctionsCoreStandIn, type RegisteredFunction } from "../../dev/durable";
import {
  INSTANCE_ID_PLACEHOLDER,
  buildDurableClientData,
  effectiveOptionsOf,
  invokeFunction,
  type DurableClientData,
} from "../../dev/host";

const registry = installFunctionsCoreStandIn();

const blobIn = input.storageBlob({ path: "config/{queueTrigger}.json", connection: "AzureWebJobsStorage" });
const auditOut = output.storageQueue({ queueName: "audit", connection: "AzureWebJobsStorage" });
const unusedOut = output.storageQueue({ queueName: "unused", connection: "AzureWebJobsStorage" });

app.storageQueue("invokeQueue", {
  queueName: "work",
  connection: "AzureWebJobsStorage",
  extraInputs: [blobIn],
  extraOutputs: [auditOut, unusedOut],
  handler: (message: unknown, context) => {
    context.log("handling", message);
    context.extraOutputs.set(auditOut, { message, config: context.extraInputs.get(blobIn) });
    context.extraOutputs.set(unusedOut, null);
    return {
      functionName: context.functionName,
      invocationId: context.invocationId,
      metadata: context.triggerMetadata,
    };
  },
});

df.app.client.http("invokeClient", {
  handler: (request, client) => {
    const payload = client.createHttpManagementPayload("inst-1");
    return { jsonBody: { payload, url: request.url } };
  },
});

app.http("invokeHttpMetadata", {
  handler: (_request, context) => ({ jsonBody: { metadata: context.triggerMetadata ?? null } }),
});

function fn(name: string): RegisteredFunction {
  return registry.get(name)!;
}

const clientData: DurableClientData = buildDurableClientData({
  rpcBaseUrl: "http://127.0.0.1:9999/runtime/webhooks/durabletask",
  origin: "http://127.0.0.1:9999",
});

describe("invokeFunction", () => {
  it("builds context.options from the registration like the worker's fromRpcBindings", () => {
    const options = effectiveOptionsOf(fn("invokeClient").metadata);
    expect(options.trigger).toMatchObject({ type: "httpTrigger" });
    expect(options.return).toMatchObject({ type: "http", name: "$return" });
    expect(options.extraInputs.map((i) => i.type)).toEqual(["durableClient"]);
    expect(options.extraOutputs).toEqual([]);

    const queue = effectiveOptionsOf(fn("invokeQueue").metadata);
    expect(queue.trigger).toMatchObject({ type: "queueTrigger", queueName: "work" });
    expect(queue.extraInputs.map((i) => i.name)).toEqual([blobIn.name]);
    expect(queue.extraOutputs.map((o) => o.name)).toEqual([auditOut.name, unusedOut.name]);
  });

  it("passes trigger input, trigger metadata, extra inputs and collects non-null extra outputs by binding name", async () => {
    const logs: unknown[][] = [];
    const { result, outputs, context } = await invokeFunction(
      fn("invokeQueue"),
      { table: "dbo.T" },
      {
        triggerMetadata: { dequeueCount: 3, id: "msg-1" },
        extraInputs: { [blobIn.name]: { retries: 2 } },
        invocationId: "inv-1",
        logHandler: (level, ...args) => logs.push([level, ...args]),
      },
    );
    expect(result).toEqual({
      functionName: "invokeQueue",
      invocationId: "inv-1",
      metadata: { dequeueCount: 3, id: "msg-1" },
    });
    expect(outputs).toEqual(
      new Map([[auditOut.name, { message: { table: "dbo.T" }, config: { retries: 2 } }]]),
    );
    expect(context).toBeInstanceOf(InvocationContext);
    expect(logs).toEqual([["information", "handling", { table: "dbo.T" }]]);
  });

  it("drops trigger metadata for http triggers, like the worker", async () => {
    const request = new HttpRequest({ method: "GET", url: "http://localhost:7071/api/invokeHttpMetadata" });
    const { result } = await invokeFunction(fn("invokeHttpMetadata"), request, {
      triggerMetadata: { dequeueCount: 1 },
    });
    expect(result).toEqual({ jsonBody: { metadata: null } });
  });

  it("sets the durable client data so df.getClient works inside the handler", async () => {
    const request = new HttpRequest({ method: "GET", url: "http://example.test:8080/api/invokeClient" });
    const { result } = await invokeFunction(fn("invokeClient"), request, { durableClientData: clientData });
    const { payload } = (result as { jsonBody: { payload: Record<string, string> } }).jsonBody;
    expect(payload.id).toBe("inst-1");
    // createHttpManagementPayload keeps the template origin (getClient rewrote it to localhost:7071,
    // docs/durable-protocol.md §10.1).
    expect(payload.statusQueryGetUri).toBe(
      "http://localhost:7071/runtime/webhooks/durabletask/instances/inst-1?taskHub=TestHubName&connection=Storage",
    );
    expect(payload.terminatePostUri).toContain("/instances/inst-1/terminate?reason={text}&taskHub=");
  });

  it("refuses to invoke a durable client function without durable client data", async () => {
    const request = new HttpRequest({ method: "GET", url: "http://localhost:7071/api/invokeClient" });
    await expect(invokeFunction(fn("invokeClient"), request)).rejects.toThrow(/pass durableClientData/);
  });
});

describe("buildDurableClientData", () => {
  it("produces the extension's shape, with rpcBaseUrl ending in '/' and the id placeholder", () => {
    expect(clientData.rpcBaseUrl).toBe("http://127.0.0.1:9999/runtime/webhooks/durabletask/");
    expect(clientData.taskHubName).toBe("TestHubName");
    expect(clientData.baseUrl).toBe("http://127.0.0.1:9999/runtime/webhooks/durabletask");
    expect(clientData.managementUrls.id).toBe(INSTANCE_ID_PLACEHOLDER);
    expect(clientData.managementUrls.sendEventPostUri).toBe(
      `http://127.0.0.1:9999/runtime/webhooks/durabletask/instances/${INSTANCE_ID_PLACEHOLDER}/raiseEvent/{eventName}` +
        "?taskHub=TestHubName&connection=Storage",
    );
    expect(clientData.creationUrls.createNewInstancePostUri).toBe(
      "http://127.0.0.1:9999/runtime/webhooks/durabletask/orchestrators/{functionName}[/{instanceId}]",
    );
    expect(clientData.requiredQueryStringParameters).toBe("");
  });

  it("adds code=<systemKey> and a custom hub / connection to every template", () => {
    const data = buildDurableClientData({
      rpcBaseUrl: "http://h/x/",
      origin: "http://h",
      taskHubName: "Hub1",
      connectionName: "Conn",
      systemKey: "k=1",
    });
    expect(data.requiredQueryStringParameters).toBe("code=k%3D1");
    expect(data.managementUrls.statusQueryGetUri).toBe(
      `http://h/runtime/webhooks/durabletask/instances/${INSTANCE_ID_PLACEHOLDER}?taskHub=Hub1&connection=Conn&code=k%3D1`,
    );
    expect(data.creationUrls.createNewInstancePostUri.endsWith("?code=k%3D1")).toBe(true);
  });

  it("is accepted by df.getClient on a context built the documented way", () => {
    const clientInput = df.input.durableClient();
    const context = new InvocationContext({ options: { extraInputs: [clientInput] } });
    context.extraInputs.set(clientInput, clientData);
    const client = df.getClient(context);
    expect(client.taskHubName).toBe("TestHubName");
  });
});
