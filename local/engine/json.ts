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
 * Whether a value's JSON text is longer than `limit` bytes. A cheap upper bound (every character as
 * a six-byte escape) settles most values without serialising them; only near the limit is the text built.
 */
export function exceedsBytes(value: unknown, limit: number): boolean {
  const bound = upperBound(value, limit);
  return bound > limit && jsonByteLength(value) > limit;
}

function upperBound(value: unknown, budget: number): number {
  if (value === null || value === undefined) return 4;
  switch (typeof value) {
    case "string":
      return 2 + value.length * 6;
    case "number":
      return 24;
    case "boolean":
      return 5;
    case "object": {
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) {
          total += upperBound(item, budget) + 1;
          if (total > budget) return total;
        }
        return total;
      }
      for (const key in value as Record<string, unknown>) {
        total += 4 + key.length * 6 + upperBound((value as Record<string, unknown>)[key], budget);
        if (total > budget) return total;
      }
      return total;
    }
    default:
      return 0;
  }
}

/** Sets an own data property, safely even for `__proto__`. */
export function setOwn(obj: JsonObject, key: string, value: Json): void {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
