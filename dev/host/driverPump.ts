/**
 * DriverPump: the piece of a local host that keeps a `ReplayDriver` moving.
 *
 * The replay driver only delivers work when somebody calls `run()`. In the real system the Durable extension's
 * dispatchers do that continuously; here, whoever starts or raises work calls `pump.kick()`, and the pump runs the
 * driver serially (never two `run()` calls at once) until nothing is due. See README.md ("Time model").
 *
 * Two clocks:
 * - `instant` (default): everything queued is due now. A kick drains the queue completely, timers fire at once
 *   and the virtual clock jumps forward (what `driver.run()` does in tests).
 * - `realtime`: the host clock is `virtual clock at pump creation + (wall time elapsed) × scale + advanceBy()`.
 *   Work is due when its virtual time is ≤ the host clock; the pump sets a wall-clock timer for the next due item.
 *   `scale: 0` freezes the host clock (time only moves with `advanceBy`), which gives deterministic tests.
 */
import type { ReplayDriver } from "../durable";

export type PumpClock = { mode: "instant" } | { mode: "realtime"; scale?: number };

export interface DriverPumpOptions {
  /** Default `{ mode: "instant" }`. */
  clock?: PumpClock;
  /** Called for every error `driver.run()` throws (NonDeterminismError, StuckOrchestrationError, ...). */
  onError?: (error: unknown) => void;
  /** Wall clock, default `Date.now` (injectable for tests). */
  wallClock?: () => number;
  /** After this many consecutive failing passes the pump parks until the next kick (default 20). */
  maxConsecutiveErrors?: number;
  /**
   * Awaited under the pump's lock after every pass and every `exclusive(fn)`: the driver is between two episodes,
   * so `driver.exportState()` is consistent (no activity in flight). A persistent host saves the state here.
   * Errors go to `onError`; they never stop the pump.
   */
  checkpoint?: () => void | Promise<void>;
}

