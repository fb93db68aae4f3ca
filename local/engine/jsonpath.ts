/**
 * JSONPath with the semantics Step Functions uses (Jayway): a *definite* path (fields and indexes
 * only) selects one value or fails; an *indefinite* path (wildcards, deep scan, slices, unions,
 * filters) selects a list, possibly empty. Compiled paths are cached.
 */
import { isObject, type Json, type JsonObject, jsonEquals, setOwn } from "./json.ts";

export type Segment =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "wildcard" }
  | { readonly kind: "deep"; readonly name: string | undefined }
  | { readonly kind: "union"; readonly keys: readonly (string | number)[] }
  | { readonly kind: "slice"; readonly start?: number; readonly end?: number; readonly step?: number }
  | { readonly kind: "filter"; readonly expr: FilterExpr }
  | { readonly kind: "function"; readonly name: string };

type FilterExpr =
  | { readonly kind: "path"; readonly path: CompiledPath; readonly root: "@" | "$" }
  | { readonly kind: "literal"; readonly value: Json | RegExp }
  | { readonly kind: "not"; readonly expr: FilterExpr }
  | { readonly kind: "binary"; readonly op: string; readonly left: FilterExpr; readonly right: FilterExpr };

export interface CompiledPath {
  readonly text: string;
  readonly segments: readonly Segment[];
  readonly definite: boolean;
  /** Jayway's normalized rendering, e.g. `$['a'][0]`. */
  readonly normalized: string;
}

export class JsonPathSyntaxError extends Error {
  override name = "JsonPathSyntaxError";
}

const cache = new Map<string, CompiledPath>();

/** Compiles a path that starts with `$` (the root symbol is not part of the segments). */
export function compilePath(text: string): CompiledPath {
  const hit = cache.get(text);
  if (hit) return hit;
  const parser = new PathParser(text);
  const compiled = parser.parseRooted();
  if (cache.size > 10_000) cache.clear();
  cache.set(text, compiled);
  return compiled;
}

/**
 * The character an escape in a quoted name stands for, as Jayway unescapes it: `\'`, `\"`, `\\`,
 * `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX`; any other escaped character stands for itself.
 */
function readEscape(s: string, at: number): { text: string; end: number } {
  const c = s[at] as string;
  const simple: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
  if (c === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(at + 1, at + 5))) {
    return { text: String.fromCharCode(Number.parseInt(s.slice(at + 1, at + 5), 16)), end: at + 5 };
  }
  return { text: simple[c] ?? c, end: at + 1 };
}

class PathParser {
  pos = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  parseRooted(): CompiledPath {
    const t = this.text.trim();
    if (!t.startsWith("$")) throw new JsonPathSyntaxError(`JSONPath must start with '$': ${this.text}`);
    this.pos = this.text.indexOf("$") + 1;
    const segments = this.parseSegments(false);
    return finish(this.text, segments);
  }

