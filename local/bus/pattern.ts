/**
 * EventBridge's event-pattern language: parsing with AWS's validation (and its error messages), and
 * compilation into predicates that run on a flattened event. A pattern compiles once into a list of
 * alternatives (the disjunctive form of its `$or`s); each alternative is a list of field conditions
 * that must all hold. `ruleset.ts` indexes many compiled patterns.
 */
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../engine/json.ts";
import { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from "./wildcard-complexity.ts";

export class InvalidEventPatternException extends Error {
  override name = "InvalidEventPatternException";
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
  }
}

/** A JSON leaf value as the matcher sees it. */
export type Leaf = string | number | boolean | null;

/** One way a single value can satisfy a field: exact, prefix, numeric, ... */
export interface ValueMatcher {
  readonly kind:
    | "exact"
    | "prefix"
    | "suffix"
    | "equals-ignore-case"
    | "wildcard"
    | "anything-but"
    | "numeric"
    | "exists"
    | "cidr";
  /** For `exact`: the value; for `equals-ignore-case`: the lower-cased string; for `prefix`: the prefix. */
  readonly value?: Leaf;
  /** For `prefix`: whether it ignores case (the value is then lower-cased). */
  readonly ignoreCase?: boolean;
  /** For `exists`: whether the field must exist. */
  readonly exists?: boolean;
  /** The wildcard patterns it matches with (`wildcard`, and `anything-but` of wildcards): their complexity is bounded. */
  readonly wildcards?: readonly string[];
  readonly test: (value: Leaf) => boolean;
}

/** All of a field's matchers; the field holds when any of them matches any of its values. */
export interface FieldCondition {
  /** Dot-joined path from the event root, e.g. `detail.state`. */
  readonly path: string;
  readonly matchers: readonly ValueMatcher[];
  /** True when the condition also holds for an absent field (an `exists: false` alternative). */
  readonly matchesAbsent: boolean;
}

export type Alternative = readonly FieldCondition[];

export interface CompiledPattern {
  readonly alternatives: readonly Alternative[];
  /** Every path any alternative reads. */
  readonly paths: ReadonlySet<string>;
}

/** An event flattened to `path -> leaf values` (array elements contribute to the same path). */
export type FlatEvent = Map<string, Leaf[]>;

const MAX_PATTERN_LENGTH = 4096 * 1024;
const MAX_PATTERN_DEPTH = MAX_JSON_DEPTH;

/** Parses (if text) and compiles a pattern, throwing `InvalidEventPatternException` as AWS does. */
export function compilePattern(pattern: unknown): CompiledPattern {
  const value = typeof pattern === "string" ? parsePatternText(pattern) : pattern;
  if (!isObject(value)) throw new InvalidEventPatternException("Filter is not an object");
  // Compiling recurses per level; no pattern the API accepts (4,096 characters) comes near this.
  if (nestedDeeperThan(value, MAX_PATTERN_DEPTH)) {
    throw new InvalidEventPatternException(`Event pattern is nested deeper than ${MAX_PATTERN_DEPTH} levels`);
  }
  const alternatives = compileObject(value, "");
  if (alternatives.length === 0) throw new InvalidEventPatternException("Empty pattern");
  checkWildcardComplexity(alternatives);
  const paths = new Set<string>();
  for (const alternative of alternatives) for (const condition of alternative) paths.add(condition.path);
  return { alternatives, paths };
}

/** Refuses a pattern whose wildcards on one field are too complex (see wildcard-complexity.ts). */
function checkWildcardComplexity(alternatives: readonly Alternative[]): void {
  const byPath = new Map<string, Set<ValueMatcher>>();
  for (const alternative of alternatives) {
    for (const condition of alternative) {
      for (const matcher of condition.matchers) {
        if (matcher.wildcards === undefined) continue;
        const set = byPath.get(condition.path) ?? new Set<ValueMatcher>();
        set.add(matcher);
        byPath.set(condition.path, set);
      }
    }
  }
  for (const matchers of byPath.values()) {
    const patterns = new Set<string>();
    for (const m of matchers) for (const w of m.wildcards ?? []) patterns.add(w);
    if (wildcardComplexity([...patterns]) > MAX_WILDCARD_COMPLEXITY) {
      throw new InvalidEventPatternException(
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
      );
    }
  }
}

