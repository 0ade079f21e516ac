/** Errors the replay driver throws from `startNew()` / `run()`. */

export interface NonDeterminismDetails {
  instanceId: string;
  orchestrationName: string;
  /** Index in the flattened action list (depth-first through WhenAll / WhenAny). */
  actionIndex: number;
  /** What the earlier episode (or the first of two invocations) produced at that index. */
  expected: string;
  /** What this replay (or the second invocation) produced. */
  actual: string;
}

/**
 * The orchestrator did not reproduce its earlier decisions (docs/durable-protocol.md §7, §8.1 step 4). DTFx fails the
 * instance with a NonDeterministicOrchestrationException; the driver does the same and throws this.
 */
export class NonDeterminismError extends Error {
  readonly details: NonDeterminismDetails | undefined;

  constructor(message: string, details?: NonDeterminismDetails) {
    super(message);
    this.name = "NonDeterminismError";
    this.details = details;
  }
}

/**
 * An instance can never make progress although it is Running: the JS SDK waits for an event the host will never
 * send (e.g. `retryTimeoutInMilliseconds` expiry, durable-js issue #629). Real hosts hang silently here.
 */
export class StuckOrchestrationError extends Error {
  readonly instanceId: string;

  constructor(instanceId: string, message: string) {
    super(message);
    this.name = "StuckOrchestrationError";
    this.instanceId = instanceId;
  }
}

/** The orchestrator used an API the driver does not emulate (sub-orchestrations, entities, callHttp, long timers). */
export class UnsupportedByReplayDriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedByReplayDriverError";
  }
}
