import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePattern, InvalidEventPatternException } from "../../../local/bus/pattern.ts";
import { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from "../../../local/bus/wildcard-complexity.ts";

const TOO_COMPLEX =
  "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

function refusal(pattern: unknown): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidEventPatternException);
    return (e as Error).message;
  }
}

describe("wildcard complexity", () => {
  it("accepts what AWS was seen to accept: three two-wildcard values on one field", () => {
    expect(refusal({ detail: { key: [{ wildcard: "*a*b*c*d*" }] } })).toBeUndefined();
    expect(
      refusal({ detail: { id: ["x:stack/a/*", "y:stack/b/*"].map((w) => ({ wildcard: `*${w}` })) } }),
    ).toBeUndefined();
    expect(
      refusal({ detail: { id: ["a", "b", "c"].map((n) => ({ wildcard: `*:stack/${n}/*` })) } }),
    ).toBeUndefined();
  });

  it("refuses what AWS refused: four such values on one field", () => {
    expect(
      refusal({ detail: { id: ["a", "b", "c", "d"].map((n) => ({ wildcard: `*:stack/${n}/*` })) } }),
    ).toBe(TOO_COMPLEX);
    expect(refusal({ detail: { key: [{ wildcard: "*a*b*c*d*e*f*g*" }] } })).toBe(TOO_COMPLEX);
  });

  // A second public report (a Terraform configuration's comment): four `*/datasync/*.<ext>` keys in
  // one rule were refused with this message and were split into rules of two; four `*.<ext>` keys
  // stayed in one rule.
  it("agrees with a second refusal seen in public: S3 object keys by extension under a folder", () => {
    const keys = (ws: string[]) => ({ detail: { object: { key: ws.map((wildcard) => ({ wildcard })) } } });
    const exts = ["bif", "tif", "tiff", "svs"];
    expect(refusal(keys(exts.map((e) => `*/datasync/*.${e}`)))).toBe(TOO_COMPLEX);
    expect(refusal(keys(exts.slice(0, 2).map((e) => `*/datasync/*.${e}`)))).toBeUndefined();
    expect(refusal(keys(exts.map((e) => `*.${e}`)))).toBeUndefined();
  });

  it("counts repeated characters after a wildcard, anything-but wildcards and $or branches of one field", () => {
    expect(refusal({ k: [{ wildcard: `*${"a".repeat(12)}` }] })).toBe(TOO_COMPLEX);
    expect(refusal({ k: [{ wildcard: `*${"abcdefghijkl"}` }] })).toBeUndefined();
    expect(refusal({ k: [{ "anything-but": { wildcard: ["*.a*", "*.b*", "*.c*", "*.d*"] } }] })).toBe(
      TOO_COMPLEX,
    );
    expect(
      refusal({
        $or: [
          { k: [{ wildcard: "*x:1/*" }, { wildcard: "*x:2/*" }] },
          { k: [{ wildcard: "*x:3/*" }, { wildcard: "*x:4/*" }] },
        ],
      }),
    ).toBe(TOO_COMPLEX);
    // The same wildcards spread over different fields are each simple.
    expect(
      refusal({
        a: [{ wildcard: "*:stack/a/*" }],
        b: [{ wildcard: "*:stack/b/*" }],
        c: [{ wildcard: "*:stack/c/*" }],
        d: [{ wildcard: "*:stack/d/*" }],
      }),
    ).toBeUndefined();
  });

  it("never refuses a value with one wildcard, and only grows with the wildcards added (property)", () => {
    const word = fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !/[*\\]/.test(s));
    fc.assert(
      fc.property(word, word, (a, b) => {
        const one = wildcardComplexity([`${a}*${b}`]);
        expect(one).toBeLessThanOrEqual(MAX_WILDCARD_COMPLEXITY);
        expect(wildcardComplexity([`${a}*${b}`, `*${b}*${a}`])).toBeGreaterThanOrEqual(one);
      }),
    );
  });
});