function parsePatternText(text: string): unknown {
  if (text.length > MAX_PATTERN_LENGTH) throw new InvalidEventPatternException("Event pattern is too long");
  try {
    return JSON.parse(text);
  } catch (error) {
    const token = /^\s*([A-Za-z_]\w*)/.exec(text)?.[1] ?? text.replace(/^.*?:\s*/, "").split(/\s/)[0] ?? "";
    throw new InvalidEventPatternException(
      `Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') (${(error as Error).message})`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Compiles an object level of a pattern into its alternatives (cartesian product over `$or`s). */
function compileObject(object: Record<string, unknown>, prefix: string): Alternative[] {
  let alternatives: Alternative[] = [[]];
  const keys = Object.keys(object);
  if (keys.length === 0) throw new InvalidEventPatternException("Empty objects are not allowed");
  for (const key of keys) {
    const value = object[key];
    const path = prefix === "" ? key : `${prefix}.${key}`;
    let options: Alternative[];
    if (key === "$or" && Array.isArray(value)) {
      options = compileOr(value, prefix);
    } else if (Array.isArray(value)) {
      options = [[compileField(path, value)]];
    } else if (isObject(value)) {
      options = compileObject(value, path);
    } else {
      throw new InvalidEventPatternException(
        `Match value must be String, number, true, false, or null (field "${path}" must be an object or an array)`,
      );
    }
    const next: Alternative[] = [];
    for (const left of alternatives) for (const right of options) next.push([...left, ...right]);
    alternatives = next;
    if (alternatives.length > 1024) {
      throw new InvalidEventPatternException("Rule is too complex - try using fewer $or combinations");
    }
  }
  return alternatives;
}

function compileOr(items: unknown[], prefix: string): Alternative[] {
  if (items.length < 2) {
    throw new InvalidEventPatternException("Or relationship: must have at least two sub-patterns");
  }
  const options: Alternative[] = [];
  for (const item of items) {
    if (!isObject(item)) throw new InvalidEventPatternException("Or relationship: items must be objects");
    options.push(...compileObject(item, prefix));
  }
  return options;
}

function compileField(path: string, items: unknown[]): FieldCondition {
  if (items.length === 0) throw new InvalidEventPatternException("Empty arrays are not allowed");
  const matchers: ValueMatcher[] = [];
  for (const item of items) {
    if (isObject(item)) matchers.push(compileOperator(item));
    else if (Array.isArray(item)) {
      throw new InvalidEventPatternException(
        `Match value must be String, number, true, false, or null (found an array in "${path}")`,
      );
    } else matchers.push(exactMatcher(item as Leaf));
  }
  return { path, matchers, matchesAbsent: matchers.some((m) => m.kind === "exists" && m.exists === false) };
}

export function exactMatcher(value: Leaf): ValueMatcher {
  return { kind: "exact", value, test: (v) => v === value };
}

function compileOperator(object: Record<string, unknown>): ValueMatcher {
  const keys = Object.keys(object);
  if (keys.length !== 1) {
    throw new InvalidEventPatternException(
      keys.length === 0 ? "Empty objects are not allowed" : `Only one match type allowed per object: ${keys}`,
    );
  }
  const key = keys[0] as string;
  const value = object[key];
  switch (key) {
    case "prefix":
      return affixMatcher("prefix", value);
    case "suffix":
      return affixMatcher("suffix", value);
    case "equals-ignore-case": {
      if (typeof value !== "string") {
        throw new InvalidEventPatternException("equals-ignore-case match pattern must be a string");
      }
      const lower = value.toLowerCase();
      return {
        kind: "equals-ignore-case",
        value: lower,
        test: (v) => typeof v === "string" && v.toLowerCase() === lower,
      };
    }
    case "wildcard": {
      if (typeof value !== "string")
        throw new InvalidEventPatternException("wildcard match pattern must be a string");
      const re = wildcardRegExp(value);
      return { kind: "wildcard", wildcards: [value], test: (v) => typeof v === "string" && re.test(v) };
    }
    case "anything-but":
      return anythingBut(value);
    case "numeric":
      return numericMatcher(value);
    case "exists":
      if (typeof value !== "boolean")
        throw new InvalidEventPatternException("exists match pattern must be either true or false.");
      return { kind: "exists", exists: value, test: () => value };
    case "cidr":
      return cidrMatcher(value);
    default:
      throw new InvalidEventPatternException(`Unrecognized match type ${key}`);
  }
}

function affixMatcher(kind: "prefix" | "suffix", value: unknown): ValueMatcher {
  if (isObject(value)) {
    const keys = Object.keys(value);
    const inner = value["equals-ignore-case"];
    if (keys.length !== 1 || typeof inner !== "string") {
      throw new InvalidEventPatternException(`${kind} match pattern must be a string`);
    }
    const lower = inner.toLowerCase();
    const test =
      kind === "prefix"
        ? (v: Leaf) => typeof v === "string" && v.toLowerCase().startsWith(lower)
        : (v: Leaf) => typeof v === "string" && v.toLowerCase().endsWith(lower);
    return { kind, value: lower, ignoreCase: true, test };
  }
  if (typeof value !== "string")
    throw new InvalidEventPatternException(`${kind} match pattern must be a string`);
  const test =
    kind === "prefix"
      ? (v: Leaf) => typeof v === "string" && v.startsWith(value)
      : (v: Leaf) => typeof v === "string" && v.endsWith(value);
  return { kind, value, ignoreCase: false, test };
}

/** AWS wildcards: `*` matches any run of characters; `\*` and `\\` escape; `**` is refused. */
export function wildcardRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next !== "*" && next !== "\\") {
        throw new InvalidEventPatternException(`Invalid escape character at pos ${i}`);
      }
      source += `\\${next}`;
      i++;
    } else if (c === "*") {
      if (pattern[i + 1] === "*")
        throw new InvalidEventPatternException(`Consecutive wildcard characters at pos ${i + 1}`);
      source += "[\\s\\S]*";
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}

function anythingBut(value: unknown): ValueMatcher {
  const kind = "anything-but";
  if (typeof value === "string" || typeof value === "number") {
    return { kind, test: (v) => v !== value };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) throw new InvalidEventPatternException("Empty arrays are not allowed");
    for (const item of value) {
      if (typeof item !== "string" && typeof item !== "number") {
        throw new InvalidEventPatternException(
          "Inside anything but list, start|null|boolean is not supported.",
        );
      }
    }
    const excluded = new Set<Leaf>(value as Leaf[]);
    return { kind, test: (v) => !excluded.has(v) };
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1)
      throw new InvalidEventPatternException("Inside anything-but, only one match type allowed");
    const key = keys[0] as string;
    const inner = value[key];
    const list = Array.isArray(inner) ? inner : [inner];
    if (Array.isArray(inner) && inner.length === 0)
      throw new InvalidEventPatternException("Empty arrays are not allowed");
    switch (key) {
      case "prefix":
      case "suffix": {
        for (const item of list) {
          if (typeof item !== "string")
            throw new InvalidEventPatternException("prefix/suffix match pattern must be a string");
          if (item === "") throw new InvalidEventPatternException("Null prefix/suffix not allowed");
        }
        const affixes = list as string[];
        const hit =
          key === "prefix"
            ? (v: string) => affixes.some((a) => v.startsWith(a))
            : (v: string) => affixes.some((a) => v.endsWith(a));
        return { kind, test: (v) => typeof v !== "string" || !hit(v) };
      }
      case "equals-ignore-case": {
        for (const item of list) {
          if (typeof item !== "string") {
            throw new InvalidEventPatternException(
              "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
            );
          }
        }
        const lowered = new Set((list as string[]).map((s) => s.toLowerCase()));
        return { kind, test: (v) => typeof v !== "string" || !lowered.has(v.toLowerCase()) };
      }
      case "wildcard": {
        const res = list.map((item) => {
          if (typeof item !== "string")
            throw new InvalidEventPatternException("wildcard match pattern must be a string");
          return wildcardRegExp(item);
        });
        return {
          kind,
          wildcards: list as string[],
          test: (v) => typeof v !== "string" || !res.some((re) => re.test(v)),
        };
      }
      default:
        throw new InvalidEventPatternException(`Unsupported anything-but pattern: ${key}`);
    }
  }
  throw new InvalidEventPatternException(
    "Value of anything-but must be an array or single string/number value.",
  );
}

