/**
 * EventBridge Scheduler expressions: `cron(min hour day-of-month month day-of-week year)`,
 * `rate(value unit)` and `at(yyyy-mm-ddThh:mm:ss)`, read in a time zone.
 *
 * Cron follows AWS's rules: `,` `-` `*` `/` everywhere; `?` in exactly one of day-of-month and
 * day-of-week; `L` (last day of month, or `nL` last weekday n of the month), `W` (nearest weekday,
 * `LW` last weekday) in day-of-month; `n#k` (k-th weekday n) in day-of-week, whose days run 1-7 from
 * SUN; month and day names; years 1970-2199.
 *
 * Daylight saving, as EventBridge Scheduler documents it: a wall-clock time skipped when clocks
 * spring forward does not run that day; a wall-clock time repeated when clocks fall back runs once
 * (at its first occurrence).
 */
import { fromLocal, offsetAt, toLocal } from "./timezone.ts";

export class InvalidScheduleExpressionError extends Error {
  override name = "ValidationException";
}

export interface CronExpression {
  readonly kind: "cron";
  readonly text: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: ReadonlySet<number>;
  readonly years: ReadonlySet<number> | undefined;
  readonly dayOfMonth: DayOfMonth | undefined;
  readonly dayOfWeek: DayOfWeek | undefined;
}

type DayOfMonth =
  | { kind: "set"; days: ReadonlySet<number> }
  | { kind: "last"; offset: number }
  | { kind: "lastWeekday" }
  | { kind: "nearestWeekday"; day: number };

type DayOfWeek =
  | { kind: "set"; days: ReadonlySet<number> }
  | { kind: "last"; day: number }
  | { kind: "nth"; day: number; nth: number };

export interface RateExpression {
  readonly kind: "rate";
  readonly text: string;
  readonly ms: number;
}

export interface AtExpression {
  readonly kind: "at";
  readonly text: string;
  /** Wall-clock time (local ms) in the schedule's time zone. */
  readonly local: number;
}

export type ScheduleExpression = CronExpression | RateExpression | AtExpression;

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function fail(text: string, reason: string): never {
  throw new InvalidScheduleExpressionError(`Invalid Schedule Expression ${text}: ${reason}`);
}

export function parseScheduleExpression(text: string): ScheduleExpression {
  const trimmed = text.trim();
  const cron = /^cron\((.*)\)$/.exec(trimmed);
  if (cron) return parseCron(trimmed, cron[1] ?? "");
  const rate = /^rate\((.*)\)$/.exec(trimmed);
  if (rate) return parseRate(trimmed, rate[1] ?? "");
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(trimmed);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const local = Date.UTC(y, mo - 1, d, h, mi, s);
    const check = new Date(local);
    if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
      fail(text, "not a valid date and time");
    }
    return { kind: "at", text: trimmed, local };
  }
  return fail(text, "expected cron(...), rate(...) or at(yyyy-mm-ddThh:mm:ss)");
}

function parseRate(text: string, body: string): RateExpression {
  const match = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (!match) return fail(text, "expected rate(value unit) with unit minute(s), hour(s) or day(s)");
  const value = Number(match[1]);
  const unit = match[2] as string;
  if (value < 1) fail(text, "the value must be a positive integer");
  if ((value === 1) !== !unit.endsWith("s"))
    fail(text, "use a singular unit for 1 and a plural unit otherwise");
  const unitMs = unit.startsWith("minute") ? 60_000 : unit.startsWith("hour") ? 3_600_000 : 86_400_000;
  return { kind: "rate", text, ms: value * unitMs };
}

function parseCron(text: string, body: string): CronExpression {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    fail(text, "cron needs 6 fields: minutes hours day-of-month month day-of-week year");
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?")) {
    fail(text, "one of day-of-month and day-of-week must be ?, and only one");
  }
  return {
    kind: "cron",
    text,
    minutes: [...parseList(text, min, 0, 59)].sort((a, b) => a - b),
    hours: [...parseList(text, hour, 0, 23)].sort((a, b) => a - b),
    months: parseList(text, month, 1, 12, MONTHS),
    years: year === "*" ? undefined : parseList(text, year, 1970, 2199),
    dayOfMonth: dom === "?" ? undefined : parseDayOfMonth(text, dom),
    dayOfWeek: dow === "?" ? undefined : parseDayOfWeek(text, dow),
  };
}

