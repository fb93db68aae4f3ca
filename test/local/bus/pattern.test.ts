import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compilePattern,
  InvalidEventPatternException,
  matchesCompiled,
  parseIp,
  testEventPattern,
} from "../../../local/bus/pattern.ts";
import { createRuleSet } from "../../../local/bus/ruleset.ts";

const envelope = {
  version: "0",
  id: "1",
  source: "cplane.tenants",
  "detail-type": "Tenant Requested",
  account: "123456789012",
  time: "2026-01-01T00:00:00Z",
  region: "us-east-1",
  resources: [],
};

function match(pattern: unknown, detail: unknown): boolean {
  return testEventPattern(pattern, { ...envelope, detail });
}

describe("event patterns", () => {
  it("matches exact values of each JSON type, and an array when any element matches", () => {
    expect(match({ detail: { tier: ["premium", "standard"] } }, { tier: "standard" })).toBe(true);
    expect(match({ detail: { n: [5] } }, { n: 5.0 })).toBe(true);
    expect(match({ detail: { n: ["5"] } }, { n: 5 })).toBe(false);
    expect(match({ detail: { ok: [true] } }, { ok: true })).toBe(true);
    expect(match({ detail: { v: [null] } }, { v: null })).toBe(true);
    expect(match({ detail: { v: [null] } }, {})).toBe(false);
    expect(match({ detail: { v: [""] } }, { v: "" })).toBe(true);
    expect(match({ detail: { tags: ["b"] } }, { tags: ["a", "b"] })).toBe(true);
  });

  it("supports prefix, suffix, equals-ignore-case, wildcard and their case-insensitive forms", () => {
    expect(match({ detail: { ref: [{ prefix: "refs/heads/" }] } }, { ref: "refs/heads/main" })).toBe(true);
    expect(match({ detail: { f: [{ suffix: { "equals-ignore-case": ".PNG" } }] } }, { f: "a.png" })).toBe(
      true,
    );
    expect(match({ detail: { s: [{ "equals-ignore-case": "ALARM" }] } }, { s: "alarm" })).toBe(true);
    expect(match({ detail: { p: [{ wildcard: "a/*/c" }] } }, { p: "a/b/b/c" })).toBe(true);
    expect(match({ detail: { p: [{ wildcard: "a\\*c" }] } }, { p: "a*c" })).toBe(true);
    expect(match({ detail: { p: [{ wildcard: "a\\*c" }] } }, { p: "abc" })).toBe(false);
  });

  it("treats anything-but as matching present values that are not excluded, null included", () => {
    expect(match({ detail: { s: [{ "anything-but": ["a", "b"] }] } }, { s: "c" })).toBe(true);
    expect(match({ detail: { s: [{ "anything-but": ["a", "b"] }] } }, { s: null })).toBe(true);
    expect(match({ detail: { s: [{ "anything-but": ["a", "b"] }] } }, {})).toBe(false);
    expect(match({ detail: { s: [{ "anything-but": { prefix: "x" } }] } }, { s: "xy" })).toBe(false);
  });

  it("evaluates numeric ranges on numbers only", () => {
    const pattern = { detail: { n: [{ numeric: [">=", 0, "<", 10] }] } };
    expect(match(pattern, { n: 0 })).toBe(true);
    expect(match(pattern, { n: 10 })).toBe(false);
    expect(match(pattern, { n: "5" })).toBe(false);
    expect(match({ detail: { n: [{ numeric: ["=", 3.5] }] } }, { n: 3.5 })).toBe(true);
  });

  it("supports exists on leaves and cidr for IPv4 and IPv6", () => {
    expect(match({ detail: { a: [{ exists: false }] } }, { b: 1 })).toBe(true);
    expect(match({ detail: { a: [{ exists: true }] } }, { a: { nested: 1 } })).toBe(false);
    expect(match({ detail: { ip: [{ cidr: "10.0.0.0/8" }] } }, { ip: "10.200.1.1" })).toBe(true);
    expect(match({ detail: { ip: [{ cidr: "10.0.0.0/8" }] } }, { ip: "11.0.0.1" })).toBe(false);
    expect(match({ detail: { ip: [{ cidr: "2001:db8::/32" }] } }, { ip: "2001:db8:ffff::1" })).toBe(true);
    expect(match({ detail: { ip: [{ cidr: "::ffff:0:0/96" }] } }, { ip: "::ffff:10.0.0.1" })).toBe(true);
  });

  it("combines $or alternatives with sibling fields", () => {
    const pattern = {
      source: ["cplane.tenants"],
      detail: { $or: [{ a: ["1"] }, { b: [{ exists: true }] }] },
    };
    expect(match(pattern, { a: "1" })).toBe(true);
    expect(match(pattern, { b: 0 })).toBe(true);
    expect(match(pattern, { a: "2" })).toBe(false);
  });

  it.each([
    [{ detail: { a: [] } }, "Empty arrays are not allowed"],
    [{ detail: { a: "x" } }, "must be an object or an array"],
    [{ detail: { a: [{ prefix: 1 }] } }, "prefix match pattern must be a string"],
    [{ detail: { a: [{ numeric: [">", 1, ">", 2] }] } }, "Bad numeric range operator: >"],
    [{ detail: { a: [{ numeric: ["=", 1, "<", 2] }] } }, "Bad numeric range operator: ="],
    [{ detail: { a: [{ wildcard: "a**" }] } }, "Consecutive wildcard characters at pos 2"],
    [{ detail: { a: [{ cidr: "300.1.1.1/8" }] } }, "Nonstandard IP address"],
    [{ detail: { a: [{ Prefix: "x" }] } }, "Unrecognized match type Prefix"],
    [{ detail: { a: [{ "anything-but": [true] }] } }, "Inside anything but list"],
    [{ detail: { $or: [{ a: ["x"] }] } }, "at least two"],
    ["{ not json", "Unrecognized token"],
    [[1], "Filter is not an object"],
  ])("refuses %j with InvalidEventPatternException", (pattern, reason) => {
    expect(() => compilePattern(pattern)).toThrow(InvalidEventPatternException);
    expect(() => compilePattern(pattern)).toThrow(reason);
  });

  it("refuses a test event without the envelope's required fields", () => {
    expect(() => testEventPattern({ source: ["a"] }, { source: "a" })).toThrow(
      "Parameter Event is not valid.",
    );
  });

  it("parses IPv6 shorthand and refuses malformed addresses", () => {
    expect(parseIp("::1")?.value).toBe(1n);
    expect(parseIp("1::2::3")).toBeUndefined();
    expect(parseIp("1.2.3")).toBeUndefined();
  });
});