const LOWER = new Set([">", ">="]);
const UPPER = new Set(["<", "<="]);

function numericMatcher(value: unknown): ValueMatcher {
  if (!Array.isArray(value)) throw new InvalidEventPatternException("Value of numeric must be an array.");
  if (value.length === 0) throw new InvalidEventPatternException("Empty arrays are not allowed");
  const checks: ((n: number) => boolean)[] = [];
  let seenLower = false;
  let seenUpper = false;
  let seenEquals = false;
  for (let i = 0; i < value.length; i += 2) {
    const op = value[i];
    if (typeof op !== "string")
      throw new InvalidEventPatternException(`Bad numeric range operator: ${String(op)}`);
    const bad =
      (op === "=" && (i > 0 || value.length > 2)) ||
      (LOWER.has(op) && (seenLower || seenEquals)) ||
      (UPPER.has(op) && (seenUpper || seenEquals)) ||
      (op !== "=" && !LOWER.has(op) && !UPPER.has(op));
    if (bad) throw new InvalidEventPatternException(`Bad numeric range operator: ${op}`);
    const operand = value[i + 1];
    if (typeof operand !== "number" || !Number.isFinite(operand)) {
      throw new InvalidEventPatternException(`Value of ${op} must be numeric`);
    }
    if (operand < -5e9 || operand > 5e9) {
      throw new InvalidEventPatternException(`Value of ${op} must be between -5.0E9 and 5.0E9 inclusive`);
    }
    if (op === "=") {
      seenEquals = true;
      checks.push((n) => n === operand);
    } else if (op === ">") {
      seenLower = true;
      checks.push((n) => n > operand);
    } else if (op === ">=") {
      seenLower = true;
      checks.push((n) => n >= operand);
    } else if (op === "<") {
      seenUpper = true;
      checks.push((n) => n < operand);
    } else {
      seenUpper = true;
      checks.push((n) => n <= operand);
    }
  }
  const [first, second] = checks;
  const test =
    second && first
      ? (v: Leaf) => typeof v === "number" && first(v) && second(v)
      : first
        ? (v: Leaf) => typeof v === "number" && first(v)
        : () => false;
  return { kind: "numeric", test };
}

