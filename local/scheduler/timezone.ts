/**
 * Wall-clock time in an IANA time zone, through Intl only. "Local" values are wall-clock fields
 * encoded as if they were UTC epoch ms (`Date.UTC(y, m-1, d, h, mi, s)`).
 */

export class InvalidTimeZoneError extends Error {
  override name = "ValidationException";
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    } catch {
      throw new InvalidTimeZoneError(`Invalid ScheduleExpressionTimezone: ${timeZone}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/** The zone's wall clock at `instant`, as local ms. */
export function toLocal(instant: number, timeZone: string): number {
  if (timeZone === "UTC") return instant;
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return local + (((instant % 1000) + 1000) % 1000);
}

/** UTC offset (ms) of the zone at `instant`. */
export function offsetAt(instant: number, timeZone: string): number {
  return toLocal(instant, timeZone) - instant;
}

/**
 * Every instant at which the zone's wall clock reads `local`, earliest first: none in a
 * spring-forward gap, two in a fall-back overlap, otherwise one.
 */
export function fromLocal(local: number, timeZone: string): number[] {
  if (timeZone === "UTC") return [local];
  const offsets = new Set([offsetAt(local - 86_400_000, timeZone), offsetAt(local + 86_400_000, timeZone)]);
  const out: number[] = [];
  for (const offset of offsets) {
    const instant = local - offset;
    if (toLocal(instant, timeZone) === local && !out.includes(instant)) out.push(instant);
  }
  return out.sort((a, b) => a - b);
}
