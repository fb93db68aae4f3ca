import { describe, expect, it } from "vitest";
import { atInstant, nextCronTime, parseScheduleExpression } from "../../../local/scheduler/expression.ts";
import { fromLocal } from "../../../local/scheduler/timezone.ts";

/** The next `count` fire times of a cron after `from`, as ISO strings. */
function fires(expression: string, from: string, count: number, timeZone = "UTC"): string[] {
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind !== "cron") throw new Error("not a cron");
  const out: string[] = [];
  let cursor = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const next = nextCronTime(parsed, cursor, timeZone);
    if (next === undefined) break;
    out.push(new Date(next).toISOString().replace(".000Z", "Z"));
    cursor = next;
  }
  return out;
}

describe("cron on known calendars (UTC)", () => {
  it("runs on weekdays with a day-name range", () => {
    // 2026-01-02 is a Friday.
    expect(fires("cron(0 10 ? * MON-FRI *)", "2026-01-02T11:00:00Z", 3)).toEqual([
      "2026-01-05T10:00:00Z",
      "2026-01-06T10:00:00Z",
      "2026-01-07T10:00:00Z",
    ]);
  });

  it("supports steps, lists and ranges in minutes and hours", () => {
    expect(fires("cron(0/20 8-9 * * ? *)", "2026-01-01T00:00:00Z", 7)).toEqual([
      "2026-01-01T08:00:00Z",
      "2026-01-01T08:20:00Z",
      "2026-01-01T08:40:00Z",
      "2026-01-01T09:00:00Z",
      "2026-01-01T09:20:00Z",
      "2026-01-01T09:40:00Z",
      "2026-01-02T08:00:00Z",
    ]);
    expect(fires("cron(5,35 */12 * * ? *)", "2026-01-01T00:00:00Z", 3)).toEqual([
      "2026-01-01T00:05:00Z",
      "2026-01-01T00:35:00Z",
      "2026-01-01T12:05:00Z",
    ]);
  });

  it("L is the last day of the month, leap years included", () => {
    expect(fires("cron(0 12 L * ? *)", "2028-01-15T00:00:00Z", 3)).toEqual([
      "2028-01-31T12:00:00Z",
      "2028-02-29T12:00:00Z",
      "2028-03-31T12:00:00Z",
    ]);
    expect(fires("cron(0 12 L-2 FEB ? *)", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-02-26T12:00:00Z"]);
  });

  it("W is the nearest weekday within the month, LW the last weekday", () => {
    // 2026-08-15 is a Saturday -> Friday 14th; 2026-02-01 is a Sunday -> Monday 2nd (1W never leaves the month).
    expect(fires("cron(0 9 15W AUG ? 2026)", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-08-14T09:00:00Z"]);
    expect(fires("cron(0 9 1W FEB ? 2026)", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-02-02T09:00:00Z"]);
    // 2026-05-31 is a Sunday -> the last weekday of May 2026 is Friday the 29th.
    expect(fires("cron(0 9 LW MAY ? 2026)", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-05-29T09:00:00Z"]);
  });

  it("n#k is the k-th weekday of the month and nL the last one", () => {
    // Third Friday: 2026-01-16, 2026-02-20. First Sunday: 2026-03-01. Last Monday of May 2026: the 25th.
    expect(fires("cron(0 0 ? * 6#3 *)", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-16T00:00:00Z",
      "2026-02-20T00:00:00Z",
    ]);
    expect(fires("cron(0 4 ? * SUN#1 *)", "2026-02-02T00:00:00Z", 1)).toEqual(["2026-03-01T04:00:00Z"]);
    expect(fires("cron(0 0 ? MAY 2L 2026)", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-05-25T00:00:00Z"]);
  });

  it("honours month names, wrapping ranges and the year field, and ends after the last year", () => {
    expect(fires("cron(0 0 1 JAN,JUL ? 2027-2028)", "2026-06-01T00:00:00Z", 5)).toEqual([
      "2027-01-01T00:00:00Z",
      "2027-07-01T00:00:00Z",
      "2028-01-01T00:00:00Z",
      "2028-07-01T00:00:00Z",
    ]);
    expect(fires("cron(0 0 ? * FRI-MON 2026)", "2026-01-01T00:00:00Z", 4)).toEqual([
      "2026-01-02T00:00:00Z",
      "2026-01-03T00:00:00Z",
      "2026-01-04T00:00:00Z",
      "2026-01-05T00:00:00Z",
    ]);
  });
});

describe("cron across daylight-saving transitions", () => {
  it("America/New_York spring forward (2026-03-08): 02:30 does not exist, so that day is skipped", () => {
    expect(fires("cron(30 2 * * ? *)", "2026-03-07T00:00:00Z", 3, "America/New_York")).toEqual([
      "2026-03-07T07:30:00Z",
      "2026-03-09T06:30:00Z",
      "2026-03-10T06:30:00Z",
    ]);
  });

  it("America/New_York fall back (2026-11-01): 01:30 happens twice but runs once", () => {
    expect(fires("cron(30 1 * * ? *)", "2026-10-31T00:00:00Z", 3, "America/New_York")).toEqual([
      "2026-10-31T05:30:00Z",
      "2026-11-01T05:30:00Z",
      "2026-11-02T06:30:00Z",
    ]);
  });

  it("an hourly cron skips the missing hour and does not repeat the doubled one (America/New_York)", () => {
    expect(fires("cron(30 * * * ? *)", "2026-03-08T05:00:00Z", 3, "America/New_York")).toEqual([
      "2026-03-08T05:30:00Z", // 00:30 EST
      "2026-03-08T06:30:00Z", // 01:30 EST
      "2026-03-08T07:30:00Z", // 03:30 EDT (02:30 does not exist)
    ]);
    expect(fires("cron(30 * * * ? *)", "2026-11-01T04:00:00Z", 3, "America/New_York")).toEqual([
      "2026-11-01T04:30:00Z", // 00:30 EDT
      "2026-11-01T05:30:00Z", // 01:30 EDT (01:30 EST at 06:30Z is not repeated)
      "2026-11-01T07:30:00Z", // 02:30 EST
    ]);
  });

  it("Europe/London spring forward (2026-03-29) and fall back (2026-10-25)", () => {
    expect(fires("cron(30 1 * * ? *)", "2026-03-28T00:00:00Z", 3, "Europe/London")).toEqual([
      "2026-03-28T01:30:00Z",
      "2026-03-30T00:30:00Z",
      "2026-03-31T00:30:00Z",
    ]);
    expect(fires("cron(30 1 * * ? *)", "2026-10-24T00:00:00Z", 3, "Europe/London")).toEqual([
      "2026-10-24T00:30:00Z",
      "2026-10-25T00:30:00Z",
      "2026-10-26T01:30:00Z",
    ]);
  });

  it("keeps the wall-clock time across the change (noon in New York moves from 17:00Z to 16:00Z)", () => {
    expect(fires("cron(0 12 * * ? *)", "2026-03-07T00:00:00Z", 2, "America/New_York")).toEqual([
      "2026-03-07T17:00:00Z",
      "2026-03-08T16:00:00Z",
    ]);
  });

  it("the monthly DR drill, first Sunday 04:00 Europe/London, follows BST", () => {
    expect(fires("cron(0 4 ? * SUN#1 *)", "2026-03-02T00:00:00Z", 2, "Europe/London")).toEqual([
      "2026-04-05T03:00:00Z",
      "2026-05-03T03:00:00Z",
    ]);
  });

  it("maps wall-clock times to zero, one or two instants", () => {
    expect(fromLocal(Date.UTC(2026, 2, 8, 2, 30), "America/New_York")).toEqual([]);
    expect(fromLocal(Date.UTC(2026, 10, 1, 1, 30), "America/New_York")).toEqual([
      Date.parse("2026-11-01T05:30:00Z"),
      Date.parse("2026-11-01T06:30:00Z"),
    ]);
  });
});

describe("rate and at", () => {
  it("parses rates with AWS's singular/plural rule", () => {
    expect(parseScheduleExpression("rate(1 minute)")).toMatchObject({ kind: "rate", ms: 60_000 });
    expect(parseScheduleExpression("rate(6 hours)")).toMatchObject({ kind: "rate", ms: 6 * 3_600_000 });
    expect(parseScheduleExpression("rate(2 days)")).toMatchObject({ kind: "rate", ms: 2 * 86_400_000 });
    expect(() => parseScheduleExpression("rate(1 minutes)")).toThrow("singular");
    expect(() => parseScheduleExpression("rate(5 minute)")).toThrow("singular");
    expect(() => parseScheduleExpression("rate(0 minutes)")).toThrow();
    expect(() => parseScheduleExpression("rate(5 weeks)")).toThrow();
  });

  it("reads at() in the time zone; a time in a spring-forward gap runs just after it", () => {
    const at = parseScheduleExpression("at(2026-07-01T09:00:00)");
    if (at.kind !== "at") throw new Error("not at");
    expect(new Date(atInstant(at, "Europe/London")).toISOString()).toBe("2026-07-01T08:00:00.000Z");
    const gap = parseScheduleExpression("at(2026-03-08T02:30:00)");
    if (gap.kind !== "at") throw new Error("not at");
    expect(new Date(atInstant(gap, "America/New_York")).toISOString()).toBe("2026-03-08T07:30:00.000Z");
    expect(() => parseScheduleExpression("at(2026-02-30T00:00:00)")).toThrow("not a valid date");
  });
});

describe("invalid cron expressions", () => {
  it.each([
    ["cron(0 10 * * * *)", "one of day-of-month and day-of-week must be ?"],
    ["cron(0 10 ? * ? *)", "one of day-of-month and day-of-week must be ?"],
    ["cron(0 10 * * ?)", "6 fields"],
    ["cron(60 10 * * ? *)", "outside 0-59"],
    ["cron(0 24 * * ? *)", "outside 0-23"],
    ["cron(0 0 32 * ? *)", "outside 1-31"],
    ["cron(0 0 ? * 8 *)", "outside 1-7"],
    ["cron(0 0 ? * MON#6 *)", "must be 1-5"],
    ["cron(0 0 1 * ? 1969)", "outside 1970-2199"],
    ["cron(0/0 0 1 * ? *)", "bad step"],
    ["cron(0 0 1# * ? *)", "bad day-of-month"],
    ["every day", "expected cron"],
  ])("refuses %s", (expression, reason) => {
    expect(() => parseScheduleExpression(expression)).toThrow(reason);
  });
});
