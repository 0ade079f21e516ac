/*
 * The per-request script people write today, as bench/synapseCallsPerTable.ts models it: each request is its own
 * edittables call, then a querytablestatus every 30 s until its tables are Replicating. Here many such scripts run
 * at once (one per request, each starting when its request arrives), against their own simulator on a virtual
 * clock, as a discrete-event loop: the calls happen in time order, one at a time.
 */
import { startSynapseSim, type SimSeed } from "../../dev/synapse-sim";
import { resolveTarget } from "../../shared/domain/tableTarget";
import { ArtifactsSynapseLinkClient } from "../../shared/synapse/artifactsSynapseLinkClient";

export const SCRIPT_POLL_MS = 30_000;
/** A script gives up after this many polls (the sim's default timings need 6). */
const MAX_POLLS = 200;

export interface ScriptRequest {
  /** Virtual ms after the start. */
  at: number;
  linkConnection: string;
  tables: { schema: string; name: string }[];
}

export interface ScriptResult {
  calls: number;
  byOperation: Record<string, number>;
  /** Requests whose tables did not all reach Replicating within MAX_POLLS polls. */
  unfinished: number;
}

interface Step {
  at: number;
  seq: number;
  request: number;
  kind: "edit" | "poll";
  polls: number;
}

export async function runPerRequestScripts(
  seed: SimSeed,
  requests: ScriptRequest[],
  startTime: number,
  workspace = "demo",
): Promise<ScriptResult> {
  let now = startTime;
  const sim = await startSynapseSim({ seed, token: "t", clock: () => now });
  try {
    const client = new ArtifactsSynapseLinkClient({
      workspaces: [{ name: workspace, endpoint: sim.url }],
      auth: { kind: "staticToken", token: "t" },
      apiVersion: "2023-04-18-preview",
    });
    const ids = requests.map((r, i) =>
      r.tables.map((_, j) => `00000000-0000-4000-8000-${String(i * 1000 + j).padStart(12, "0")}`),
    );
    let seq = 0;
    const queue: Step[] = requests.map((r, i) => ({
      at: startTime + r.at,
      seq: seq++,
      request: i,
      kind: "edit",
      polls: 0,
    }));
    let unfinished = 0;
    // Bounded: each request makes one edit and at most MAX_POLLS polls.
    while (queue.length > 0) {
      queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const step = queue.shift();
      if (!step) break;
      now = Math.max(now, step.at);
      const request = requests[step.request];
      const tableIds = ids[step.request];
      if (!request || !tableIds) continue;
      const link = { workspace, linkConnection: request.linkConnection };
      if (step.kind === "edit") {
        await client.editTables(
          link,
          request.tables.map((source, j) => ({
            operation: "add" as const,
            id: tableIds[j] ?? "",
            source,
            target: resolveTarget(source, undefined),
          })),
        );
      } else {
        const states = await client.queryTableStatus(link);
        const done = tableIds.every((id) => states.find((s) => s.id === id)?.status === "Replicating");
        if (done) continue;
        if (step.polls >= MAX_POLLS) {
          unfinished++;
          continue;
        }
      }
      queue.push({
        at: now + SCRIPT_POLL_MS,
        seq: seq++,
        request: step.request,
        kind: "poll",
        polls: step.polls + 1,
      });
    }
    const byOperation: Record<string, number> = {};
    for (const call of sim.calls) byOperation[call.operationId] = (byOperation[call.operationId] ?? 0) + 1;
    return { calls: sim.calls.length, byOperation, unfinished };
  } finally {
    await sim.close();
  }
}