function parseValue(
  text: string,
  token: string,
  min: number,
  max: number,
  names?: readonly string[],
): number {
  const named = names?.indexOf(token.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + min : /^\d+$/.test(token) ? Number(token) : Number.NaN;
  if (!(value >= min && value <= max)) fail(text, `"${token}" is outside ${min}-${max}`);
  return value;
}

function parseList(
  text: string,
  field: string,
  min: number,
  max: number,
  names?: readonly string[],
): Set<number> {
  const out = new Set<number>();
  for (const item of field.split(",")) {
    const [range, stepText] = item.split("/") as [string, string | undefined];
    if (item.split("/").length > 2) fail(text, `bad step in "${item}"`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!(Number.isInteger(step) && step >= 1) || (stepText !== undefined && !/^\d+$/.test(stepText))) {
      fail(text, `bad step in "${item}"`);
    }
    let start: number;
    let end: number;
    if (range === "*") {
      start = min;
      end = max;
    } else if (range.includes("-")) {
      const [a, b] = range.split("-") as [string, string];
      start = parseValue(text, a, min, max, names);
      end = parseValue(text, b, min, max, names);
    } else {
      start = parseValue(text, range, min, max, names);
      end = stepText === undefined ? start : max;
    }
    if (start <= end) for (let v = start; v <= end; v += step) out.add(v);
    else {
      // A wrapping range such as FRI-MON or NOV-FEB.
      const span = max - min + 1;
      for (let i = 0; i <= end - start + span; i += step) out.add(((start - min + i) % span) + min);
    }
  }
  return out;
}

function parseDayOfMonth(text: string, field: string): DayOfMonth {
  if (field === "L") return { kind: "last", offset: 0 };
  const lastOffset = /^L-(\d+)$/.exec(field);
  if (lastOffset) return { kind: "last", offset: parseValue(text, lastOffset[1] ?? "", 1, 30) };
  if (field === "LW") return { kind: "lastWeekday" };
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) return { kind: "nearestWeekday", day: parseValue(text, weekday[1] ?? "", 1, 31) };
  if (/[LW#]/.test(field)) fail(text, `bad day-of-month "${field}"`);
  return { kind: "set", days: parseList(text, field, 1, 31) };
}

function parseDayOfWeek(text: string, field: string): DayOfWeek {
  if (field === "L") return { kind: "set", days: new Set([7]) };
  const last = /^(\w+)L$/.exec(field);
  if (last) return { kind: "last", day: parseValue(text, last[1] ?? "", 1, 7, DAYS) };
  const nth = /^(\w+)#(\d)$/.exec(field);
  if (nth) {
    const k = Number(nth[2]);
    if (!(k >= 1 && k <= 5)) fail(text, `"#${k}" must be 1-5`);
    return { kind: "nth", day: parseValue(text, nth[1] ?? "", 1, 7, DAYS), nth: k };
  }
  if (/[LW#]/.test(field)) fail(text, `bad day-of-week "${field}"`);
  return { kind: "set", days: parseList(text, field, 1, 7, DAYS) };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether the cron's day fields accept this local date (month 1-12). */
function dayMatches(cron: CronExpression, year: number, month: number, day: number): boolean {
  const dim = daysInMonth(year, month);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1; // 1 = SUN
  const dom = cron.dayOfMonth;
  if (dom) {
    switch (dom.kind) {
      case "set":
        return dom.days.has(day);
      case "last":
        return day === dim - dom.offset;
      case "lastWeekday": {
        let d = dim;
        while (isWeekend(year, month, d)) d--;
        return day === d;
      }
      case "nearestWeekday":
        return day === nearestWeekday(year, month, Math.min(dom.day, dim));
    }
  }
  const dow = cron.dayOfWeek;
  if (!dow) return false;
  switch (dow.kind) {
    case "set":
      return dow.days.has(weekday);
    case "last":
      return weekday === dow.day && day + 7 > dim;
    case "nth":
      return weekday === dow.day && Math.ceil(day / 7) === dow.nth;
  }
}

function isWeekend(year: number, month: number, day: number): boolean {
  const w = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return w === 0 || w === 6;
}

/** Quartz's `W`: the weekday nearest to `day`, never leaving the month. */
function nearestWeekday(year: number, month: number, day: number): number {
  const w = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const dim = daysInMonth(year, month);
  if (w === 6) return day === 1 ? 3 : day - 1;
  if (w === 0) return day === dim ? day - 2 : day + 1;
  return day;
}

const DAY_MS = 86_400_000;

/**
 * The first instant strictly after `after` at which the cron fires in `timeZone`, or undefined
 * when there is none before `until` (default: the year 2200).
 */
export function nextCronTime(
  cron: CronExpression,
  after: number,
  timeZone: string,
  until?: number,
): number | undefined {
  const limit = until ?? Date.UTC(2200, 0, 1);
  const startLocal = toLocal(after, timeZone);
  let dayStart = Math.floor(startLocal / DAY_MS) * DAY_MS - DAY_MS; // one day early: offsets can cross midnight
  while (dayStart - 2 * DAY_MS <= limit) {
    const date = new Date(dayStart);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    if (cron.years && !cron.years.has(year)) {
      const nextYear = [...cron.years].filter((y) => y > year).sort((a, b) => a - b)[0];
      if (nextYear === undefined) return undefined;
      dayStart = Date.UTC(nextYear, 0, 1);
      continue;
    }
    if (!cron.months.has(month)) {
      dayStart = Date.UTC(year, month, 1);
      continue;
    }
    if (dayMatches(cron, year, month, date.getUTCDate())) {
      for (const hour of cron.hours) {
        for (const minute of cron.minutes) {
          const local = dayStart + hour * 3_600_000 + minute * 60_000;
          if (local < startLocal - 3 * 3_600_000) continue;
          const instants = fromLocal(local, timeZone);
          const first = instants[0];
          if (first !== undefined && first > after) return first <= limit ? first : undefined;
        }
      }
    }
    dayStart += DAY_MS;
  }
  return undefined;
}

/** The instant of an `at()` in a zone; a time inside a spring-forward gap runs as far past the gap's start. */
export function atInstant(at: AtExpression, timeZone: string): number {
  const instants = fromLocal(at.local, timeZone);
  return instants[0] ?? at.local - offsetAt(at.local - DAY_MS, timeZone);
}
