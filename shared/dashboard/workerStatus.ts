import { z } from "zod";
import { WORKER_PHASES } from "../worker/linkWorkerInput";
import type { WorkerRuntimeStatus, WorkerScheduler } from "../worker/ensureLinkWorker";
import { isNotFound } from "../worker/durableClientScheduler";

/** What the dashboard shows of a worker's durable custom status (`functions/linkWorker.ts` writes it). */
export interface WorkerPhase {
  phase: (typeof WORKER_PHASES)[number];
  detail?: string;
  nextPollAt?: string;
  retryAt?: string;
}

export interface WorkerStatus {
  runtimeStatus: WorkerRuntimeStatus;
  phase?: WorkerPhase;
}

/** Reads one instance's status; undefined when there is no such instance. */
export type WorkerStatusReader = (instanceId: string) => Promise<WorkerStatus | undefined>;

/** The slice of durable-functions' DurableClient this reads (kept structural: no SDK types here). */
export interface DurableStatusClient {
  getStatus(instanceId: string): Promise<{ runtimeStatus: string; customStatus?: unknown }>;
}

// Lenient on purpose: a status written by an older worker version must not break the page.
const customStatusSchema = z.object({
  phase: z.enum(WORKER_PHASES),
  detail: z.string().optional(),
  nextPollAt: z.string().optional(),
  retryAt: z.string().optional(),
});

export function parseWorkerPhase(customStatus: unknown): WorkerPhase | undefined {
  const parsed = customStatusSchema.safeParse(customStatus);
  if (!parsed.success) return undefined;
  const { phase, detail, nextPollAt, retryAt } = parsed.data;
  return {
    phase,
    ...(detail !== undefined ? { detail } : {}),
    ...(nextPollAt !== undefined ? { nextPollAt } : {}),
    ...(retryAt !== undefined ? { retryAt } : {}),
  };
}

/** durable-functions 3 throws on 404 instead of returning undefined (durable-js #251). */
export function durableWorkerStatusReader(client: DurableStatusClient): WorkerStatusReader {
  return async (instanceId) => {
    try {
      const status = await client.getStatus(instanceId);
      const phase = parseWorkerPhase(status.customStatus);
      return { runtimeStatus: status.runtimeStatus as WorkerRuntimeStatus, ...(phase ? { phase } : {}) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
}

/** A scheduler view over the same read, so one status call serves the runtime status and the phase. */
export function runtimeStatusOnly(
  status: WorkerStatus | undefined,
): Pick<WorkerScheduler, "getRuntimeStatus"> {
  return { getRuntimeStatus: () => Promise.resolve(status?.runtimeStatus) };
}
