import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compare, stringMatches } from "../../../local/engine/choice.ts";
import { run } from "./harness.ts";

describe("Pass state", () => {
  it("applies Parameters, ResultPath and OutputPath to the input (JSONPath)", async () => {
    // Prepare
    const definition = {
      StartAt: "Shape",
      States: {
        Shape: {
          Type: "Pass",
          InputPath: "$.order",
          Parameters: { "id.$": "$.id", fixed: 1, "ctx.$": "$$.State.Name" },
          ResultPath: "$.shaped",
          OutputPath: "$.shaped",
          End: true,
        },
      },
    };
    // Act
    const out = await run(definition, { order: { id: "o-1" } });
    // Assess
    expect(out.description.status).toBe("SUCCEEDED");
    expect(out.output).toEqual({ id: "o-1", fixed: 1, ctx: "Shape" });
    expect(out.entered).toEqual(["Shape"]);
  });

  it("leaves keys ending in .$ untouched inside Result", async () => {
    const out = await run({
      StartAt: "P",
      States: { P: { Type: "Pass", Result: { "a.$": "$.x" }, End: true } },
    });
    expect(out.output).toEqual({ "a.$": "$.x" });
  });

  it("fails with States.Runtime naming the field when a Parameters path selects nothing", async () => {
    const out = await run({
      StartAt: "P",
      States: { P: { Type: "Pass", Parameters: { "v.$": "$.missing" }, End: true } },
    });
    expect(out.description.status).toBe("FAILED");
    expect(out.description.error).toBe("States.Runtime");
    expect(out.description.cause).toBe(
      "An error occurred while executing the state 'P' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'v.$' could not be found in the input '{}'",
    );
  });

  it("evaluates Output with JSONata and $states.input", async () => {
    const out = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "P",
        States: {
          P: { Type: "Pass", Output: { sum: "{% $states.input.a + $states.input.b %}" }, End: true },
        },
      },
      { a: 2, b: 3 },
    );
    expect(out.output).toEqual({ sum: 5 });
  });
});

describe("Choice state", () => {
  const definition = {
    StartAt: "Route",
    States: {
      Route: {
        Type: "Choice",
        Choices: [
          {
            And: [
              { Variable: "$.size", NumericGreaterThan: 10 },
              { Not: { Variable: "$.tier", StringEquals: "basic" } },
            ],
            Next: "Big",
          },
          { Variable: "$.name", StringMatches: "tenant-*", Next: "Tenant" },
        ],
        Default: "Other",
      },
      Big: { Type: "Succeed" },
      Tenant: { Type: "Succeed" },
      Other: { Type: "Succeed" },
    },
  };

  it("takes the first matching rule, with And/Not combinators", async () => {
    const out = await run(definition, { size: 11, tier: "premium", name: "x" });
    expect(out.entered).toEqual(["Route", "Big"]);
  });

  it("matches StringMatches wildcards", async () => {
    const out = await run(definition, { size: 1, tier: "basic", name: "tenant-a" });
    expect(out.entered).toEqual(["Route", "Tenant"]);
  });

  it("falls through to Default when nothing matches", async () => {
    const out = await run(definition, { size: 1, tier: "basic", name: "x" });
    expect(out.entered).toEqual(["Route", "Other"]);
  });

  it("fails with States.NoChoiceMatched when there is no Default", async () => {
    const out = await run({
      StartAt: "C",
      States: {
        C: { Type: "Choice", Choices: [{ Variable: "$.a", IsPresent: true, Next: "D" }] },
        D: { Type: "Succeed" },
      },
    });
    expect(out.description.error).toBe("States.NoChoiceMatched");
  });

  it("evaluates JSONata Conditions and rejects non-boolean results", async () => {
    const ok = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "C",
        States: {
          C: {
            Type: "Choice",
            Choices: [{ Condition: "{% $states.input.n > 1 %}", Next: "Yes" }],
            Default: "No",
          },
          Yes: { Type: "Succeed" },
          No: { Type: "Succeed" },
        },
      },
      { n: 2 },
    );
    expect(ok.entered).toEqual(["C", "Yes"]);
    const bad = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "C",
        States: {
          C: {
            Type: "Choice",
            Choices: [{ Condition: "{% $states.input.n %}", Next: "Yes" }],
            Default: "Yes",
          },
          Yes: { Type: "Succeed" },
        },
      },
      { n: 2 },
    );
    expect(bad.description.error).toBe("States.QueryEvaluationError");
  });

  it("never matches comparisons across types (property)", () => {
    const nonNumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(nonNumber, fc.double({ noNaN: true }), (a, b) => {
        for (const op of ["NumericEquals", "NumericLessThan", "NumericGreaterThanEquals"]) {
          expect(compare(op, a, b)).toBe(false);
        }
      }),
    );
  });

  it("orders numbers and strings as their natural order (property)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (a, b) => {
        expect(compare("NumericLessThan", a, b)).toBe(a < b);
        expect(compare("NumericEquals", a, b)).toBe(a === b);
        expect(compare("NumericGreaterThanEquals", a, b)).toBe(a >= b);
      }),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(compare("StringLessThan", a, b)).toBe(a < b);
        expect(compare("StringEquals", a, b)).toBe(a === b);
      }),
    );
  });

  it("treats a pattern without wildcards as equality and '*' as any text (property)", () => {
    const plain = fc.string().filter((s) => !s.includes("*") && !s.includes("\\"));
    fc.assert(
      fc.property(plain, plain, (a, b) => {
        expect(stringMatches(a, a)).toBe(true);
        expect(stringMatches(a + b, `${a}*`)).toBe(true);
        expect(stringMatches(`${b}${a}`, `*${a}`)).toBe(true);
        expect(stringMatches(a, b)).toBe(a === b);
      }),
    );
  });

  it("compares timestamps by instant, not by text", () => {
    expect(compare("TimestampEquals", "2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z")).toBe(true);
    expect(compare("TimestampLessThan", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z")).toBe(true);
    expect(compare("TimestampEquals", "2026-13-01T00:00:00Z", "2026-13-01T00:00:00Z")).toBe(false);
  });
});

describe("payload limit on state outputs", () => {
  it("fails a Pass state whose output exceeds 256 KiB with States.DataLimitExceeded", async () => {
    const out = await run(
      {
        StartAt: "Grow",
        States: {
          Grow: { Type: "Pass", Parameters: { "a.$": "$.big", "b.$": "$.big" }, End: true },
        },
      },
      { big: "x".repeat(140 * 1024) },
    );
    expect(out.description.error).toBe("States.DataLimitExceeded");
    expect(out.description.cause).toContain("'Grow'");
  });
});
