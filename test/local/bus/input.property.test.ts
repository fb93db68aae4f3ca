import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transformInput, UndeliverableInputError } from "../../../local/bus/input.ts";

const context = {
  ruleName: "r",
  ruleArn: "arn:aws:events:us-east-1:000000000000:rule/cplane/r",
  ingestionTime: "2026-01-01T00:00:00Z",
};
const NAMES = ["v0", "v1", "v2", "v3"] as const;
const paths = Object.fromEntries(NAMES.map((n) => [n, `$.detail.${n}`]));
const eventWith = (values: Record<string, unknown>) => ({
  version: "0",
  id: "1",
  "detail-type": "d",
  source: "s",
  account: "000000000000",
  time: "2026-01-01T00:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: values,
});

/** Strings a JSON string may hold as they are (no quote, backslash or control character). */
const plainString = fc
  .string({ maxLength: 12 })
  .filter((s) => [...s].every((ch) => ch !== '"' && ch !== "\\" && ch.charCodeAt(0) >= 0x20));
const name = fc.constantFrom(...NAMES);
const whitespace = fc.constantFrom("", " ", "\n  ", "\t");

/** A JSON template as parts: literal JSON, placeholders outside quotes, strings with placeholders inside. */
type Node =
  | { kind: "literal"; value: unknown }
  | { kind: "var"; name: string }
  | { kind: "string"; parts: ({ text: string } | { name: string })[] }
  | { kind: "array"; items: Node[] }
  | { kind: "object"; entries: [string, Node][] };

/** Templates whose quoted placeholders name one of `inStrings`. */
const templateOf = (inStrings: fc.Arbitrary<string>) => {
  const node = fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.record({ kind: fc.constant("literal" as const), value: fc.jsonValue({ maxDepth: 1 }) }),
      fc.record({ kind: fc.constant("var" as const), name }),
      fc.record({
        kind: fc.constant("string" as const),
        parts: fc.array(fc.oneof(fc.record({ text: plainString }), fc.record({ name: inStrings })), {
          maxLength: 3,
        }),
      }),
      fc.record({ kind: fc.constant("array" as const), items: fc.array(tie("node"), { maxLength: 3 }) }),
      fc.record({ kind: fc.constant("object" as const), entries: entriesOf(tie("node")) }),
    ),
  })).node;
  return entriesOf(node);
};
/** Object members with distinct keys (JSON.parse keeps only the last of equal keys). */
const entriesOf = (value: fc.Arbitrary<Node>) =>
  fc.uniqueArray(fc.tuple(plainString, value), { maxLength: 3, selector: ([key]) => key });

function write(n: Node, ws: string): string {
  switch (n.kind) {
    case "literal":
      return JSON.stringify(n.value);
    case "var":
      return `<${n.name}>`;
    case "string":
      return `"${n.parts.map((p) => ("name" in p ? `<${p.name}>` : p.text)).join("")}"`;
    case "array":
      return `[${ws}${n.items.map((i) => write(i, ws)).join(`,${ws}`)}${ws}]`;
    case "object":
      return `{${ws}${n.entries.map(([k, v]) => `${JSON.stringify(k)}:${ws}${write(v, ws)}`).join(`,${ws}`)}${ws}}`;
  }
}

/** A value as JSON text carries it: -0 is written `0` (fast-check's jsonValue generates -0). */
const asJson = (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

/** What the template should give, on the documented rules, when every value fits where it is put. */
function expected(n: Node, values: Record<string, unknown>): unknown {
  switch (n.kind) {
    case "literal":
      return asJson(n.value);
    case "var":
      return asJson(values[n.name]);
    case "string":
      return n.parts.map((p) => ("name" in p ? inText(values[p.name]) : p.text)).join("");
    case "array":
      return n.items.map((i) => expected(i, values));
    case "object":
      return Object.fromEntries(n.entries.map(([k, v]) => [k, expected(v, values)]));
  }
}
const inText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

describe("JSON input templates (property)", () => {
  it("give valid JSON or deliver nothing, whatever the values and wherever the placeholders", () => {
    const anyValue = fc.option(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.string({ maxLength: 6, unit: fc.constantFrom('"', "\\", "\n", "a", "{", "<") }),
      ),
      { nil: undefined },
    );
    const anyTemplate = fc.oneof(
      fc.tuple(templateOf(name), whitespace).map(([entries, ws]) => write({ kind: "object", entries }, ws)),
      // Text that merely starts like an object: broken JSON, stray quotes and brackets.
      fc
        .array(
          fc.oneof(
            fc.constantFrom('"', "{", "}", "[", "]", ":", ",", "\\", " ", "1", "x"),
            name.map((n) => `<${n}>`),
          ),
        )
        .map((parts) => `{${parts.join("")}`),
    );
    fc.assert(
      fc.property(anyTemplate, fc.dictionary(name, anyValue), (InputTemplate, values) => {
        let out: string;
        try {
          out = transformInput(eventWith(values), { InputPathsMap: paths, InputTemplate }, context);
        } catch (error) {
          expect(error).toBeInstanceOf(UndeliverableInputError);
          return;
        }
        expect(() => JSON.parse(out)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it("deliver the documented value when strings go anywhere and other values outside quotes", () => {
    const scalar = fc.oneof(plainString, fc.integer(), fc.boolean(), fc.constant(null));
    const structured = fc.oneof(
      fc.array(scalar, { maxLength: 3 }),
      fc.dictionary(plainString, scalar, { maxKeys: 3 }),
    );
    fc.assert(
      fc.property(
        // Objects and lists stay outside quotes: inside them, their JSON would end the string.
        templateOf(fc.constantFrom("v0", "v1")),
        whitespace,
        fc.record({
          v0: plainString,
          v1: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)),
          v2: structured,
          v3: structured,
        }),
        (entries, ws, values) => {
          const root: Node = { kind: "object", entries };
          const out = transformInput(
            eventWith(values),
            { InputPathsMap: paths, InputTemplate: write(root, ws) },
            context,
          );
          expect(JSON.parse(out)).toEqual(expected(root, values));
          // Minified: as long as JSON's own serialization (which may order keys differently).
          expect(out).toHaveLength(JSON.stringify(JSON.parse(out)).length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