/** FIFO async mutex. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const MAX_TIMEOUT_MS = 0x7fffffff;

export class DriverPump {
  readonly driver: ReplayDriver;
  /** Every error a drain pass caught, oldest first. */
  readonly errors: unknown[] = [];

  private readonly mode: "instant" | "realtime";
  private readonly scale: number;
  private readonly wallClock: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly maxConsecutiveErrors: number;
  private readonly checkpoint: (() => void | Promise<void>) | undefined;
  private readonly anchorVirtual: number;
  private readonly anchorWall: number;
  private offset = 0;

  private readonly lock = new Mutex();
  private pauseRequests = 0;
  private draining: Promise<void> | undefined;
  private again = false;
  private parked = false;
  private closed = false;
  private consecutiveErrors = 0;
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(driver: ReplayDriver, options: DriverPumpOptions = {}) {
    this.driver = driver;
    const clock = options.clock ?? { mode: "instant" };
    this.mode = clock.mode;
    this.scale = clock.mode === "realtime" ? (clock.scale ?? 1) : 0;
    if (!(this.scale >= 0) || !Number.isFinite(this.scale)) {
      throw new Error(`DriverPump: scale must be a finite number >= 0, got ${this.scale}`);
    }
    this.wallClock = options.wallClock ?? Date.now;
    this.onError =
      options.onError ??
      ((error: unknown) => {
        console.error("[dev host] replay driver error:", error);
      });
    this.maxConsecutiveErrors = options.maxConsecutiveErrors ?? 20;
    this.checkpoint = options.checkpoint;
    this.anchorVirtual = driver.now;
    this.anchorWall = this.wallClock();
  }

  get clockMode(): "instant" | "realtime" {
    return this.mode;
  }

  /**
   * The host clock (epoch ms): in realtime mode the virtual time work must have reached to be due; in instant
   * mode simply the driver's clock. Never behind the driver's clock.
   */
  virtualNow(): number {
    if (this.mode === "instant") return this.driver.now;
    const hostTime = this.anchorVirtual + (this.wallClock() - this.anchorWall) * this.scale + this.offset;
    return Math.max(this.driver.now, Math.floor(hostTime));
  }

  /** Realtime mode: moves the driver's clock to the host clock, so a startNew / raiseEvent is stamped "now". */
  syncClock(): void {
    if (this.mode === "realtime") this.driver.advanceTo(this.virtualNow());
  }

  /**
   * Moves time forward by `ms` and delivers what became due. Realtime: shifts the host clock. Instant: advances
   * the driver clock (everything queued is due anyway).
   */
  advanceBy(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new Error(`advanceBy: ms must be >= 0, got ${ms}`);
    if (this.mode === "realtime") this.offset += ms;
    else this.driver.advanceTo(this.driver.now + ms);
    return this.kick();
  }

  /**
   * Requests a drain. Returns the drain that will observe this kick (it resolves when that drain ends; it never
   * rejects: errors go to `onError` / `errors`). Concurrent kicks coalesce into at most one extra pass.
   */
  kick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.parked = false;
    this.clearWake();
    if (this.draining !== undefined) {
      this.again = true;
      return this.draining;
    }
    const drain = this.drain();
    this.draining = drain;
    return drain;
  }

  /**
   * Runs `fn` while no driver episode is in flight: the current `run()` stops between two episodes (its `until`
   * hook), `fn` runs, then the pump continues. Use it for anything that must not interleave with episodes, e.g.
   * `startNew`, or replacing state with `exportState()` / `importState()` (purge). Kick afterwards if needed.
   */
  async exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    this.pauseRequests++;
    try {
      return await this.lock.run(async () => {
        try {
          return await fn();
        } finally {
          await this.runCheckpoint();
        }
      });
    } finally {
      this.pauseRequests--;
    }
  }

  /** Virtual time of the earliest queued work item, or undefined when the queue is empty. */
  nextDueAt(): number | undefined {
    // exportState() is a JSON copy of the whole driver: fine for a dev host, the driver exposes no cheaper view.
    let next: number | undefined;
    for (const item of this.driver.exportState().queue) {
      if (next === undefined || item.at < next) next = item.at;
    }
    return next;
  }

  /** True when some queued work is due now (instant mode: when anything is queued). */
  hasDueWork(): boolean {
    const next = this.nextDueAt();
    return next !== undefined && (this.mode === "instant" || next <= this.virtualNow());
  }

  /**
   * Resolves when the pump has nothing due: no drain running, no exclusive operation in progress, no queued work
   * due on the host clock (instant mode: an empty queue). In realtime mode, future timers do not count. Also
   * resolves when the pump is parked after repeated errors or closed.
   */
  async idle(): Promise<void> {
    for (;;) {
      await this.lock.run(() => undefined); // let exclusive operations queued before us finish
      if (this.draining !== undefined) {
        await this.draining;
        continue;
      }
      if (this.closed || this.parked || !this.hasDueWork()) return;
      await this.kick();
    }
  }

  /** Stops scheduling; an in-flight drain finishes its current pass. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearWake();
    if (this.draining !== undefined) await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      this.again = false;
      await this.pass();
      // The exit decision and `draining = undefined` happen synchronously, so no kick can be lost in between.
      if (!this.closed && (this.kickedDuringPass() || (!this.parked && this.hasDueWork()))) continue;
      this.draining = undefined;
      this.scheduleWake();
      return;
    }
  }

  /** Whether kick() was called while the last pass ran (a method, so the flow analysis does not narrow it). */
  private kickedDuringPass(): boolean {
    return this.again;
  }

  /** One `driver.run()` under the lock, stopped early when an exclusive operation waits. */
  private async pass(): Promise<void> {
    await this.lock.run(async () => {
      if (this.closed) return;
      const stop = { interrupted: false };
      const until = (): boolean => {
        stop.interrupted = this.pauseRequests > 0;
        return stop.interrupted;
      };
      try {
        if (this.mode === "instant") {
          await this.driver.run({ until });
        } else {
          const target = this.virtualNow();
          await this.driver.run({ maxVirtualMs: Math.max(0, target - this.driver.now), until });
          if (!stop.interrupted) this.driver.advanceTo(target);
        }
        this.consecutiveErrors = 0;
      } catch (error) {
        this.errors.push(error);
        try {
          this.onError(error);
        } catch {
          // a failing reporter must not stop the pump
        }
        // Errors normally fail one instance and drop its work, so the next pass makes progress. A run that keeps
        // failing (e.g. the driver's maxEpisodes guard against an endless continueAsNew) parks the pump.
        if (++this.consecutiveErrors >= this.maxConsecutiveErrors) this.parked = true;
      }
      await this.runCheckpoint();
    });
  }

  /** The `checkpoint` option, called under the lock; its errors are reported, never thrown. */
  private async runCheckpoint(): Promise<void> {
    if (this.checkpoint === undefined) return;
    try {
      await this.checkpoint();
    } catch (error) {
      try {
        this.onError(error);
      } catch {
        // a failing reporter must not stop the pump
      }
    }
  }

  private scheduleWake(): void {
    this.clearWake();
    if (this.closed || this.parked || this.mode !== "realtime" || this.scale === 0) return;
    const next = this.nextDueAt();
    if (next === undefined) return;
    const delay = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil((next - this.virtualNow()) / this.scale)));
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      void this.kick();
    }, delay);
    // The wake-up alone must not keep a process (or a Jest worker) alive; a host's HTTP server does that.
    this.wakeTimer.unref();
  }

  private clearWake(): void {
    if (this.wakeTimer !== undefined) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
    }
  }
}
