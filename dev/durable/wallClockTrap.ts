/**
 * Makes wall-clock reads inside an orchestrator deterministic per invocation but different BETWEEN invocations,
 * so code that uses `Date.now()` / `new Date()` (forbidden in orchestrators, docs/durable-protocol.md §12.1)
 * changes its decisions from one replay to the next and the determinism checks catch it reliably instead of only
 * when the millisecond ticks. The driver passes the virtual clock plus a small alternating lag, so such code also
 * sees plausible times (a real wall clock would be years away from the virtual one and turn `Date.now() + 1000`
 * into a far-future timer).
 *
 * Safe to apply around the orchestrator callback only because durable-functions 3.x runs all user generator code
 * synchronously inside the callback call (Orchestrator.handle → TaskOrchestrationExecutor.execute have no awaits
 * before the generator is driven); the global is restored before anything else can run.
 */

/** Runs `fn` with `Date.now()`, `new Date()` and `Date()` reporting `fakeNow`; restores the global afterwards. */
export function withTrappedWallClock<T>(fakeNow: number, fn: () => T): T {
  const OriginalDate = globalThis.Date;
  const fakeNowFn = (): number => fakeNow;
  const trapped = new Proxy(OriginalDate, {
    construct(target, args: unknown[], newTarget: new (...a: unknown[]) => unknown) {
      return Reflect.construct(
        target as unknown as typeof newTarget,
        args.length === 0 ? [fakeNow] : args,
        newTarget,
      ) as object;
    },
    apply() {
      return new OriginalDate(fakeNow).toString();
    },
    get(target, property, receiver) {
      if (property === "now") return fakeNowFn;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  globalThis.Date = trapped;
  try {
    return fn();
  } finally {
    globalThis.Date = OriginalDate;
  }
}
