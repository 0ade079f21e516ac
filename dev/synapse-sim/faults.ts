// Fault injection: decides, per request, whether to delay it, answer it with an error status or drop the socket,
// and hands out per-table failures to the state machine. Counters live with each fault so "every Nth" and
// "times" are exact and visible in /_sim/state.
import { parseFault } from "./controlSchemas";
import type { SimFault } from "./publicTypes";
import { shortOperationName } from "./specDocument";
import type { TableFailure } from "./tableLifecycle";

interface FaultEntry {
  fault: SimFault;
  /** Requests (or table adds) that matched the fault. */
  matched: number;
  /** Times the fault was actually injected. */
  injected: number;
}

export type FaultAction = { kind: "status"; status: number; retryAfterSeconds?: number } | { kind: "reset" };

/** The error code an injected status answers with, in either server's error shape. */
export const FAULT_CODES: Readonly<Record<number, string>> = {
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  503: "ServiceUnavailable",
};

export interface FaultDecision {
  /** Real milliseconds to wait before handling the request. */
  latencyMs: number;
  action?: FaultAction;
}

export class FaultInjector {
  private entries: FaultEntry[] = [];

  add(fault: SimFault): void {
    this.entries.push({ fault: parseFault(fault), matched: 0, injected: 0 });
  }

  clear(): void {
    this.entries = [];
  }

  /** The faults with their counters, for /_sim/state. */
  describe(): (SimFault & { matched: number; injected: number })[] {
    return this.entries.map((e) => ({ ...e.fault, matched: e.matched, injected: e.injected }));
  }

  /** Called once per routed API request, before normal handling. */
  decide(operationId: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const entry of this.entries) {
      const { fault } = entry;
      if (fault.kind === "tableFailure" || !matchesOperation(fault.operations, operationId)) continue;
      entry.matched += 1;
      if (fault.kind === "latency") {
        decision.latencyMs += fault.ms;
        entry.injected += 1;
        continue;
      }
      // The first firing status / reset fault answers the request; later ones still count the match.
      if (decision.action || exhausted(fault.times, entry.injected)) continue;
      if (fault.kind === "status") {
        if (entry.matched % (fault.everyNth ?? 1) !== 0) continue;
        decision.action = {
          kind: "status",
          status: fault.status,
          ...(fault.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: fault.retryAfterSeconds }),
        };
      } else {
        decision.action = { kind: "reset" };
      }
      entry.injected += 1;
    }
    return decision;
  }

  /** Called when an add of schema.name is accepted: the failure the table will end in, if a fault says so. */
  takeTableFailure(schema: string, name: string): TableFailure | undefined {
    for (const entry of this.entries) {
      const { fault } = entry;
      if (fault.kind !== "tableFailure") continue;
      if (!sameName(fault.schema, schema) || !sameName(fault.name, name)) continue;
      entry.matched += 1;
      if (exhausted(fault.times, entry.injected)) continue;
      entry.injected += 1;
      return {
        code: fault.errorCode ?? "SimulatedTableFailure",
        message: fault.errorMessage ?? `Injected failure for source table [${schema}].[${name}].`,
      };
    }
    return undefined;
  }
}

function matchesOperation(operations: string[] | undefined, operationId: string): boolean {
  if (!operations || operations.length === 0) return true;
  const wanted = shortOperationName(operationId);
  return operations.some((op) => shortOperationName(op) === wanted);
}

function exhausted(times: number | undefined, injected: number): boolean {
  return times !== undefined && injected >= times;
}

// SQL Server identifiers compare case-insensitively under the default collation.
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
