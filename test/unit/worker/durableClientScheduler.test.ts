import { durableClientScheduler } from "../../../shared/worker/durableClientScheduler";
import { ensureLinkWorker } from "../../../shared/worker/ensureLinkWorker";
import { LINK_WORKER_REVISION } from "../../../shared/worker/linkWorkerInput";
import { defaultSettings } from "./workerTestKit";

const link = { workspace: "demo", linkConnection: "demo-link" };

describe("durableClientScheduler + ensureLinkWorker", () => {
  it("treats the client's 404 as 'no instance' and starts the worker", async () => {
    const started: string[] = [];
    const scheduler = durableClientScheduler({
      getStatus: () =>
        Promise.reject(
          new Error("DurableClient error: Durable Functions extension replied with HTTP 404 response."),
        ),
      startNew: (_name, { instanceId }) => {
        started.push(instanceId);
        return Promise.resolve(instanceId);
      },
      raiseEvent: () => Promise.resolve(),
    });
    expect(await ensureLinkWorker(scheduler, link, defaultSettings)).toBe("started");
    expect(started).toHaveLength(1);
  });

  it("passes on a server error whose details quote an instance id with 404 in it, starting nothing", async () => {
    const started: string[] = [];
    const scheduler = durableClientScheduler({
      getStatus: () =>
        Promise.reject(
          new Error(
            'The operation failed with an unexpected status code: 500. Details: {"instanceId":"linkWorker-demo-demo-link-a404b1c2d3e4"}',
          ),
        ),
      startNew: (_name, { instanceId }) => {
        started.push(instanceId);
        return Promise.resolve(instanceId);
      },
      raiseEvent: () => Promise.resolve(),
    });
    await expect(scheduler.getInstance("linkWorker-demo-demo-link-a404b1c2d3e4")).rejects.toThrow(
      /status code: 500/,
    );
    expect(started).toEqual([]);
  });

  it("starts the worker with the link alone, never the request's tables or callback URL", async () => {
    const inputs: unknown[] = [];
    const scheduler = durableClientScheduler({
      getStatus: () => Promise.reject(new Error("HTTP 404")),
      startNew: (_name, { instanceId, input }) => {
        inputs.push(input);
        return Promise.resolve(instanceId);
      },
      raiseEvent: () => Promise.resolve(),
    });
    const request = {
      ...link,
      requestId: "r1",
      tables: [{ schema: "dbo", name: "A" }],
      callbackUrl: "https://x/?token=secret",
    };
    await ensureLinkWorker(scheduler, request, defaultSettings);
    expect(inputs).toEqual([
      { link, settings: defaultSettings, execution: 1, revision: LINK_WORKER_REVISION },
    ]);
  });

  it("nudges instead when a concurrent start won the race", async () => {
    let status: string | undefined;
    const raised: string[] = [];
    const scheduler = durableClientScheduler({
      getStatus: () =>
        status ? Promise.resolve({ runtimeStatus: status }) : Promise.reject(new Error("HTTP 404")),
      startNew: () => {
        status = "Running"; // the other caller's instance is now running
        return Promise.reject(new Error("An instance with ID x already exists."));
      },
      raiseEvent: (_id, name) => {
        raised.push(name);
        return Promise.resolve();
      },
    });
    expect(await ensureLinkWorker(scheduler, link, defaultSettings)).toBe("nudged");
    expect(raised).toEqual(["requestQueued"]);
  });

  it("restarts a worker that completed", async () => {
    const scheduler = durableClientScheduler({
      getStatus: () => Promise.resolve({ runtimeStatus: "Completed" }),
      startNew: (_n, { instanceId }) => Promise.resolve(instanceId),
      raiseEvent: () => Promise.reject(new Error("must not raise on a completed instance")),
    });
    expect(await ensureLinkWorker(scheduler, link, defaultSettings)).toBe("started");
  });

  it("rethrows other client errors", async () => {
    const scheduler = durableClientScheduler({
      getStatus: () => Promise.reject(new Error("ECONNREFUSED")),
      startNew: () => Promise.reject(new Error("unused")),
      raiseEvent: () => Promise.resolve(),
    });
    await expect(ensureLinkWorker(scheduler, link, defaultSettings)).rejects.toThrow("ECONNREFUSED");
  });
});