  parseSegments(inFilter: boolean): Segment[] {
    const segments: Segment[] = [];
    const s = this.text;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === ".") {
        if (s[this.pos + 1] === ".") {
          this.pos += 2;
          if (s[this.pos] === "*") {
            this.pos++;
            segments.push({ kind: "deep", name: undefined });
          } else if (s[this.pos] === "[") {
            segments.push({ kind: "deep", name: undefined });
          } else {
            segments.push({ kind: "deep", name: this.readName() });
          }
          continue;
        }
        this.pos++;
        if (s[this.pos] === "*") {
          this.pos++;
          segments.push({ kind: "wildcard" });
          continue;
        }
        const name = this.readName();
        if (s[this.pos] === "(" && s[this.pos + 1] === ")") {
          this.pos += 2;
          segments.push({ kind: "function", name });
          continue;
        }
        segments.push({ kind: "field", name });
        continue;
      }
      if (c === "[") {
        segments.push(this.readBracket());
        continue;
      }
      if (inFilter) break;
      if (c === " " || c === "\t" || c === "\n") {
        // Trailing blanks are tolerated.
        if (s.slice(this.pos).trim() === "") {
          this.pos = s.length;
          break;
        }
      }
      throw new JsonPathSyntaxError(`Unexpected character '${c}' at position ${this.pos} in JSONPath ${s}`);
    }
    return segments;
  }

  readName(): string {
    const s = this.text;
    const start = this.pos;
    while (this.pos < s.length && !".[( )=!<>&|,".includes(s[this.pos] as string)) this.pos++;
    if (this.pos === start) throw new JsonPathSyntaxError(`Empty field name at position ${start} in ${s}`);
    return s.slice(start, this.pos);
  }

  skipBlanks(): void {
    while (this.text[this.pos] === " ") this.pos++;
  }

  readBracket(): Segment {
    const s = this.text;
    this.pos++; // [
    this.skipBlanks();
    if (s[this.pos] === "?") {
      this.pos++;
      this.skipBlanks();
      if (s[this.pos] !== "(") throw new JsonPathSyntaxError(`Expected '(' after '?' in ${s}`);
      this.pos++;
      const expr = this.parseOr();
      this.skipBlanks();
      if (s[this.pos] !== ")") throw new JsonPathSyntaxError(`Expected ')' in filter of ${s}`);
      this.pos++;
      this.skipBlanks();
      this.expect("]");
      return { kind: "filter", expr };
    }
    if (s[this.pos] === "*") {
      this.pos++;
      this.skipBlanks();
      this.expect("]");
      return { kind: "wildcard" };
    }
    const keys: (string | number)[] = [];
    let slice: number[] | undefined;
    for (;;) {
      this.skipBlanks();
      const c = s[this.pos];
      if (c === "'" || c === '"') {
        keys.push(this.readQuoted());
      } else if (c === ":" || c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
        const parts = this.readSliceOrIndex();
        if (parts.length > 1) slice = parts.map((p) => (p === undefined ? Number.NaN : p)) as number[];
        else keys.push(parts[0] as number);
      } else {
        throw new JsonPathSyntaxError(`Unexpected character '${c}' in brackets of ${s}`);
      }
      this.skipBlanks();
      if (s[this.pos] === ",") {
        this.pos++;
        continue;
      }
      this.expect("]");
      break;
    }
    if (slice) {
      const [start, end, step] = slice;
      return {
        kind: "slice",
        ...(Number.isNaN(start) ? {} : { start }),
        ...(end === undefined || Number.isNaN(end) ? {} : { end }),
        ...(step === undefined || Number.isNaN(step) ? {} : { step }),
      };
    }
    if (keys.length === 1) {
      const k = keys[0] as string | number;
      return typeof k === "number" ? { kind: "index", index: k } : { kind: "field", name: k };
    }
    return { kind: "union", keys };
  }

  readSliceOrIndex(): (number | undefined)[] {
    const s = this.text;
    const parts: (number | undefined)[] = [];
    let cur = "";
    while (this.pos < s.length && s[this.pos] !== "]" && s[this.pos] !== ",") {
      const c = s[this.pos] as string;
      if (c === ":") {
        parts.push(cur.trim() === "" ? undefined : toInt(cur, s));
        cur = "";
      } else cur += c;
      this.pos++;
    }
    parts.push(cur.trim() === "" ? undefined : toInt(cur, s));
    return parts;
  }

  readQuoted(): string {
    const s = this.text;
    const quote = s[this.pos];
    this.pos++;
    let out = "";
    while (this.pos < s.length && s[this.pos] !== quote) {
      if (s[this.pos] === "\\" && this.pos + 1 < s.length) {
        const escaped = readEscape(s, this.pos + 1);
        out += escaped.text;
        this.pos = escaped.end;
        continue;
      }
      out += s[this.pos];
      this.pos++;
    }
    if (s[this.pos] !== quote) throw new JsonPathSyntaxError(`Unterminated string in ${s}`);
    this.pos++;
    return out;
  }

  expect(c: string): void {
    if (this.text[this.pos] !== c) {
      throw new JsonPathSyntaxError(`Expected '${c}' at position ${this.pos} in JSONPath ${this.text}`);
    }
    this.pos++;
  }

  // Filter expressions: || > && > comparison > unary
  parseOr(): FilterExpr {
    let left = this.parseAnd();
    for (;;) {
      this.skipBlanks();
      if (this.text.startsWith("||", this.pos)) {
        this.pos += 2;
        left = { kind: "binary", op: "||", left, right: this.parseAnd() };
      } else return left;
    }
  }

  parseAnd(): FilterExpr {
    let left = this.parseComparison();
    for (;;) {
      this.skipBlanks();
      if (this.text.startsWith("&&", this.pos)) {
        this.pos += 2;
        left = { kind: "binary", op: "&&", left, right: this.parseComparison() };
      } else return left;
    }
  }

  parseComparison(): FilterExpr {
    const left = this.parseUnary();
    this.skipBlanks();
    const rest = this.text.slice(this.pos);
    const op = ["==", "!=", "<=", ">=", "=~", "<", ">", " in ", " nin "].find((o) =>
      rest.startsWith(o.trim()),
    );
    if (!op) return left;
    this.pos += op.trim().length;
    return { kind: "binary", op: op.trim(), left, right: this.parseUnary() };
  }

  parseUnary(): FilterExpr {
    this.skipBlanks();
    const s = this.text;
    const c = s[this.pos];
    if (c === "!") {
      this.pos++;
      return { kind: "not", expr: this.parseUnary() };
    }
    if (c === "(") {
      this.pos++;
      const e = this.parseOr();
      this.skipBlanks();
      this.expect(")");
      return e;
    }
    if (c === "@" || c === "$") {
      this.pos++;
      const segments = this.parseSegments(true);
      return { kind: "path", root: c, path: finish(c, segments) };
    }
    if (c === "'" || c === '"') return { kind: "literal", value: this.readQuoted() };
    if (c === "/") {
      const end = s.indexOf("/", this.pos + 1);
      const body = s.slice(this.pos + 1, end);
      this.pos = end + 1;
      let flags = "";
      while (/[a-z]/.test(s[this.pos] ?? "")) flags += s[this.pos++];
      return { kind: "literal", value: new RegExp(body, flags) };
    }
    if (c === "[") {
      // array literal in filter
      let depth = 0;
      const start = this.pos;
      do {
        if (s[this.pos] === "[") depth++;
        if (s[this.pos] === "]") depth--;
        this.pos++;
      } while (depth > 0 && this.pos < s.length);
      return { kind: "literal", value: JSON.parse(s.slice(start, this.pos).replace(/'/g, '"')) as Json };
    }
    const m = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(s.slice(this.pos));
    if (m) {
      this.pos += m[0].length;
      return { kind: "literal", value: JSON.parse(m[0]) as Json };
    }
    throw new JsonPathSyntaxError(`Unexpected '${c}' in filter of ${s}`);
  }
}

function toInt(text: string, path: string): number {
  const n = Number(text.trim());
  if (!Number.isInteger(n)) throw new JsonPathSyntaxError(`Invalid index '${text}' in ${path}`);
  return n;
}

function finish(text: string, segments: Segment[]): CompiledPath {
  const definite = segments.every(
    (s) => s.kind === "field" || (s.kind === "index" && s.index >= 0) || s.kind === "function",
  );
  let normalized = "$";
  for (const seg of segments) {
    if (seg.kind === "field") normalized += `['${seg.name}']`;
    else if (seg.kind === "index") normalized += `[${seg.index}]`;
    else if (seg.kind === "wildcard") normalized += "[*]";
    else if (seg.kind === "deep") normalized += seg.name === undefined ? "..[*]" : `..['${seg.name}']`;
    else if (seg.kind === "union")
      normalized += `[${seg.keys.map((k) => (typeof k === "number" ? k : `'${k}'`)).join(",")}]`;
    else if (seg.kind === "slice") normalized += `[${seg.start ?? ""}:${seg.end ?? ""}]`;
    else if (seg.kind === "filter") normalized += "[?]";
    else normalized += `.${seg.name}()`;
  }
  return { text, segments, definite, normalized };
}

export type PathResult = { readonly found: true; readonly value: Json } | { readonly found: false };
const NOT_FOUND: PathResult = { found: false };

/**
 * Evaluates a compiled path. A definite path yields its value or not-found; an indefinite path
 * yields a list (Jayway's behaviour).
 */
export function evaluatePath(path: CompiledPath, root: Json, filterRoot: Json = root): PathResult {
  const segs = path.segments;
  if (path.definite) {
    let cur: Json = root;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i] as Segment;
      if (seg.kind === "field") {
        if (!isObject(cur) || !Object.hasOwn(cur, seg.name)) return NOT_FOUND;
        cur = cur[seg.name] as Json;
      } else if (seg.kind === "index") {
        if (!Array.isArray(cur) || seg.index >= cur.length) return NOT_FOUND;
        cur = cur[seg.index] as Json;
      } else if (seg.kind === "function") {
        const r = applyFunction(seg.name, cur);
        if (r === undefined) return NOT_FOUND;
        cur = r;
      }
    }
    return { found: true, value: cur };
  }
  let current: Json[] = [root];
  for (const seg of segs) {
    if (seg.kind === "function") {
      const r = applyFunction(seg.name, current);
      return r === undefined ? NOT_FOUND : { found: true, value: r };
    }
    const next: Json[] = [];
    for (const v of current) step(seg, v, next, filterRoot);
    current = next;
  }
  return { found: true, value: current };
}

