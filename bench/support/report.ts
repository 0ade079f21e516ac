/*
 * What every benchmark shares: `name=value` arguments with defaults, goal lines (PASS / MISS) and the exit code,
 * number formatting, and a wall-clock watchdog so no run hangs.
 */

/** `name=value` arguments (e.g. `requests=100 links=2`); unknown names fail, so a typo never runs the defaults. */
export function numberArgs<T extends Record<string, number>>(defaults: T, argv = process.argv.slice(2)): T {
  const result: Record<string, number> = { ...defaults };
  for (const arg of argv) {
    const [name = "", raw = ""] = arg.split("=", 2);
    if (!(name in defaults)) {
      throw new Error(
        `unknown argument "${arg}"; expected name=value with name one of ${Object.keys(defaults).join(", ")}`,
      );
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got "${raw}"`);
    result[name] = value;
  }
  return result as T;
}

export function describeArgs(args: Record<string, number>): string {
  return Object.entries(args)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
}

interface GoalResult {
  pass: boolean;
  line: string;
}

/** Goals of one benchmark: each check prints PASS or MISS; `finish()` sets the exit code (1 on any MISS). */
export class Goals {
  private readonly results: GoalResult[] = [];

  atMost(name: string, value: number, limit: number, unit = ""): boolean {
    return this.record(value <= limit, `${name}: ${fmt(value)}${unit} (goal ≤ ${fmt(limit)}${unit})`);
  }

  atLeast(name: string, value: number, limit: number, unit = ""): boolean {
    return this.record(value >= limit, `${name}: ${fmt(value)}${unit} (goal ≥ ${fmt(limit)}${unit})`);
  }

  /** A precondition of the measurement itself (e.g. every request finished): a MISS makes the figures suspect. */
  holds(name: string, pass: boolean, detail: string): boolean {
    return this.record(pass, `${name}: ${detail}`);
  }

  private record(pass: boolean, line: string): boolean {
    this.results.push({ pass, line });
    return pass;
  }

  finish(): void {
    console.log("");
    for (const r of this.results) console.log(`${r.pass ? "PASS" : "MISS"}  ${r.line}`);
    const missed = this.results.filter((r) => !r.pass).length;
    console.log(missed === 0 ? "all goals met" : `${missed} of ${this.results.length} goal(s) missed`);
    if (missed > 0) process.exitCode = 1;
  }
}

/** Up to 3 significant decimals, thousands separated. */
export function fmt(value: number, decimals?: number): string {
  if (!Number.isFinite(value)) return String(value);
  const places =
    decimals ?? (Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString("en-US", { minimumFractionDigits: places, maximumFractionDigits: places });
}

export const MiB = 1024 * 1024;

/** Exits with status 2 if the run takes longer than `minutes` of wall time (a hang, or sizes too large). */
export function watchdog(minutes: number): void {
  setTimeout(() => {
    console.error(`watchdog: the run took longer than ${minutes} min of wall time; giving up`);
    process.exit(2);
  }, minutes * 60_000).unref();
}

/** Runs a benchmark's main, printing any failure and exiting non-zero on it. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    // Exit even if a keep-alive socket or timer of a stopped component lingers; the code is process.exitCode.
    () => process.exit(),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}

/** Median and the quartiles (nearest rank) of a non-empty sample. */
export function quartiles(sample: number[]): { median: number; q1: number; q3: number } {
  const sorted = [...sample].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}
