/**
 * Runs one timer-triggered function on its schedule (`timerSchedule.ts`), with time running `timeScale` times
 * faster than wall time: the timer's virtual clock starts at the wall clock when the host starts. Invocations never
 * overlap: the next occurrence is computed when the previous invocation has finished (occurrences missed meanwhile
 * are skipped, as the host's timer listener does). `runOnStartup` fires once at start.
 */
import { nextOccurrence, timerInfo, type TimerInfo, type TimerSchedule } from "./timerSchedule";

export interface TimerTriggerOptions {
  functionName: string;
  schedule: TimerSchedule;
  runOnStartup?: boolean;
  /** Virtual ms per wall ms (default 1). */
  timeScale?: number;
  /** Invokes the function; a rejection is reported to `onError` and the schedule continues. */
  invoke: (timer: TimerInfo) => Promise<unknown>;
  onError?: (error: unknown) => void;
  /** Default `Date.now`. */
  wallClock?: () => number;
}

const MAX_TIMEOUT_MS = 0x7fffffff;

export class TimerTrigger {
  readonly functionName: string;
  private readonly schedule: TimerSchedule;
  private readonly scale: number;
  private readonly wallClock: () => number;
  private readonly invoke: (timer: TimerInfo) => Promise<unknown>;
  private readonly onError: (error: unknown) => void;
  private readonly runOnStartup: boolean;
  private anchorWall = 0;
  private anchorVirtual = 0;
  private lastFire: number | undefined;
  private nextFire: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(options: TimerTriggerOptions) {
    this.functionName = options.functionName;
    this.schedule = options.schedule;
    this.scale = options.timeScale ?? 1;
    if (!(this.scale > 0) || !Number.isFinite(this.scale)) {
      throw new Error(`TimerTrigger: timeScale must be a finite number > 0, got ${this.scale}`);
    }
    this.wallClock = options.wallClock ?? Date.now;
    this.invoke = options.invoke;
    this.runOnStartup = options.runOnStartup ?? false;
    this.onError =
      options.onError ??
      ((error: unknown) => {
        console.error(`[dev host] timer '${this.functionName}' failed:`, error);
      });
  }

  /** Virtual time of the timer clock (epoch ms). */
  virtualNow(): number {
    return this.anchorVirtual + (this.wallClock() - this.anchorWall) * this.scale;
  }

  /** Virtual time of the next scheduled occurrence (undefined when stopped or none). */
  get next(): number | undefined {
    return this.nextFire;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.anchorWall = this.wallClock();
    this.anchorVirtual = this.anchorWall;
    if (this.runOnStartup) this.fire(this.virtualNow());
    else this.scheduleNext();
  }

  /** Stops scheduling and waits for a running invocation. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextFire = undefined;
    if (this.running !== undefined) await this.running;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const now = this.virtualNow();
    const next = nextOccurrence(this.schedule, Math.max(now, this.lastFire ?? now));
    this.nextFire = next;
    if (next === undefined) return; // never (e.g. February 30th)
    this.arm(next);
  }

  private arm(next: number): void {
    const delay = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil((next - this.virtualNow()) / this.scale)));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      // Long delays are capped: re-arm until the occurrence is due.
      if (this.virtualNow() < next) this.arm(next);
      else this.fire(next);
    }, delay);
    this.timer.unref();
  }

  private fire(occurrence: number): void {
    const following = nextOccurrence(this.schedule, occurrence);
    const info = timerInfo(this.lastFire, following, this.virtualNow());
    this.lastFire = occurrence;
    this.running = (async () => {
      try {
        await this.invoke(info);
      } catch (error) {
        try {
          this.onError(error);
        } catch {
          // a failing reporter must not stop the schedule
        }
      }
    })().finally(() => {
      this.running = undefined;
      this.scheduleNext();
    });
  }
}
