/**
 * Classes of behaviour where the engine missed AWS-recorded cases (issue 11): how `*Path` fields
 * read numbers, JSONata results that are functions, quoted names with escapes, States.MathRandom's
 * arguments, Step Functions' JSONata functions, and the uncatchable States.Runtime.
 */
import { describe, expect, it } from "vitest";
import { harness, run } from "./harness.ts";

const echo = () => harness({ invokeFunction: async (_name, payload) => payload });

function mapWith(fields: Record<string, unknown>) {
  return {
    StartAt: "M",
    States: {
      M: {
        Type: "Map",
        ItemsPath: "$.items",
        ItemProcessor: { StartAt: "P", States: { P: { Type: "Pass", End: true } } },
        ...fields,
        End: true,
      },
    },
  };
}

function taskWith(fields: Record<string, unknown>) {
  return {
    StartAt: "T",
    States: {
      T: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: "f" },
        ...fields,
        End: true,
      },
    },
  };
}

const cause = (text: string) =>
  `An error occurred while executing the state 'M' (entered at the event id #2). ${text}`;

describe("*Path fields that must resolve to a number", () => {
  it("reads ToleratedFailurePercentagePath as a float: 12.5 and the text '12.5' are taken", async () => {
    for (const pct of [12.5, "12.5"]) {
      const out = await run(mapWith({ ToleratedFailurePercentagePath: "$.pct" }), { items: [1], pct });
      expect(out.description.status).toBe("SUCCEEDED");
    }
  });

  it("reads counts as integers: a fraction in ToleratedFailureCountPath or MaxConcurrencyPath is refused", async () => {
    const count = await run(mapWith({ ToleratedFailureCountPath: "$.n" }), { items: [1], n: 1.5 });
    expect(count.description.error).toBe("States.Runtime");
    expect(count.description.cause).toBe(
      cause('The ToleratedFailureCountPath field refers to value "1.5" which is not a valid integer: $.n'),
    );
    const max = await run(mapWith({ MaxConcurrencyPath: "$.n" }), { items: [1], n: "2.5" });
    expect(max.description.cause).toBe(
      cause('The MaxConcurrencyPath field refers to value ""2.5"" which is not a valid integer: $.n'),
    );
  });

  it("quotes the value as JSON text, `null` when the path selects nothing, and names the float type", async () => {
    const obj = await run(mapWith({ ToleratedFailurePercentagePath: "$.p" }), { items: [1], p: { a: 1 } });
    expect(obj.description.cause).toBe(
      cause(
        'The ToleratedFailurePercentagePath field refers to value "{"a":1}" which is not a valid float: $.p',
      ),
    );
    const missing = await run(mapWith({ ToleratedFailureCountPath: "$.nope" }), { items: [1] });
    expect(missing.description.cause).toBe(
      cause(
        'The ToleratedFailureCountPath field refers to value "null" which is not a valid integer: $.nope',
      ),
    );
  });

  it("applies the same reading to TimeoutSecondsPath and HeartbeatSecondsPath", async () => {
    const timeout = await run(taskWith({ TimeoutSecondsPath: "$.t" }), { t: 2.5 }, echo());
    expect(timeout.description.error).toBe("States.Runtime");
    expect(timeout.description.cause).toContain(
      'The TimeoutSecondsPath field refers to value "2.5" which is not a valid integer: $.t',
    );
    const heartbeat = await run(
      taskWith({ HeartbeatSecondsPath: "$.h", TimeoutSeconds: 60 }),
      { h: "x" },
      echo(),
    );
    expect(heartbeat.description.cause).toContain(
      'The HeartbeatSecondsPath field refers to value ""x"" which is not a valid integer: $.h',
    );
    const text = await run(taskWith({ TimeoutSecondsPath: "$.t" }), { t: "30" }, echo());
    expect(text.description.status).toBe("SUCCEEDED");
  });
});

