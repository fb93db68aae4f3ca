/**
 * Intrinsic functions (`States.Format(...)` and friends) as AWS evaluates them in JSONPath states:
 * a small parser for the call syntax, and the functions with AWS's argument rules. Failures are
 * `States.IntrinsicFailure` (or `States.Runtime` for a path that selects nothing).
 */
import { createHash, randomInt, randomUUID } from "node:crypto";
import { StatesError, StatesErrors } from "./errors.ts";
import { isObject, type Json, jsonEquals, MAX_JSON_DEPTH, nestedDeeperThan, typeName } from "./json.ts";

export type IntrinsicArg =
  | { readonly kind: "literal"; readonly value: Json; readonly raw?: string }
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "call"; readonly call: IntrinsicCall };

export interface IntrinsicCall {
  readonly name: string;
  readonly args: readonly IntrinsicArg[];
}

const NAMES = new Set([
  "States.Format",
  "States.StringToJson",
  "States.JsonToString",
  "States.Array",
  "States.ArrayPartition",
  "States.ArrayContains",
  "States.ArrayRange",
  "States.ArrayGetItem",
  "States.ArrayLength",
  "States.ArrayUnique",
  "States.Base64Encode",
  "States.Base64Decode",
  "States.Hash",
  "States.JsonMerge",
  "States.MathRandom",
  "States.MathAdd",
  "States.StringSplit",
  "States.UUID",
]);

export function isIntrinsic(text: string): boolean {
  return /^\s*States\.[A-Za-z0-9]+\s*\(/.test(text);
}

const cache = new Map<string, IntrinsicCall>();

export function parseIntrinsic(text: string): IntrinsicCall {
  const hit = cache.get(text);
  if (hit) return hit;
  const p = new Parser(text);
  const call = p.call();
  p.blanks();
  if (p.pos !== text.length) throw p.error("unexpected text after the closing parenthesis");
  cache.set(text, call);
  return call;
}

class Parser {
  pos = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  error(what: string): StatesError {
    return new StatesError(StatesErrors.IntrinsicFailure, `Invalid intrinsic function ${this.text}: ${what}`);
  }
  blanks(): void {
    while (/\s/.test(this.text[this.pos] ?? "")) this.pos++;
  }
  call(): IntrinsicCall {
    this.blanks();
    const m = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.pos));
    if (!m) throw this.error("expected a function name");
    const name = m[0];
    if (!NAMES.has(name)) throw this.error(`unknown function ${name}`);
    this.pos += name.length;
    this.blanks();
    if (this.text[this.pos] !== "(") throw this.error("expected '('");
    this.pos++;
    const args: IntrinsicArg[] = [];
    this.blanks();
    if (this.text[this.pos] === ")") {
      this.pos++;
      return { name, args };
    }
    for (;;) {
      args.push(this.arg());
      this.blanks();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ")") return { name, args };
      if (c !== ",") throw this.error("expected ',' or ')'");
    }
  }
  arg(): IntrinsicArg {
    this.blanks();
    const rest = this.text.slice(this.pos);
    const c = rest[0];
    if (c === "'") {
      this.pos++;
      let out = "";
      let raw = "";
      for (;;) {
        const ch = this.text[this.pos];
        if (ch === undefined) throw this.error("unterminated string");
        if (ch === "\\") {
          const next = this.text[this.pos + 1];
          if (next === undefined) throw this.error("unterminated string");
          // \' \{ \} \\ are escapes; `raw` keeps the backslash before { } so Format can tell them apart.
          out += next;
          raw += next === "{" || next === "}" ? `\\${next}` : next;
          this.pos += 2;
          continue;
        }
        if (ch === "'") {
          this.pos++;
          return { kind: "literal", value: out, raw };
        }
        out += ch;
        raw += ch;
        this.pos++;
      }
    }
    if (rest.startsWith("States.")) return { kind: "call", call: this.call() };
    if (c === "$") {
      let depth = 0;
      let inQuote: string | undefined;
      const start = this.pos;
      while (this.pos < this.text.length) {
        const ch = this.text[this.pos] as string;
        if (inQuote) {
          // A quoted name may hold its own quote escaped (`$['a\'b']`): the escape never closes it.
          if (ch === "\\") this.pos++;
          else if (ch === inQuote) inQuote = undefined;
        } else if (ch === "'" || ch === '"') inQuote = ch;
        else if (ch === "[" || ch === "(") depth++;
        else if (ch === "]" || (ch === ")" && depth > 0)) depth--;
        else if ((ch === "," || ch === ")") && depth === 0) break;
        this.pos++;
      }
      return { kind: "path", path: this.text.slice(start, this.pos).trim() };
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(rest);
    if (m) {
      this.pos += m[0].length;
      return { kind: "literal", value: JSON.parse(m[0]) as Json };
    }
    throw this.error(`unexpected argument at position ${this.pos}`);
  }
}