function applyFunction(name: string, value: Json): Json | undefined {
  const nums = Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
  switch (name) {
    case "length":
      if (Array.isArray(value)) return value.length;
      if (typeof value === "string") return value.length;
      if (isObject(value)) return Object.keys(value).length;
      return undefined;
    case "min":
      return nums.length ? Math.min(...nums) : undefined;
    case "max":
      return nums.length ? Math.max(...nums) : undefined;
    case "sum":
      return nums.reduce((a, b) => a + b, 0);
    case "avg":
      return nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : undefined;
    default:
      throw new JsonPathSyntaxError(`Unknown JSONPath function ${name}()`);
  }
}

function step(seg: Segment, v: Json, out: Json[], root: Json): void {
  switch (seg.kind) {
    case "field":
      if (isObject(v) && Object.hasOwn(v, seg.name)) out.push(v[seg.name] as Json);
      return;
    case "index":
      if (Array.isArray(v)) {
        const i = seg.index < 0 ? v.length + seg.index : seg.index;
        if (i >= 0 && i < v.length) out.push(v[i] as Json);
      }
      return;
    case "wildcard":
      if (Array.isArray(v)) out.push(...v);
      else if (isObject(v)) out.push(...Object.values(v));
      return;
    case "union":
      for (const k of seg.keys) {
        if (typeof k === "number") step({ kind: "index", index: k }, v, out, root);
        else step({ kind: "field", name: k }, v, out, root);
      }
      return;
    case "slice": {
      if (!Array.isArray(v)) return;
      const len = v.length;
      const stepBy = seg.step ?? 1;
      let start = seg.start ?? 0;
      let end = seg.end ?? len;
      if (start < 0) start = Math.max(0, len + start);
      if (end < 0) end = Math.max(0, len + end);
      end = Math.min(end, len);
      for (let i = start; i < end; i += stepBy) out.push(v[i] as Json);
      return;
    }
    case "deep":
      deepScan(seg.name, v, out);
      return;
    case "filter":
      if (Array.isArray(v)) {
        for (const item of v) if (truthy(evalFilter(seg.expr, item, root))) out.push(item);
      } else if (isObject(v)) {
        if (truthy(evalFilter(seg.expr, v, root))) out.push(v);
      }
      return;
    case "function":
      return;
  }
}

