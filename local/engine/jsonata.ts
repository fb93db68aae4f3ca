/**
 * JSONata as Step Functions runs it: the `jsonata` package with AWS's extra functions ($partition,
 * $range, $hash, $random, $uuid, $parse) and the `$states` / variable bindings. Compiled
 * expressions are cached per text.
 */
import { randomUUID } from "node:crypto";
import jsonata from "jsonata";
import { StatesError, StatesErrors } from "./errors.ts";
import { apply } from "./intrinsics.ts";
import { type Json, MAX_JSON_DEPTH } from "./json.ts";

const cache = new Map<string, jsonata.Expression>();

export class JsonataSyntaxError extends Error {
  override name = "JsonataSyntaxError";
}

/** Compiles (and caches) an expression; throws `JsonataSyntaxError` with jsonata's message. */
export function compileJsonata(expr: string): jsonata.Expression {
  const hit = cache.get(expr);
  if (hit) return hit;
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expr);
  } catch (e) {
    const err = e as { message?: string; code?: string };
    throw new JsonataSyntaxError(`${err.code ? `${err.code}: ` : ""}${err.message ?? String(e)}`);
  }
  registerAwsFunctions(compiled);
  if (cache.size > 5000) cache.clear();
  cache.set(expr, compiled);
  return compiled;
}

function qe(message: string): never {
  throw new StatesError(StatesErrors.QueryEvaluationError, message);
}

/**
 * Step Functions' JSONata functions stand in for intrinsics (Developer Guide, "JSONata functions
 * provided by Step Functions": $partition for States.ArrayPartition, $range for States.ArrayRange,
 * $hash for States.Hash): they take the same arguments under the same rules (a non-zero step, a
 * positive chunk size, at most 1,000 items from $range, 10,000 characters into $hash), so they share
 * the intrinsic's code; a refusal is States.QueryEvaluationError with the intrinsic's reason. Only
 * fractions differ: the intrinsics round them to the nearest integer, these round them down.
 */
function viaIntrinsic(name: string, args: unknown[]): unknown {
  try {
    return apply(name, args as Json[]);
  } catch (e) {
    if (e instanceof StatesError) qe(e.cause ?? e.error);
    throw e;
  }
}

/**
 * "Built-in JSONata functions that require integer values as parameters will automatically round
 * down any non-integer numbers provided" (Developer Guide, "Transforming data with JSONata", JSONata
 * functions provided by Step Functions): 1.9 is 1, -1.5 is -2.
 */
function roundDown(value: unknown): unknown {
  return typeof value === "number" ? Math.floor(value) : value;
}

function registerAwsFunctions(e: jsonata.Expression): void {
  e.registerFunction(
    "partition",
    (array: unknown, size: unknown) => viaIntrinsic("States.ArrayPartition", [array, roundDown(size)]),
    "<an:a>",
  );
  e.registerFunction(
    "range",
    (start: unknown, end: unknown, step: unknown) =>
      viaIntrinsic("States.ArrayRange", [start, end, step].map(roundDown)),
    "<nnn:a>",
  );
  e.registerFunction(
    "hash",
    (value: unknown, algorithm: unknown) => viaIntrinsic("States.Hash", [value, algorithm]),
    "<x-s:s>",
  );
  e.registerFunction(
    "random",
    (seed?: unknown) => {
      if (seed === undefined) return Math.random();
      let x = Math.imul(Math.floor(Number(seed)) | 0, 2654435761) >>> 0;
      x ^= x >>> 15;
      return (x >>> 0) / 4294967296;
    },
    "<n?:n>",
  );
  e.registerFunction("uuid", () => randomUUID(), "<:s>");
  e.registerFunction(
    "parse",
    (text: unknown) => {
      if (typeof text !== "string") qe("The argument of $parse must be a string");
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return qe(`The argument of $parse is not valid JSON: ${text}`);
      }
    },
    "<s-:x>",
  );
}

/**
 * Evaluates an expression. Returns `undefined` when it yields nothing; jsonata errors surface as
 * `JsonataRuntimeError` carrying jsonata's code and message.
 */
export async function evaluateJsonata(
  expr: string,
  input: unknown,
  bindings: Record<string, unknown>,
): Promise<Json | undefined> {
  const compiled = compileJsonata(expr);
  try {
    const result = (await compiled.evaluate(input, bindings)) as unknown;
    return normalize(result);
  } catch (e) {
    if (e instanceof StatesError || e instanceof JsonataFunctionResultError) throw e;
    const err = e as { message?: string; code?: string };
    throw new JsonataRuntimeError(`${err.code ? `${err.code}: ` : ""}${err.message ?? String(e)}`);
  }
}

export class JsonataRuntimeError extends Error {
  override name = "JsonataRuntimeError";
}

/**
 * An expression whose result is, or holds, a function (`$sum`, `function($x){$x}`): a function is
 * not JSON, so no field can take it. Step Functions fails such a state with
 * States.QueryEvaluationError rather than dropping the value (the cause's wording is ours).
 */
export class JsonataFunctionResultError extends Error {
  override name = "JsonataFunctionResultError";
}

/** jsonata's functions: built-ins are objects marked `_jsonata_function`, lambdas `_jsonata_lambda`. */
function isJsonataFunction(value: unknown): boolean {
  if (typeof value === "function") return true;
  if (value === null || typeof value !== "object") return false;
  const v = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return v._jsonata_function === true || v._jsonata_lambda === true;
}

/** jsonata sequences carry a `sequence` flag and functions may appear: turn results into plain JSON. */
function normalize(value: unknown, depth = 0): Json | undefined {
  if (value === undefined) return undefined;
  if (isJsonataFunction(value)) throw new JsonataFunctionResultError();
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new JsonataRuntimeError("The expression produced a number that is not finite");
    return value;
  }
  if (value === null || typeof value !== "object") return value as Json;
  // An expression can build data of any depth (a recursive function); what it returns must stay
  // within the depth every later step (history, checkpoints) can serialize.
  if (depth >= MAX_JSON_DEPTH) {
    throw new JsonataRuntimeError(`The result is nested deeper than the maximum of ${MAX_JSON_DEPTH} levels`);
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const n = normalize(item, depth + 1);
      if (n !== undefined) out.push(n);
    }
    return out;
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value)) {
    const n = normalize(v, depth + 1);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

let fromMillis: jsonata.Expression | undefined;

/**
 * `$now()` and `$millis()` on the engine's clock instead of the wall clock, so that deadlines computed
 * in expressions agree with simulated time.
 */
export function clockFunctions(clock: { now(): number }): Record<string, unknown> {
  return {
    millis: () => clock.now(),
    now: (picture?: string, timezone?: string) => {
      const ms = clock.now();
      if (picture === undefined && timezone === undefined) return new Date(ms).toISOString();
      fromMillis ??= jsonata("$fromMillis($ms, $picture, $timezone)");
      return fromMillis.evaluate({}, { ms, picture, timezone });
    },
  };
}

const TEMPLATE = /^\{%([\s\S]*)%\}$/;

/** The expression inside a `{% ... %}` string, or undefined if the string is not one. */
export function jsonataExpression(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = TEMPLATE.exec(value);
  return m ? (m[1] as string) : undefined;
}
