import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextCronTime, parseScheduleExpression } from "../../../local/scheduler/expression.ts";
import { fromLocal, toLocal } from "../../../local/scheduler/timezone.ts";

const MINUTE = 60_000;

/** Brute force: the first whole minute after `after` whose wall clock matches, first occurrence only. */
function bruteForce(
  matches: (local: Date) => boolean,
  after: number,
  timeZone: string,
  horizon: number,
): number | undefined {
  for (let t = Math.floor(after / MINUTE) * MINUTE + MINUTE; t <= after + horizon; t += MINUTE) {
    const local = toLocal(t, timeZone);
    if (!matches(new Date(local))) continue;
    if (fromLocal(local, timeZone)[0] === t) return t;
  }
  return undefined;
}

const zones = fc.constantFrom(
  "UTC",
  "America/New_York",
  "Europe/London",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
);
// Around the 2026 transitions of those zones, and ordinary days.
const starts = fc.constantFrom(
  "2026-03-07T20:00:00Z",
  "2026-03-28T20:00:00Z",
  "2026-04-04T10:00:00Z",
  "2026-10-03T10:00:00Z",
  "2026-10-24T20:00:00Z",
  "2026-10-31T20:00:00Z",
  "2026-06-15T00:00:00Z",
);

describe("cron next time (property)", () => {
  it("equals a minute-by-minute scan of the zone's wall clock, DST days included", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }), {
          nil: undefined,
        }),
        zones,
        starts,
        (minutes, hours, weekdays, zone, start) => {
          const dow = weekdays ? weekdays.join(",") : "?";
          const dom = weekdays ? "?" : "*";
          const cron = parseScheduleExpression(
            `cron(${minutes.join(",")} ${hours.join(",")} ${dom} * ${dow} *)`,
          );
          if (cron.kind !== "cron") throw new Error("not a cron");
          const after = Date.parse(start);
          const matches = (local: Date) =>
            minutes.includes(local.getUTCMinutes()) &&
            hours.includes(local.getUTCHours()) &&
            (!weekdays || weekdays.includes(local.getUTCDay() + 1));
          const horizon = 9 * 24 * 60 * MINUTE;
          const expected = bruteForce(matches, after, zone, horizon);
          const actual = nextCronTime(cron, after, zone, after + horizon);
          expect(actual).toBe(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