function cidrMatcher(value: unknown): ValueMatcher {
  if (typeof value !== "string")
    throw new InvalidEventPatternException("prefix match pattern must be a string");
  const slash = value.indexOf("/");
  const address = slash < 0 ? value : value.slice(0, slash);
  const parsed = parseIp(address);
  if (!parsed) throw new InvalidEventPatternException(`Nonstandard IP address: ${address}`);
  const bits = parsed.v6 ? 128 : 32;
  const length = slash < 0 ? bits : Number(value.slice(slash + 1));
  if (
    !Number.isInteger(length) ||
    length < 0 ||
    length > bits ||
    !/^\d+$/.test(value.slice(slash + 1) || "0")
  ) {
    throw new InvalidEventPatternException(`Nonstandard IP address: ${value}`);
  }
  const shift = BigInt(bits - length);
  const network = parsed.value >> shift;
  return {
    kind: "cidr",
    test: (v) => {
      if (typeof v !== "string") return false;
      const ip = parseIp(v);
      return ip !== undefined && ip.v6 === parsed.v6 && ip.value >> shift === network;
    },
  };
}

/** Parses an IPv4 or IPv6 address (IPv6 with `::` and an embedded IPv4 tail) into its bits. */
export function parseIp(text: string): { v6: boolean; value: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    let value = 0n;
    for (const part of text.split(".")) {
      const n = Number(part);
      if (n > 255) return undefined;
      value = (value << 8n) | BigInt(n);
    }
    return { v6: false, value };
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIp(piece);
        if (!v4 || v4.v6) return undefined;
        groups.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) groups.push(Number.parseInt(piece, 16));
      else return undefined;
    }
    return groups;
  };
  const head = parseGroups(halves[0] as string);
  const tail = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const group of [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail]) {
    value = (value << 16n) | BigInt(group);
  }
  return { v6: true, value };
}

