// The sim clock: an injected clock (virtual time in tests) or real time scaled by timeScale from the start,
// plus a forward offset the control endpoint can add (POST /_sim/clock) to skip ahead.
export class SimClock {
  private offsetMs = 0;
  private realBase = Date.now();
  private simBase = this.realBase;

  constructor(
    private readonly injected: (() => number) | undefined,
    private scale: number,
  ) {
    if (!(scale > 0)) throw new Error(`timeScale must be > 0, got ${scale}`);
  }

  now(): number {
    const base = this.injected ? this.injected() : this.simBase + (Date.now() - this.realBase) * this.scale;
    return base + this.offsetMs;
  }

  get timeScale(): number | undefined {
    return this.injected ? undefined : this.scale;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Changes the scale from now on without a jump in sim time. */
  setTimeScale(scale: number): void {
    if (this.injected) throw new Error("timeScale cannot be changed when a clock was injected");
    if (!(scale > 0)) throw new Error(`timeScale must be > 0, got ${scale}`);
    const realNow = Date.now();
    this.simBase = this.simBase + (realNow - this.realBase) * this.scale;
    this.realBase = realNow;
    this.scale = scale;
  }
}