describe("JSONata results", () => {
  const output = (expr: string) => ({
    QueryLanguage: "JSONata",
    StartAt: "P",
    States: { P: { Type: "Pass", Output: expr, End: true } },
  });

  it("fails with States.QueryEvaluationError when an expression evaluates to a function, at any depth", async () => {
    for (const expr of ["{% $sum %}", "{% {'f': $uppercase} %}", "{% function($x){ $x } %}"]) {
      const out = await run(output(expr));
      expect(out.description.status).toBe("FAILED");
      expect(out.description.error).toBe("States.QueryEvaluationError");
      expect(out.description.cause).toContain("returned a function, which is not a JSON value.");
    }
  });

  it("gives $range, $partition and $hash their intrinsics' argument rules", async () => {
    const range = await run(output("{% $range(1.5, 9, 3) %}"));
    expect(range.description.error).toBe("States.QueryEvaluationError");
    expect(range.description.cause).toContain("The first argument of States.ArrayRange must be an integer");
    const long = await run(output("{% $range(0, 2000, 1) %}"));
    expect(long.description.cause).toContain("cannot produce more than 1000 items");
    const part = await run(output("{% $partition([1, 2, 3], 1.5) %}"));
    expect(part.description.error).toBe("States.QueryEvaluationError");
    const ok = await run(output("{% $range(9, 0, -3) %}"));
    expect(ok.output).toEqual([9, 6, 3, 0]);
  });
});

describe("JSONPath quoted names", () => {
  const pass = (value: string) => ({
    StartAt: "P",
    States: { P: { Type: "Pass", Parameters: { "v.$": value }, End: true } },
  });

  it("reads escaped quotes and escapes in bracket notation, inside intrinsic arguments too", async () => {
    expect((await run(pass("$['a\\'b']"), { "a'b": 1 })).output).toEqual({ v: 1 });
    expect((await run(pass('$["x\\"y"]'), { 'x"y': 2 })).output).toEqual({ v: 2 });
    expect((await run(pass("$['tab\\there']"), { "tab\there": 3 })).output).toEqual({ v: 3 });
    expect((await run(pass("States.Format('{}!', $['a\\'b'])"), { "a'b": "hi" })).output).toEqual({
      v: "hi!",
    });
    expect((await run(pass("States.Array($['x,y'], $.z)"), { "x,y": 1, z: 2 })).output).toEqual({
      v: [1, 2],
    });
  });
});

describe("States.MathRandom", () => {
  const random = (args: string) => ({
    StartAt: "P",
    States: { P: { Type: "Pass", Parameters: { "v.$": `States.MathRandom(${args})` }, End: true } },
  });

  it("returns an integer from start (inclusive) to end (exclusive), the same one for the same seed", async () => {
    const a = await run(random("1, 1000000, 42"));
    const b = await run(random("1, 1000000, 42"));
    expect(a.output).toEqual(b.output);
    const v = (a.output as { v: number }).v;
    expect(Number.isInteger(v) && v >= 1 && v < 1_000_000).toBe(true);
    const one = await run(random("5, 6"));
    expect(one.output).toEqual({ v: 5 });
  });

  it("takes ranges of any safe integers, and refuses fractions, numbers past a long, reversed ranges", async () => {
    const wide = await run(random("0, 9000000000000000"));
    expect(wide.description.status).toBe("SUCCEEDED");
    for (const args of ["1.5, 10", "0, 1e300", "10, 1", "1, 10, 0.5"]) {
      const out = await run(random(args));
      expect(out.description.error).toBe("States.IntrinsicFailure");
    }
  });
});

describe("States.Runtime", () => {
  it("is neither retried nor caught, even when a retrier or catcher names it", async () => {
    const out = await run(
      {
        StartAt: "T",
        States: {
          T: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "f", "Payload.$": "$.missing" },
            Retry: [{ ErrorEquals: ["States.Runtime"], MaxAttempts: 2 }],
            Catch: [
              { ErrorEquals: ["States.Runtime"], Next: "Caught" },
              { ErrorEquals: ["States.ALL"], Next: "Caught" },
            ],
            End: true,
          },
          Caught: { Type: "Pass", End: true },
        },
      },
      {},
      echo(),
    );
    expect(out.description.status).toBe("FAILED");
    expect(out.description.error).toBe("States.Runtime");
    expect(out.entered).toEqual(["T"]);
  });
});
