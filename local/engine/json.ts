/** JSON values as the engine sees them. Values are never mutated in place once produced. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** AWS's name for a JSON value's type, as used in error texts. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

/** Strict structural equality of two JSON values (object key order ignored). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  for (const k of ak) if (!(k in bo) || !jsonEquals(ao[k], bo[k])) return false;
  return true;
}

/** JSON text as Step Functions prints it (compact). `undefined` prints as null. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/** UTF-8 byte length of a value's JSON text. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(toJsonText(value), "utf8");
}

/**
 * The deepest nesting of arrays and objects a JSON value may have anywhere in the runtime. EventBridge
 * documents 1,000 levels for PutEvents; Step Functions documents no figure, and the same bound keeps
 * every recursive step of ours and of the platform (`JSON.stringify`, `structuredClone`, which gives
 * up near 1,600 levels) well inside the stack, whatever an execution does with what it was given.
 */
export const MAX_JSON_DEPTH = 1000;

/** Whether a value nests arrays and objects more than `max` levels deep (`{"a":1}` is one level). */
export function nestedDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  return walk(value, Number.POSITIVE_INFINITY, max).deep;
}

/**
 * What makes a value too big to pass on, if anything: JSON text longer than `limit` bytes, or nesting
 * deeper than `maxDepth`. One iterative walk bounds the size (every character as a six-byte escape)
 * and measures the depth; only a value whose bound passes the limit is serialized to be measured.
 */
export function payloadExcess(
  value: unknown,
  limit: number,
  maxDepth: number = MAX_JSON_DEPTH,
): "bytes" | "depth" | undefined {
  const { bound, deep } = walk(value, limit, maxDepth);
  if (deep) return "depth";
  return bound > limit && jsonByteLength(value) > limit ? "bytes" : undefined;
}

/** Whether a value's JSON text is longer than `limit` bytes. */
export function exceedsBytes(value: unknown, limit: number): boolean {
  return payloadExcess(value, limit, Number.POSITIVE_INFINITY) === "bytes";
}

/**
 * Walks a value with an explicit stack (no recursion, so any depth is safe), summing an upper bound
 * of its JSON size and stopping at the first container deeper than `maxDepth`. With an infinite
 * depth allowance, the walk stops as soon as the bound passes `budget`.
 */
function walk(value: unknown, budget: number, maxDepth: number): { bound: number; deep: boolean } {
  let total = 0;
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const item = values.pop();
    const depth = depths.pop() as number;
    if (item === null || item === undefined) total += 4;
    else if (typeof item === "string") total += 2 + item.length * 6;
    else if (typeof item === "number") total += 24;
    else if (typeof item === "boolean") total += 5;
    else if (typeof item === "object") {
      if (depth + 1 > maxDepth) return { bound: total, deep: true };
      total += 2;
      if (Array.isArray(item)) {
        for (const child of item) {
          total += 1;
          values.push(child);
          depths.push(depth + 1);
        }
      } else {
        for (const key in item as Record<string, unknown>) {
          total += 4 + key.length * 6;
          values.push((item as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
      }
    }
    if (total > budget && maxDepth === Number.POSITIVE_INFINITY) break;
  }
  return { bound: total, deep: false };
}

/** Sets an own data property, safely even for `__proto__`. */
export function setOwn(obj: JsonObject, key: string, value: Json): void {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
