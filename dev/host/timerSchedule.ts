/**
 * Timer trigger schedules as the Functions host reads them (`TimerTriggerAttribute.Schedule`):
 *
 * - NCRONTAB with 6 fields `{second} {minute} {hour} {day} {month} {day-of-week}` (or 5, without seconds: the host
 *   picks the format from the field count). Each field: `*`, a number, `a-b`, lists `a,b,c`, steps `*\/n`,
 *   `a-b/n`, `a/n`; month and day-of-week names (`JAN`, `MON`); day-of-week 0–6, 0 = Sunday.
 *   Like NCrontab, day-of-month AND day-of-week must both match (unlike Vixie cron's OR).
 * - A TimeSpan (`"00:05:00"`): a constant interval (not on Consumption; supported here for completeness).
 *
 * Times are UTC (WEBSITE_TIME_ZONE is not emulated).
 */
import { parseTimeSpan } from "./hostConfig";

export type TimerSchedule =
  | { kind: "cron"; expression: string; fields: CronFields }
  | { kind: "interval"; expression: string; intervalMs: number };

export interface CronFields {
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = [
  "JAN",
  "FEB",
  "MAR",
  "APR",
  "MAY",
  "JUN",
  "JUL",
  "AUG",
  "SEP",
  "OCT",
  "NOV",
  "DEC",
] as const;
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DAY: FieldSpec = { name: "day", min: 1, max: 31 };
const MONTH: FieldSpec = { name: "month", min: 1, max: 12, names: MONTH_NAMES };
const DAY_OF_WEEK: FieldSpec = { name: "day-of-week", min: 0, max: 6, names: DAY_NAMES };

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  let value: number;
  const upper = text.toUpperCase();
  const nameIndex = spec.names?.indexOf(upper);
  if (nameIndex !== undefined && nameIndex >= 0) value = nameIndex + spec.min;
  else if (/^\d+$/.test(text)) value = Number(text);
  else throw new Error(`'${expression}': '${text}' is not a valid ${spec.name}`);
  if (value < spec.min || value > spec.max) {
    throw new Error(`'${expression}': ${spec.name} ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    if (part === "") throw new Error(`'${expression}': empty list item in the ${spec.name} field`);
    const [rangeText, stepText, extra] = part.split("/");
    if (extra !== undefined || rangeText === undefined || rangeText === "") {
      throw new Error(`'${expression}': '${part}' is not a valid ${spec.name}`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new Error(
          `'${expression}': step '${stepText}' of the ${spec.name} field must be a positive integer`,
        );
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === "*") {
      from = spec.min;
      to = spec.max;
    } else if (rangeText.includes("-")) {
      const [a, b, more] = rangeText.split("-");
      if (more !== undefined || a === undefined || b === undefined) {
        throw new Error(`'${expression}': '${rangeText}' is not a valid ${spec.name} range`);
      }
      from = parseValue(a, spec, expression);
      to = parseValue(b, spec, expression);
      if (from > to) throw new Error(`'${expression}': ${spec.name} range ${rangeText} is reversed`);
    } else {
      from = parseValue(rangeText, spec, expression);
      // "a/n" means a, a+n, ... up to the maximum (NCrontab); a plain number is just itself.
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Parses an NCRONTAB expression (6 or 5 fields) or a TimeSpan interval; throws a descriptive error. */
export function parseTimerSchedule(expression: string): TimerSchedule {
  const trimmed = expression.trim();
  if (/^[-\d.]+:[\d:.]+$/.test(trimmed)) {
    const intervalMs = parseTimeSpan(trimmed);
    if (intervalMs <= 0) throw new Error(`'${expression}': a TimeSpan schedule must be positive`);
    return { kind: "interval", expression, intervalMs };
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 6 && parts.length !== 5) {
    throw new Error(
      `'${expression}' is not a valid NCRONTAB expression: expected 6 fields ` +
        "({second} {minute} {hour} {day} {month} {day-of-week}) or 5 (without seconds)",
    );
  }
  const withSeconds = parts.length === 6 ? parts : ["0", ...parts];
  const [s, mi, h, d, mo, dow] = withSeconds as [string, string, string, string, string, string];
  return {
    kind: "cron",
    expression,
    fields: {
      seconds: parseField(s, SECOND, expression),
      minutes: parseField(mi, MINUTE, expression),
      hours: parseField(h, HOUR, expression),
      days: parseField(d, DAY, expression),
      months: parseField(mo, MONTH, expression),
      daysOfWeek: parseField(dow, DAY_OF_WEEK, expression),
    },
  };
}

/** Give up after this many years without a match (e.g. "0 0 0 30 2 *": February 30th). */
const SEARCH_YEARS = 5;

/**
 * The first occurrence strictly after `afterMs` (epoch ms, UTC), or undefined when none exists within 5 years.
 * Intervals: `afterMs + intervalMs`.
 */
export function nextOccurrence(schedule: TimerSchedule, afterMs: number): number | undefined {
  if (schedule.kind === "interval") return afterMs + schedule.intervalMs;
  const f = schedule.fields;
  const t = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  const limit = t.getTime() + SEARCH_YEARS * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!f.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.days.has(t.getUTCDate()) || !f.daysOfWeek.has(t.getUTCDay())) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!f.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!f.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      continue;
    }
    return t.getTime();
  }
  return undefined;
}

/** The `Timer` object a timer-triggered handler receives (the host's TimerInfo, camel-cased by the library). */
export interface TimerInfo {
  isPastDue: boolean;
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string };
}

export function timerInfo(lastMs: number | undefined, nextMs: number | undefined, nowMs: number): TimerInfo {
  // The host reports DateTime.MinValue for "never ran".
  const iso = (ms: number | undefined) =>
    ms === undefined ? "0001-01-01T00:00:00.000Z" : new Date(ms).toISOString();
  return {
    isPastDue: false,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: iso(lastMs), next: iso(nextMs), lastUpdated: iso(nowMs) },
  };
}
