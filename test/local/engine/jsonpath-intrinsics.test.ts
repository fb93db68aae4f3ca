import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StatesError } from "../../../local/engine/errors.ts";
import { apply, evaluateIntrinsic, parseIntrinsic } from "../../../local/engine/intrinsics.ts";
import type { Json } from "../../../local/engine/json.ts";
import { compilePath, evaluatePath, setAtPath } from "../../../local/engine/jsonpath.ts";

const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
const json: fc.Arbitrary<Json> = fc.jsonValue() as fc.Arbitrary<Json>;

describe("JSONPath", () => {
  it("reads back what setAtPath wrote, for any definite path (property)", () => {
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 4 }), json, (keys, value) => {
        const path = compilePath(`$.${keys.join(".")}`);
        const written = setAtPath({}, path, value);
        expect(evaluatePath(path, written)).toEqual({ found: true, value });
      }),
    );
  });

  it("agrees between dot and bracket notation (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(key, json), key, (obj, k) => {
        const dot = evaluatePath(compilePath(`$.${k}`), obj);
        const bracket = evaluatePath(compilePath(`$['${k}']`), obj);
        expect(dot).toEqual(bracket);
        expect(dot.found).toBe(Object.hasOwn(obj, k));
      }),
    );
  });

  it("selects every element with [*] and slices like Array.prototype.slice (property)", () => {
    fc.assert(
      fc.property(fc.array(json), fc.nat(10), fc.nat(10), (arr, a, b) => {
        expect(evaluatePath(compilePath("$[*]"), arr)).toEqual({ found: true, value: arr });
        const [start, end] = a <= b ? [a, b] : [b, a];
        expect(evaluatePath(compilePath(`$[${start}:${end}]`), arr)).toEqual({
          found: true,
          value: arr.slice(start, end),
        });
      }),
    );
  });

  it("filters, scans deeply and reports indefinite paths as lists", () => {
    const doc = {
      items: [
        { n: 1, tag: "a" },
        { n: 5, tag: "b" },
        { n: 9, tag: "a" },
      ],
      meta: { n: 100 },
    };
    expect(evaluatePath(compilePath("$.items[?(@.n > 2 && @.tag == 'a')].n"), doc)).toEqual({
      found: true,
      value: [9],
    });
    expect(evaluatePath(compilePath("$..n"), doc)).toEqual({ found: true, value: [1, 5, 9, 100] });
    expect(evaluatePath(compilePath("$.items[0,2].tag"), doc)).toEqual({ found: true, value: ["a", "a"] });
    expect(evaluatePath(compilePath("$.items.length()"), doc)).toEqual({ found: true, value: 3 });
    expect(evaluatePath(compilePath("$.missing"), doc)).toEqual({ found: false });
    expect(compilePath("$.a[0]['b c']").normalized).toBe("$['a'][0]['b c']");
  });
});

describe("intrinsic functions", () => {
  const call = (text: string, input: Json = {}) =>
    evaluateIntrinsic(parseIntrinsic(text), (p) => {
      const r = evaluatePath(compilePath(p), input);
      if (!r.found) throw new Error(`no ${p}`);
      return r.value;
    });

  it("round-trips JsonToString and StringToJson (property)", () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(apply("States.StringToJson", [apply("States.JsonToString", [v])])).toEqual(
          JSON.parse(JSON.stringify(v)),
        );
      }),
    );
  });

  it("round-trips Base64Encode and Base64Decode (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(apply("States.Base64Decode", [apply("States.Base64Encode", [s])])).toBe(s);
      }),
    );
  });

  it("partitions arrays into chunks that concatenate back (property)", () => {
    fc.assert(
      fc.property(fc.array(json, { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (arr, size) => {
        const parts = apply("States.ArrayPartition", [arr, size]) as Json[][];
        expect(parts.flat(1)).toEqual(arr);
        expect(parts.every((p) => p.length <= size && p.length > 0)).toBe(true);
      }),
    );
  });

  it("ranges inclusively and keeps MathRandom within [start, end) (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 7 }),
        (a, len, step) => {
          const range = apply("States.ArrayRange", [a, a + len, step]) as number[];
          expect(range[0]).toBe(a);
          expect(range.every((x, i) => x === a + i * step && x <= a + len)).toBe(true);
          const r = apply("States.MathRandom", [a, a + len + 1]) as number;
          expect(r >= a && r < a + len + 1 && Number.isInteger(r)).toBe(true);
        },
      ),
    );
  });

  it("formats with {} placeholders, escapes and nested calls", () => {
    expect(call("States.Format('Hello {}, you are {}', $.name, $.age)", { name: "Ann", age: 7 })).toBe(
      "Hello Ann, you are 7",
    );
    expect(call("States.Format('literal \\{\\} and {}', States.MathAdd(1, 2))")).toBe("literal {} and 3");
    expect(call("States.Format('{}', $.o)", { o: { a: 1, b: [1, 2] } })).toBe("{a=1, b=[1, 2]}");
    expect(call("States.Hash('input data', 'SHA-256')")).toBe(
      createHash("sha256").update("input data").digest("hex"),
    );
    expect(call("States.Hash('input data', 'MD5')")).toBe("812f45842bc6d66ee14572ce20db8e86");
    expect(call("States.StringSplit('a,b;;c', ',;')")).toEqual(["a", "b", "c"]);
    expect(call("States.ArrayGetItem(States.Array(1, 'two', null), 1)")).toBe("two");
    expect(call("States.JsonMerge($.a, $.b, false)", { a: { x: 1, y: 1 }, b: { y: 2 } })).toEqual({
      x: 1,
      y: 2,
    });
    expect(call("States.MathAdd(1.5, 1.51)")).toBe(4);
  });

  it("fails with States.IntrinsicFailure on bad arguments", () => {
    const attempt = (text: string) => {
      try {
        call(text);
        return undefined;
      } catch (e) {
        return e instanceof StatesError ? e.error : "other";
      }
    };
    expect(attempt("States.Format('{} {}', 1)")).toBe("States.IntrinsicFailure");
    expect(attempt("States.ArrayGetItem(States.Array(1), 5)")).toBe("States.IntrinsicFailure");
    expect(attempt("States.Hash('x', 'SHA-3')")).toBe("States.IntrinsicFailure");
    expect(attempt("States.StringToJson('{nope')")).toBe("States.IntrinsicFailure");
    expect(attempt("States.Unknown()")).toBe("States.IntrinsicFailure");
  });
});