// ---- property: the indexed rule set agrees with matching each pattern on its own -------------

const values = ["a", "b", "ab", "A", "", "x.y", 1, 2, 2.5, true, null];
const paths = ["source", "detail.a", "detail.b", "detail.c.d"];
const leaf = fc.constantFrom(...values);
const matcher = fc.oneof(
  leaf,
  fc.record({ prefix: fc.constantFrom("a", "A", "x") }),
  fc.record({ prefix: fc.record({ "equals-ignore-case": fc.constantFrom("a", "AB") }) }),
  fc.record({ suffix: fc.constantFrom("b", ".y") }),
  fc.record({ "equals-ignore-case": fc.constantFrom("a", "AB") }),
  fc.record({ "anything-but": fc.constantFrom<unknown>("a", 1, ["a", "b"], { prefix: "a" }) }),
  fc.record({ numeric: fc.constantFrom<unknown>([">", 1], ["<=", 2], [">", 0, "<", 2.5], ["=", 2]) }),
  fc.record({ exists: fc.boolean() }),
  fc.record({ wildcard: fc.constantFrom("a*", "*b", "x.*") }),
);

function nest(path: string, value: unknown): Record<string, unknown> {
  const parts = path.split(".");
  let out: unknown = value;
  for (const part of parts.reverse()) out = { [part]: out };
  return out as Record<string, unknown>;
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (
      typeof existing === "object" &&
      existing !== null &&
      !Array.isArray(existing) &&
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value)
    ) {
      merge(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else target[key] = value;
  }
  return target;
}

const fieldPattern = fc.tuple(fc.constantFrom(...paths), fc.array(matcher, { minLength: 1, maxLength: 3 }));
const patternArb = fc
  .uniqueArray(fieldPattern, { minLength: 1, maxLength: 3, selector: ([path]) => path })
  .map((fields) =>
    fields.reduce((acc, [path, ms]) => merge(acc, nest(path, ms)), {} as Record<string, unknown>),
  );

const eventArb = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...paths), fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }))), {
    maxLength: 4,
    selector: ([path]) => path,
  })
  .map((fields) =>
    fields.reduce((acc, [path, v]) => merge(acc, nest(path, v)), {} as Record<string, unknown>),
  );

describe("rule set", () => {
  it("returns exactly the rules whose pattern matches on its own (property)", () => {
    fc.assert(
      fc.property(
        fc.array(patternArb, { minLength: 1, maxLength: 25 }),
        fc.array(eventArb, { maxLength: 10 }),
        (patterns, events) => {
          const byId = Object.fromEntries(patterns.map((p, i) => [`r${i}`, p]));
          const ruleSet = createRuleSet(byId);
          const compiled = patterns.map((p) => compilePattern(p));
          for (const event of events) {
            const expected = compiled.flatMap((c, i) => (matchesCompiled(c, event) ? [`r${i}`] : []));
            expect(ruleSet.match(event)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("indexes rules on their most selective field", () => {
    const patterns: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++)
      patterns[`r${i}`] = { source: ["cplane.tenants"], detail: { tenantId: [`t-${i}`] } };
    const ruleSet = createRuleSet(patterns);
    expect(ruleSet.match({ source: "cplane.tenants", detail: { tenantId: "t-42" } })).toEqual(["r42"]);
    expect(ruleSet.match({ source: "other", detail: { tenantId: "t-42" } })).toEqual([]);
  });

  it("refuses an invalid pattern when the set is built", () => {
    expect(() => createRuleSet({ bad: { source: [] } })).toThrow(InvalidEventPatternException);
  });
});
