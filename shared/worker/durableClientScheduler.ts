import type { LinkWorkerInput } from "./linkWorkerInput";
import {
  LINK_WORKER_ORCHESTRATION,
  type WorkerInstance,
  type WorkerInstances,
  type WorkerRuntimeStatus,
  type WorkerScheduler,
} from "./ensureLinkWorker";

/** The slice of durable-functions' DurableClient the scheduler uses (kept structural: no SDK types here). */
export interface DurableClientLike {
  getStatus(instanceId: string): Promise<{ runtimeStatus: string; lastUpdatedTime?: Date | string }>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
}

/**
 * durable-functions 3 throws on 404 instead of returning undefined (durable-js #251), with "…
 * replied with HTTP 404 response" (DurableClient.getStatus). Only that wording: another failure's
 * message quotes the response, whose instance id may hold "404" in its hex.
 */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && /\bHTTP 404\b/.test(error.message);
}

export function durableClientScheduler(client: DurableClientLike): WorkerScheduler & WorkerInstances {
  const getInstance = async (instanceId: string): Promise<WorkerInstance | undefined> => {
    try {
      const status = await client.getStatus(instanceId);
      const updated = status.lastUpdatedTime;
      return {
        runtimeStatus: status.runtimeStatus as WorkerRuntimeStatus,
        lastUpdatedTime: updated instanceof Date ? updated.toISOString() : (updated ?? ""),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  return {
    getInstance,
    async getRuntimeStatus(instanceId) {
      return (await getInstance(instanceId))?.runtimeStatus;
    },
    async start(instanceId, input: LinkWorkerInput) {
      await client.startNew(LINK_WORKER_ORCHESTRATION, { instanceId, input });
    },
    async raiseEvent(instanceId, eventName, data) {
      await client.raiseEvent(instanceId, eventName, data);
    },
  };
}
