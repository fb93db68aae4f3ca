/**
 * IAM's condition operators, as the IAM User Guide documents them ("IAM JSON policy elements: Condition
 * operators", "Conditions with multiple context keys or values"):
 * - several values for one key are ORed (NORed for a negated operator), several keys and operators ANDed;
 * - a key absent from the request fails a positive operator and passes a negated one, except with
 *   `…IfExists` (absent passes) and `Null` (tests presence itself);
 * - `ForAllValues:` holds when every request value matches (and when the key is absent or empty),
 *   `ForAnyValue:` when at least one does (never when absent);
 * - policy variables (`${aws:PrincipalTag/team}`) in String and Arn values are filled from the request.
 */
import type { ConditionTest } from "./policy.ts";
import { arnMatches, wildcardMatch } from "./wildcards.ts";

export type ContextValue = string | readonly string[];

/** The request's condition keys; names are case-insensitive, as IAM's are. */
export class RequestContext {
  readonly #values = new Map<string, ContextValue>();

  constructor(values: Readonly<Record<string, ContextValue | undefined>> = {}) {
    for (const [key, value] of Object.entries(values)) if (value !== undefined) this.set(key, value);
  }

  set(key: string, value: ContextValue): void {
    this.#values.set(key.toLowerCase(), value);
  }

  get(key: string): ContextValue | undefined {
    return this.#values.get(key.toLowerCase());
  }

  entries(): [string, ContextValue][] {
    return [...this.#values.entries()];
  }
}

export class UnknownConditionOperatorError extends Error {
  override name = "UnknownConditionOperatorError";
}

type Compare = (policyValue: string, requestValue: string, context: RequestContext) => boolean;

const number = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));
const date = (text: string) => (/^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text));
const numeric =
  (test: (a: number, b: number) => boolean, parse: (text: string) => number): Compare =>
  (policy, request) => {
    const p = parse(policy);
    const r = parse(request);
    return !Number.isNaN(p) && !Number.isNaN(r) && test(r, p);
  };

/** Replaces `${key}` with the request's value; undefined when a key is missing (the value then matches nothing). */
export function substituteVariables(text: string, context: RequestContext): string | undefined {
  if (!text.includes("${")) return text;
  let missing = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    if (key === "*" || key === "?" || key === "$") return key;
    const value = context.get(key);
    if (typeof value !== "string") {
      missing = true;
      return "";
    }
    return value;
  });
  return missing ? undefined : out;
}

const withVariables =
  (compare: (policy: string, request: string) => boolean): Compare =>
  (policy, request, context) => {
    const filled = substituteVariables(policy, context);
    return filled !== undefined && compare(filled, request);
  };

function ipv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

const inCidr: Compare = (policy, request) => {
  const [base, bits = "32"] = policy.split("/");
  const network = ipv4(base ?? "");
  const address = ipv4(request);
  const size = Number(bits);
  if (network === undefined || address === undefined || !(size >= 0 && size <= 32)) return false;
  const block = 2 ** (32 - size);
  return Math.floor(network / block) === Math.floor(address / block);
};

/** Positive base operators; each negated one is its positive counterpart's complement. */
const POSITIVE: Readonly<Record<string, Compare>> = {
  StringEquals: withVariables((p, r) => p === r),
  StringEqualsIgnoreCase: withVariables((p, r) => p.toLowerCase() === r.toLowerCase()),
  StringLike: withVariables((p, r) => wildcardMatch(p, r)),
  NumericEquals: numeric((r, p) => r === p, number),
  NumericLessThan: numeric((r, p) => r < p, number),
  NumericLessThanEquals: numeric((r, p) => r <= p, number),
  NumericGreaterThan: numeric((r, p) => r > p, number),
  NumericGreaterThanEquals: numeric((r, p) => r >= p, number),
  DateEquals: numeric((r, p) => r === p, date),
  DateLessThan: numeric((r, p) => r < p, date),
  DateLessThanEquals: numeric((r, p) => r <= p, date),
  DateGreaterThan: numeric((r, p) => r > p, date),
  DateGreaterThanEquals: numeric((r, p) => r >= p, date),
  Bool: (p, r) => p.toLowerCase() === r.toLowerCase(),
  BinaryEquals: (p, r) => p === r,
  IpAddress: inCidr,
  ArnLike: withVariables(arnMatches),
  ArnEquals: withVariables(arnMatches),
};

const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  NumericNotEquals: "NumericEquals",
  DateNotEquals: "DateEquals",
  NotIpAddress: "IpAddress",
  ArnNotLike: "ArnLike",
  ArnNotEquals: "ArnEquals",
};

interface ParsedOperator {
  readonly set: "ForAllValues" | "ForAnyValue" | undefined;
  readonly base: string;
  readonly compare: Compare | undefined;
  readonly negated: boolean;
  readonly ifExists: boolean;
}

const parsedOperators = new Map<string, ParsedOperator>();

function parseOperator(operator: string): ParsedOperator {
  const known = parsedOperators.get(operator);
  if (known) return known;
  const [qualifier, rest] = operator.includes(":") ? operator.split(":", 2) : [undefined, operator];
  if (qualifier !== undefined && qualifier !== "ForAllValues" && qualifier !== "ForAnyValue") {
    throw new UnknownConditionOperatorError(`unknown condition set operator ${qualifier} in ${operator}`);
  }
  const name = rest as string;
  const ifExists = name.endsWith("IfExists") && name !== "IfExists";
  const base = ifExists ? name.slice(0, -"IfExists".length) : name;
  const negatedOf = NEGATED[base];
  const compare = base === "Null" ? undefined : POSITIVE[negatedOf ?? base];
  if (base !== "Null" && !compare)
    throw new UnknownConditionOperatorError(`unknown condition operator ${operator}`);
  const parsed: ParsedOperator = {
    set: qualifier,
    base,
    compare,
    negated: negatedOf !== undefined,
    ifExists,
  };
  parsedOperators.set(operator, parsed);
  return parsed;
}

/** Whether the operator is one the evaluator knows (a policy with another cannot be stored). */
export function checkOperator(operator: string): void {
  parseOperator(operator);
}

/** One request value against the policy's values: any matches (none, for a negated operator). */
function single(op: ParsedOperator, policyValues: readonly string[], value: string, context: RequestContext) {
  const compare = op.compare as Compare;
  const any = policyValues.some((p) => compare(p, value, context));
  return op.negated ? !any : any;
}

/** Whether one condition test holds for the request. */
export function conditionHolds(test: ConditionTest, context: RequestContext): boolean {
  const op = parseOperator(test.operator);
  const value = context.get(test.key);
  const values = value === undefined ? undefined : typeof value === "string" ? [value] : value;
  if (op.base === "Null") {
    // An empty list is a value: a key the request carries, with no members (as iam-simulate reads it).
    const absent = values === undefined;
    return test.values.some((p) => (p.toLowerCase() === "true") === absent);
  }
  if (op.set === "ForAllValues") {
    if (values === undefined || values.length === 0) return true;
    return values.every((v) => single(op, test.values, v, context));
  }
  if (op.set === "ForAnyValue") {
    if (values === undefined || values.length === 0) return false;
    return values.some((v) => single(op, test.values, v, context));
  }
  if (values === undefined || values.length === 0) return op.ifExists || op.negated;
  // A single-valued operator on a multivalued key: any of its values may satisfy it.
  return values.some((v) => single(op, test.values, v, context));
}