/** Resolves a `$...`, `$$...` or `$variable...` argument. */
export type PathResolver = (path: string) => Json;

export function evaluateIntrinsic(call: IntrinsicCall, resolve: PathResolver): Json {
  const args = call.args.map((a) => evalArg(a, resolve));
  const first = call.args[0];
  if (call.name === "States.Format" && first?.kind === "literal" && first.raw !== undefined) {
    return format(first.raw, args.slice(1));
  }
  return apply(call.name, args);
}

function evalArg(a: IntrinsicArg, resolve: PathResolver): Json {
  if (a.kind === "literal") return a.value;
  if (a.kind === "path") return resolve(a.path);
  return evaluateIntrinsic(a.call, resolve);
}

function fail(cause: string): never {
  throw new StatesError(StatesErrors.IntrinsicFailure, cause);
}

function str(name: string, v: Json | undefined, i: number): string {
  if (typeof v !== "string")
    fail(`The ${ordinal(i)} argument of ${name} must be a string, but was ${typeName(v)}`);
  return v;
}
function num(name: string, v: Json | undefined, i: number): number {
  if (typeof v !== "number")
    fail(`The ${ordinal(i)} argument of ${name} must be a number, but was ${typeName(v)}`);
  return v;
}
function int(name: string, v: Json | undefined, i: number): number {
  const n = num(name, v, i);
  // AWS reads these as Java integers: a fraction, or a number past what a long holds exactly, is not one.
  if (!Number.isSafeInteger(n))
    fail(`The ${ordinal(i)} argument of ${name} must be an integer, but was ${n}`);
  return n;
}
/**
 * An argument AWS documents as an integer that it rounds when it is not one ("If you specify a
 * non-integer value ..., Step Functions will round it off to the nearest integer", Developer Guide,
 * "Intrinsic functions": States.ArrayPartition's chunk size, States.ArrayRange, States.MathRandom,
 * States.MathAdd). Rounding is Java's Math.round (half up: 2.5 -> 3, -2.5 -> -2), as AWS's
 * recorded States.MathAdd cases show. A number a Java long cannot hold exactly is refused.
 */
function rounded(name: string, v: Json | undefined, i: number): number {
  const n = Math.floor(num(name, v, i) + 0.5);
  if (!Number.isSafeInteger(n))
    fail(`The ${ordinal(i)} argument of ${name} must be an integer, but was ${v as number}`);
  return n;
}
/** States.MathAdd's operands: "integer values in the range of -2147483648 and 2147483647". */
const INT32 = { min: -2_147_483_648, max: 2_147_483_647 } as const;
function int32(name: string, v: Json | undefined, i: number): number {
  const n = rounded(name, v, i);
  if (n < INT32.min || n > INT32.max)
    fail(
      `The ${ordinal(i)} argument of ${name} must be an integer from ${INT32.min} to ${INT32.max}, but was ${v as number}`,
    );
  return n;
}
function arr(name: string, v: Json | undefined, i: number): Json[] {
  if (!Array.isArray(v))
    fail(`The ${ordinal(i)} argument of ${name} must be an array, but was ${typeName(v)}`);
  return v;
}
function ordinal(i: number): string {
  return ["first", "second", "third", "fourth", "fifth"][i] ?? `#${i + 1}`;
}
function arity(name: string, args: Json[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    fail(
      `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, but ${args.length} were given`,
    );
  }
}