function deepScan(name: string | undefined, v: Json, out: Json[]): void {
  if (Array.isArray(v)) {
    if (name === undefined) out.push(...v);
    for (const item of v) deepScan(name, item, out);
  } else if (isObject(v)) {
    if (name === undefined) out.push(...Object.values(v));
    else if (Object.hasOwn(v, name)) out.push(v[name] as Json);
    for (const item of Object.values(v)) deepScan(name, item, out);
  }
}

const MISSING = Symbol("missing");
type FilterValue = Json | RegExp | typeof MISSING;

function truthy(v: FilterValue): boolean {
  return v !== MISSING && v !== false && v !== null;
}

function evalFilter(e: FilterExpr, item: Json, root: Json): FilterValue {
  switch (e.kind) {
    case "literal":
      return e.value;
    case "path": {
      const r = evaluatePath(e.path, e.root === "@" ? item : root, root);
      return r.found ? r.value : MISSING;
    }
    case "not":
      return !truthy(evalFilter(e.expr, item, root));
    case "binary": {
      if (e.op === "&&")
        return truthy(evalFilter(e.left, item, root)) && truthy(evalFilter(e.right, item, root));
      if (e.op === "||")
        return truthy(evalFilter(e.left, item, root)) || truthy(evalFilter(e.right, item, root));
      const l = evalFilter(e.left, item, root);
      const r = evalFilter(e.right, item, root);
      if (l === MISSING || r === MISSING) return e.op === "!=" && !(l === MISSING && r === MISSING);
      switch (e.op) {
        case "==":
          return jsonEquals(l, r);
        case "!=":
          return !jsonEquals(l, r);
        case "<":
        case "<=":
        case ">":
        case ">=": {
          if (
            !(
              (typeof l === "number" && typeof r === "number") ||
              (typeof l === "string" && typeof r === "string")
            )
          )
            return false;
          if (e.op === "<") return l < r;
          if (e.op === "<=") return l <= r;
          if (e.op === ">") return l > r;
          return l >= r;
        }
        case "=~":
          return r instanceof RegExp && typeof l === "string" && r.test(l);
        case "in":
          return Array.isArray(r) && r.some((x) => jsonEquals(x, l));
        case "nin":
          return Array.isArray(r) && !r.some((x) => jsonEquals(x, l));
        default:
          return false;
      }
    }
  }
}