/** Whether one field condition holds for the values found at its path (undefined: absent). */
export function conditionHolds(condition: FieldCondition, values: readonly Leaf[] | undefined): boolean {
  if (values === undefined || values.length === 0) return condition.matchesAbsent;
  for (const matcher of condition.matchers) {
    if (matcher.kind === "exists") {
      if (matcher.exists) return true;
      continue;
    }
    for (const value of values) if (matcher.test(value)) return true;
  }
  return false;
}

export function alternativeHolds(alternative: Alternative, event: FlatEvent): boolean {
  for (const condition of alternative) {
    if (!conditionHolds(condition, event.get(condition.path))) return false;
  }
  return true;
}

/**
 * Flattens an event into `path -> leaf values`. With `wanted` (the set of paths rules read and
 * their dot-boundary prefixes), only those branches are walked.
 */
export function flattenEvent(event: unknown, wanted?: ReadonlySet<string>): FlatEvent {
  const out: FlatEvent = new Map();
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, path);
      return;
    }
    if (isObject(value)) {
      for (const key in value) {
        const child = path === "" ? key : `${path}.${key}`;
        if (wanted && !wanted.has(child)) continue;
        walk(value[key], child);
      }
      return;
    }
    if (path === "") return;
    const leaf = value as Leaf;
    const list = out.get(path);
    if (list) list.push(leaf);
    else out.set(path, [leaf]);
  };
  walk(event, "");
  return out;
}

/** The paths and their dot-boundary prefixes, for `flattenEvent`'s `wanted`. */
export function pathsWithPrefixes(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    out.add(path);
    for (let i = path.indexOf("."); i >= 0; i = path.indexOf(".", i + 1)) out.add(path.slice(0, i));
  }
  return out;
}

/** Matches one compiled pattern against an event. */
export function matchesCompiled(pattern: CompiledPattern, event: unknown): boolean {
  const flat = flattenEvent(event, pathsWithPrefixes(pattern.paths));
  return pattern.alternatives.some((alternative) => alternativeHolds(alternative, flat));
}

export class InvalidEventError extends Error {
  override name = "ValidationException";
}

const REQUIRED_EVENT_FIELDS = ["id", "account", "source", "time", "region", "detail-type"] as const;

/** TestEventPattern's check of the event: a JSON object with the envelope's required fields. */
export function validateTestEvent(event: unknown): Record<string, unknown> {
  const value = typeof event === "string" ? safeParse(event) : event;
  if (!isObject(value)) throw new InvalidEventError("Parameter Event is not valid.");
  for (const field of REQUIRED_EVENT_FIELDS) {
    if (!(field in value)) throw new InvalidEventError("Parameter Event is not valid.");
  }
  return value;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidEventError("Parameter Event is not valid.");
  }
}

/** TestEventPattern: validates both, then matches. */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  const compiled = compilePattern(pattern);
  return matchesCompiled(compiled, validateTestEvent(event));
}
