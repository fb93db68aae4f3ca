/**
 * Choice rules in JSONPath (`Variable` + comparison operator, `And`/`Or`/`Not`) with AWS's type
 * rules: a comparison between values of the wrong type is simply false; a `Variable` that selects
 * nothing is a runtime error except under `IsPresent`.
 */
import { StatesError, StatesErrors } from "./errors.ts";
import { isObject, type Json, jsonEquals } from "./json.ts";

export type ChoiceRule = { readonly [key: string]: Json | undefined };

/** Resolves a JSONPath in the rule's scope: `$...` input, `$$...` context, `$var` variables. */
export type ChoicePathResolver = (path: string) => { found: boolean; value: Json };

const COMPARATORS = [
  "StringEquals",
  "StringLessThan",
  "StringGreaterThan",
  "StringLessThanEquals",
  "StringGreaterThanEquals",
  "StringMatches",
  "NumericEquals",
  "NumericLessThan",
  "NumericGreaterThan",
  "NumericLessThanEquals",
  "NumericGreaterThanEquals",
  "BooleanEquals",
  "TimestampEquals",
  "TimestampLessThan",
  "TimestampGreaterThan",
  "TimestampLessThanEquals",
  "TimestampGreaterThanEquals",
  "IsNull",
  "IsPresent",
  "IsNumeric",
  "IsString",
  "IsBoolean",
  "IsTimestamp",
] as const;

export const CHOICE_OPERATORS: readonly string[] = [
  ...COMPARATORS,
  ...COMPARATORS.slice(0, 17).map((c) => `${c}Path`),
];

export function evaluateRule(rule: ChoiceRule, resolve: ChoicePathResolver): boolean {
  const and = rule.And;
  if (Array.isArray(and)) return and.every((r) => evaluateRule(r as ChoiceRule, resolve));
  const or = rule.Or;
  if (Array.isArray(or)) return or.some((r) => evaluateRule(r as ChoiceRule, resolve));
  const not = rule.Not;
  if (isObject(not)) return !evaluateRule(not, resolve);
  const variable = rule.Variable;
  if (typeof variable !== "string")
    throw new StatesError(StatesErrors.Runtime, "A choice rule has no Variable");
  for (const key in rule) {
    if (key === "Variable" || key === "Next" || key === "Comment" || key === "Assign" || key === "Output")
      continue;
    const operand = rule[key] as Json;
    const got = resolve(variable);
    if (key === "IsPresent") return got.found === operand;
    if (!got.found) {
      throw new StatesError(
        StatesErrors.Runtime,
        `Invalid path '${variable}': The choice state's condition path references an invalid value.`,
      );
    }
    let op = key;
    let expected: Json = operand;
    if (key.endsWith("Path")) {
      op = key.slice(0, -4);
      const ref = resolve(operand as string);
      if (!ref.found) {
        throw new StatesError(
          StatesErrors.Runtime,
          `Invalid path '${String(operand)}': The choice state's condition path references an invalid value.`,
        );
      }
      expected = ref.value;
    }
    return compare(op, got.value, expected);
  }
  throw new StatesError(StatesErrors.Runtime, "A choice rule has no comparison operator");
}

export function compare(op: string, a: Json, b: Json): boolean {
  switch (op) {
    case "StringEquals":
      return typeof a === "string" && typeof b === "string" && a === b;
    case "StringLessThan":
      return typeof a === "string" && typeof b === "string" && a < b;
    case "StringGreaterThan":
      return typeof a === "string" && typeof b === "string" && a > b;
    case "StringLessThanEquals":
      return typeof a === "string" && typeof b === "string" && a <= b;
    case "StringGreaterThanEquals":
      return typeof a === "string" && typeof b === "string" && a >= b;
    case "StringMatches":
      return typeof a === "string" && typeof b === "string" && stringMatches(a, b);
    case "NumericEquals":
      return typeof a === "number" && typeof b === "number" && a === b;
    case "NumericLessThan":
      return typeof a === "number" && typeof b === "number" && a < b;
    case "NumericGreaterThan":
      return typeof a === "number" && typeof b === "number" && a > b;
    case "NumericLessThanEquals":
      return typeof a === "number" && typeof b === "number" && a <= b;
    case "NumericGreaterThanEquals":
      return typeof a === "number" && typeof b === "number" && a >= b;
    case "BooleanEquals":
      return typeof a === "boolean" && typeof b === "boolean" && a === b;
    case "TimestampEquals":
    case "TimestampLessThan":
    case "TimestampGreaterThan":
    case "TimestampLessThanEquals":
    case "TimestampGreaterThanEquals": {
      const x = parseTimestamp(a);
      const y = parseTimestamp(b);
      if (x === undefined || y === undefined) return false;
      if (op === "TimestampEquals") return x === y;
      if (op === "TimestampLessThan") return x < y;
      if (op === "TimestampGreaterThan") return x > y;
      if (op === "TimestampLessThanEquals") return x <= y;
      return x >= y;
    }
    case "IsNull":
      return (a === null) === b;
    case "IsNumeric":
      return (typeof a === "number") === b;
    case "IsString":
      return (typeof a === "string") === b;
    case "IsBoolean":
      return (typeof a === "boolean") === b;
    case "IsTimestamp":
      return (parseTimestamp(a) !== undefined) === b;
    default:
      return jsonEquals(a, b) && false;
  }
}

/** `*` matches any run of characters; `\*` and `\\` are literal. */
export function stringMatches(value: string, pattern: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\" && i + 1 < pattern.length) {
      re += escapeRe(pattern[i + 1] as string);
      i++;
    } else if (c === "*") re += "[\\s\\S]*";
    else re += escapeRe(c);
  }
  return new RegExp(`${re}$`).test(value);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms (sub-ms precision kept as a fraction) of an RFC 3339 timestamp, or undefined. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const daysIn = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day > daysIn) return undefined;
  const frac = m[7] ? Number(`0${m[7]}`) : 0;
  const base = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${m[8] === "Z" ? "Z" : m[8]}`);
  if (Number.isNaN(base)) return undefined;
  return base + frac * 1000;
}
