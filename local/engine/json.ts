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
  return walk(value, max) < 0;
}

/**
 * What makes a value too big to pass on, if anything: JSON text longer than `limit` bytes, or nesting
 * deeper than `maxDepth`. One walk bounds the size (every character as a six-byte escape) and the
 * depth; only a value whose bound passes the limit is serialized to be measured.
 */
export function payloadExcess(
  value: unknown,
  limit: number,
  maxDepth: number = MAX_JSON_DEPTH,
): "bytes" | "depth" | undefined {
  const bound = walk(value, maxDepth);
  if (bound < 0) return "depth";
  return bound > limit && jsonByteLength(value) > limit ? "bytes" : undefined;
}

/** An upper bound of a value's JSON size in bytes, or -1 when it nests deeper than `maxDepth`. */
function walk(value: unknown, maxDepth: number): number {
  // Recursion is bounded by `maxDepth` (a few hundred frames at most): anything deeper ends the walk.
  const visit = (item: unknown, depth: number): number => {
    if (item === null || item === undefined) return 4;
    switch (typeof item) {
      case "string":
        return 2 + item.length * 6;
      case "number":
        return 24;
      case "boolean":
        return 5;
      case "object": {
        if (depth >= maxDepth) return -1;
        let total = 2;
        if (Array.isArray(item)) {
          for (const child of item) {
            const size = visit(child, depth + 1);
            if (size < 0) return -1;
            total += size + 1;
          }
          return total;
        }
        for (const key in item as Record<string, unknown>) {
          const size = visit((item as Record<string, unknown>)[key], depth + 1);
          if (size < 0) return -1;
          total += 4 + key.length * 6 + size;
        }
        return total;
      }
      default:
        return 0;
    }
  };
  return visit(value, 0);
}

/** Sets an own data property, safely even for `__proto__`. */
export function setOwn(obj: JsonObject, key: string, value: Json): void {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