/**
 * Returns a copy of `root` with `value` written at a definite path, creating objects on the way
 * (ResultPath semantics). Throws when the path crosses a non-object.
 */
export function setAtPath(root: Json, path: CompiledPath, value: Json): Json {
  if (!path.definite) throw new JsonPathSyntaxError(`ResultPath must be a definite path: ${path.text}`);
  return setRec(root, path.segments, 0, value, path);
}

function setRec(
  cur: Json | undefined,
  segs: readonly Segment[],
  i: number,
  value: Json,
  path: CompiledPath,
): Json {
  if (i === segs.length) return value;
  const seg = segs[i] as Segment;
  if (seg.kind === "field") {
    const base: JsonObject = cur === undefined || cur === null ? {} : isObject(cur) ? { ...cur } : fail(cur);
    const prior = Object.hasOwn(base, seg.name) ? base[seg.name] : undefined;
    setOwn(base, seg.name, setRec(prior, segs, i + 1, value, path));
    return base;
  }
  if (seg.kind === "index") {
    if (!Array.isArray(cur)) return fail(cur);
    const copy = cur.slice();
    copy[seg.index] = setRec(copy[seg.index], segs, i + 1, value, path);
    return copy;
  }
  throw new JsonPathSyntaxError(`ResultPath must be a definite path: ${path.text}`);

  function fail(v: Json | undefined): never {
    throw new ResultPathMismatch(path.text, v);
  }
}

export class ResultPathMismatch extends Error {
  override name = "ResultPathMismatch";
  readonly pathText: string;
  readonly at: Json | undefined;
  constructor(pathText: string, at: Json | undefined) {
    super(`Unable to apply ResultPath ${pathText}`);
    this.pathText = pathText;
    this.at = at;
  }
}