/** How AWS (Java) prints a value inside a formatted string: objects as `{k=v, ...}`, arrays as `[a, b]`. */
function formatArg(v: Json): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return `[${v.map(formatArg).join(", ")}]`;
  if (isObject(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${formatArg(x)}`)
      .join(", ")}}`;
  return JSON.stringify(v);
}

/** Fills `{}` placeholders in order; `\\{` and `\\}` are literal braces. */
function format(template: string, values: Json[]): string {
  let out = "";
  let used = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === "\\" && (template[i + 1] === "{" || template[i + 1] === "}")) {
      out += template[i + 1];
      i++;
    } else if (c === "{" && template[i + 1] === "}") {
      if (used >= values.length) {
        fail("Number of arguments in States.Format does not match the number of {} placeholders");
      }
      out += formatArg(values[used++] as Json);
      i++;
    } else out += c;
  }
  if (used !== values.length)
    fail("Number of arguments in States.Format does not match the number of {} placeholders");
  return out;
}

/** A uniform number in [0, 1) from 53 random bits: any range of safe integers can be scaled from it. */
function randomUnit(): number {
  return (randomInt(2 ** 26) * 2 ** 27 + randomInt(2 ** 27)) / 2 ** 53;
}

/** The same number in [0, 1) for the same seed (a SplitMix-style mix of the seed's 32-bit halves). */
function seededUnit(seed: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.floor(seed / 2 ** 32);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

export function apply(name: string, args: Json[]): Json {
  switch (name) {
    case "States.Format": {
      if (args.length < 1) fail("States.Format needs a template");
      const template = args[0];
      if (typeof template !== "string") fail("The first argument of States.Format must be a string");
      return format(template, args.slice(1));
    }
    case "States.StringToJson": {
      arity(name, args, 1);
      const s = str(name, args[0], 0);
      if (s.trim() === "") return null;
      let parsed: Json;
      try {
        parsed = JSON.parse(s) as Json;
      } catch {
        return fail(`The argument of States.StringToJson is not valid JSON: ${s}`);
      }
      // A string of any depth fits the payload limits; what it parses to must fit them too.
      if (nestedDeeperThan(parsed)) {
        return fail(`The argument of States.StringToJson nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
      }
      return parsed;
    }
    case "States.JsonToString":
      arity(name, args, 1);
      return JSON.stringify(args[0]);
    case "States.Array":
      return args.slice();
    case "States.ArrayPartition": {
      arity(name, args, 2);
      const a = arr(name, args[0], 0);
      const size = rounded(name, args[1], 1);
      if (size <= 0) fail("The chunk size argument of States.ArrayPartition must be greater than 0");
      const out: Json[] = [];
      for (let i = 0; i < a.length; i += size) out.push(a.slice(i, i + size));
      return out;
    }
    case "States.ArrayContains": {
      arity(name, args, 2);
      const a = arr(name, args[0], 0);
      return a.some((x) => jsonEquals(x, args[1]));
    }
    case "States.ArrayRange": {
      arity(name, args, 3);
      const start = rounded(name, args[0], 0);
      const end = rounded(name, args[1], 1);
      const stepBy = rounded(name, args[2], 2);
      if (stepBy === 0) fail("The step argument of States.ArrayRange must not be 0");
      const out: number[] = [];
      if (stepBy > 0) for (let i = start; i <= end; i += stepBy) out.push(i);
      else for (let i = start; i >= end; i += stepBy) out.push(i);
      if (out.length > 1000) fail("States.ArrayRange cannot produce more than 1000 items");
      return out;
    }
    case "States.ArrayGetItem": {
      arity(name, args, 2);
      const a = arr(name, args[0], 0);
      const i = int(name, args[1], 1);
      if (i < 0 || i >= a.length) fail(`Index ${i} is out of bounds for an array of length ${a.length}`);
      return a[i] as Json;
    }
    case "States.ArrayLength":
      arity(name, args, 1);
      return arr(name, args[0], 0).length;
    case "States.ArrayUnique": {
      arity(name, args, 1);
      const out: Json[] = [];
      for (const x of arr(name, args[0], 0)) if (!out.some((y) => jsonEquals(x, y))) out.push(x);
      return out;
    }
    case "States.Base64Encode": {
      arity(name, args, 1);
      const s = str(name, args[0], 0);
      if (s.length > 10_000) fail("The input of States.Base64Encode exceeds 10000 characters");
      return Buffer.from(s, "utf8").toString("base64");
    }
    case "States.Base64Decode": {
      arity(name, args, 1);
      const s = str(name, args[0], 0);
      if (s.length > 10_000) fail("The input of States.Base64Decode exceeds 10000 characters");
      return Buffer.from(s, "base64").toString("utf8");
    }
    case "States.Hash": {
      arity(name, args, 2);
      const data = args[0];
      if (data === null || data === undefined) fail("The first argument of States.Hash must not be null");
      const text = typeof data === "string" ? data : JSON.stringify(data);
      const algorithm = str(name, args[1], 1);
      const algo = {
        MD5: "md5",
        "SHA-1": "sha1",
        "SHA-256": "sha256",
        "SHA-384": "sha384",
        "SHA-512": "sha512",
      }[algorithm];
      if (!algo)
        fail(
          `The hash algorithm ${algorithm} is not supported. Supported: MD5, SHA-1, SHA-256, SHA-384, SHA-512`,
        );
      if (text.length > 10_000) fail("The input of States.Hash exceeds 10000 characters");
      return createHash(algo).update(text, "utf8").digest("hex");
    }
    case "States.JsonMerge": {
      arity(name, args, 3);
      const a = args[0];
      const b = args[1];
      if (!isObject(a))
        fail(`The first argument of States.JsonMerge must be an object, but was ${typeName(a)}`);
      if (!isObject(b))
        fail(`The second argument of States.JsonMerge must be an object, but was ${typeName(b)}`);
      if (args[2] !== false)
        fail("States.JsonMerge supports only a shallow merge: the third argument must be false");
      return { ...a, ...b };
    }
    case "States.MathRandom": {
      arity(name, args, 2, 3);
      const start = rounded(name, args[0], 0);
      const end = rounded(name, args[1], 1);
      // From start (inclusive) to end (exclusive); the seed is optional and, given, fixes the number.
      if (end <= start) fail("The end of States.MathRandom must be greater than its start");
      const unit = args.length === 3 ? seededUnit(rounded(name, args[2], 2)) : randomUnit();
      return start + Math.floor(unit * (end - start));
    }
    case "States.MathAdd": {
      arity(name, args, 2);
      return int32(name, args[0], 0) + int32(name, args[1], 1);
    }
    case "States.StringSplit": {
      arity(name, args, 2);
      const s = str(name, args[0], 0);
      const delims = str(name, args[1], 1);
      if (delims === "") return [s];
      const chars = new Set(delims);
      const out: string[] = [];
      let cur = "";
      for (const ch of s) {
        if (chars.has(ch)) {
          if (cur !== "") out.push(cur);
          cur = "";
        } else cur += ch;
      }
      if (cur !== "") out.push(cur);
      return out;
    }
    case "States.UUID":
      arity(name, args, 0);
      return randomUUID();
    default:
      return fail(`Unknown intrinsic function ${name}`);
  }
}
