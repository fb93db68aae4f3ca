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

  // "The reference path must select fields whose values are positive integers" (Task state).
  it("refuses a TimeoutSecondsPath or HeartbeatSecondsPath value of 0 or less before the task starts", async () => {
    let calls = 0;
    const counted = () =>
      harness({
        invokeFunction: async (_name, payload) => {
          calls++;
          return payload;
        },
      });
    const zero = await run(taskWith({ TimeoutSecondsPath: "$.t" }), { t: 0 }, counted());
    expect(zero.description.error).toBe("States.Runtime");
    expect(zero.description.cause).toContain(
      'The TimeoutSecondsPath field refers to value "0" which is not a valid integer: $.t',
    );
    const negative = await run(
      taskWith({ HeartbeatSecondsPath: "$.h", TimeoutSeconds: 60 }),
      { h: -5 },
      counted(),
    );
    expect(negative.description.error).toBe("States.Runtime");
    expect(calls).toBe(0);
    const jsonata = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "T",
        States: {
          T: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Arguments: { FunctionName: "f" },
            TimeoutSeconds: "{% -1 %}",
            End: true,
          },
        },
      },
      {},
      counted(),
    );
    expect(jsonata.description.error).toBe("States.QueryEvaluationError");
    expect(calls).toBe(0);
  });
});

describe("ItemBatcher counts read as the other *Path fields", () => {
  const batched = (batcher: Record<string, unknown>, jsonata = false) => ({
    ...(jsonata ? { QueryLanguage: "JSONata" } : {}),
    StartAt: "M",
    States: {
      M: {
        Type: "Map",
        ...(jsonata ? { Items: "{% $states.input.items %}" } : { ItemsPath: "$.items" }),
        ItemBatcher: batcher,
        ItemProcessor: {
          ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
          StartAt: "P",
          States: { P: { Type: "Pass", End: true } },
        },
        End: true,
      },
    },
  });

  it("batches by MaxItemsPerBatchPath (a number or numeric text) and by a JSONata MaxItemsPerBatch", async () => {
    const want = [{ Items: [1, 2] }, { Items: [3] }];
    for (const n of [2, "2"]) {
      const out = await run(batched({ MaxItemsPerBatchPath: "$.n" }), { items: [1, 2, 3], n });
      expect(out.output).toEqual(want);
    }
    const jsonata = await run(batched({ MaxItemsPerBatch: "{% $states.input.n %}" }, true), {
      items: [1, 2, 3],
      n: 2,
    });
    expect(jsonata.output).toEqual(want);
  });

  it("batches by MaxInputBytesPerBatchPath", async () => {
    // Each item is 1 byte of JSON: 2 bytes a batch makes batches of two.
    const out = await run(batched({ MaxInputBytesPerBatchPath: "$.b" }), { items: [1, 2, 3], b: 2 });
    expect(out.output).toEqual([{ Items: [1, 2] }, { Items: [3] }]);
  });

  it("refuses a value that is not an integer with States.Runtime, quoting it as JSON text", async () => {
    const frac = await run(batched({ MaxItemsPerBatchPath: "$.n" }), { items: [1], n: 1.5 });
    expect(frac.description.error).toBe("States.Runtime");
    expect(frac.description.cause).toBe(
      cause('The MaxItemsPerBatchPath field refers to value "1.5" which is not a valid integer: $.n'),
    );
    const obj = await run(batched({ MaxInputBytesPerBatchPath: "$.b" }), { items: [1], b: { x: 1 } });
    expect(obj.description.cause).toBe(
      cause(
        'The MaxInputBytesPerBatchPath field refers to value "{"x":1}" which is not a valid integer: $.b',
      ),
    );
    const zero = await run(batched({ MaxItemsPerBatchPath: "$.n" }), { items: [1], n: 0 });
    expect(zero.description.cause).toBe(
      cause('The MaxItemsPerBatchPath field refers to value "0" which is not a valid integer: $.n'),
    );
    const negative = await run(batched({ MaxInputBytesPerBatch: "{% -1 %}" }, true), { items: [1] });
    expect(negative.description.error).toBe("States.QueryEvaluationError");
    expect(negative.description.cause).toContain(
      "'ItemBatcher/MaxInputBytesPerBatch' returned a value out of range",
    );
    const text = await run(batched({ MaxItemsPerBatch: "{% 'two' %}" }, true), { items: [1] });
    expect(text.description.error).toBe("States.QueryEvaluationError");
    expect(text.description.cause).toContain("specified for the field 'ItemBatcher/MaxItemsPerBatch'");
  });
});

describe("Wait SecondsPath", () => {
  const wait = {
    StartAt: "W",
    States: { W: { Type: "Wait", SecondsPath: "$.s", End: true } },
  };
  const waitCause = (text: string) =>
    `An error occurred while executing the state 'W' (entered at the event id #2). ${text}`;

  it("reads numeric text as a long, and shows text it cannot read without quotes, as TimestampPath does", async () => {
    expect((await run(wait, { s: "0" })).description.status).toBe("SUCCEEDED");
    const text = await run(wait, { s: "soon" });
    expect(text.description.cause).toBe(
      waitCause("The SecondsPath parameter cannot be parsed as a long value: $.s == soon"),
    );
    const negative = await run(wait, { s: "-1" });
    expect(negative.description.cause).toBe(
      waitCause("The SecondsPath parameter references a negative value: $.s == -1"),
    );
    const obj = await run(wait, { s: { a: 1 } });
    expect(obj.description.cause).toBe(
      waitCause('The SecondsPath parameter cannot be parsed as a long value: $.s == {"a":1}'),
    );
  });
});

describe("JSONata number fields", () => {
  // A result of the wrong type fails as AWS's recorded `Items` refusal words it ("returned an
  // unexpected result type. Expected 'array', but was 'object' for value: ..."), for every field.
  it("refuse a result that is not a number the same way in a Wait's Seconds as in a Task's TimeoutSeconds", async () => {
    const wait = await run({
      QueryLanguage: "JSONata",
      StartAt: "W",
      States: { W: { Type: "Wait", Seconds: "{% 'soon' %}", End: true } },
    });
    expect(wait.description.error).toBe("States.QueryEvaluationError");
    expect(wait.description.cause).toBe(
      "An error occurred while executing the state 'W' (entered at the event id #2). The JSONata expression ''soon'' specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was 'string' for value: \"soon\"",
    );
    const task = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "T",
        States: {
          T: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Arguments: { FunctionName: "f" },
            TimeoutSeconds: "{% 'soon' %}",
            End: true,
          },
        },
      },
      {},
      echo(),
    );
    expect(task.description.cause).toBe(
      "An error occurred while executing the state 'T' (entered at the event id #2). The JSONata expression ''soon'' specified for the field 'TimeoutSeconds' returned an unexpected result type. Expected 'integer', but was 'string' for value: \"soon\"",
    );
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
    const long = await run(output("{% $range(0, 2000, 1) %}"));
    expect(long.description.error).toBe("States.QueryEvaluationError");
    expect(long.description.cause).toContain("cannot produce more than 1000 items");
    const zero = await run(output("{% $range(0, 9, 0) %}"));
    expect(zero.description.cause).toContain("The step argument of States.ArrayRange must not be 0");
    const ok = await run(output("{% $range(9, 0, -3) %}"));
    expect(ok.output).toEqual([9, 6, 3, 0]);
  });

  // "Built-in JSONata functions that require integer values as parameters will automatically round
  // down any non-integer numbers provided" (Developer Guide, "Transforming data with JSONata").
  it("rounds fractions down where Step Functions' JSONata functions take integers", async () => {
    expect((await run(output("{% $range(1.5, 9, 3.9) %}"))).output).toEqual([1, 4, 7]);
    expect((await run(output("{% $range(-1.5, 1, 1) %}"))).output).toEqual([-2, -1, 0, 1]);
    expect((await run(output("{% $partition([1, 2, 3], 1.9) %}"))).output).toEqual([[1], [2], [3]]);
    const seeded = await run(output("{% [$random(7), $random(7.8)] %}"));
    const [a, b] = seeded.output as number[];
    expect(a).toBe(b);
    // 0.5 rounds down to 0: no chunk size.
    const part = await run(output("{% $partition([1, 2, 3], 0.5) %}"));
    expect(part.description.error).toBe("States.QueryEvaluationError");
    expect(part.description.cause).toContain(
      "chunk size argument of States.ArrayPartition must be greater than 0",
    );
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

  it("takes ranges of any safe integers, and refuses numbers past a long, empty and reversed ranges, text", async () => {
    const wide = await run(random("0, 9000000000000000"));
    expect(wide.description.status).toBe("SUCCEEDED");
    for (const args of ["0, 1e300", "10, 1", "3, 3", "'1', 10", "1", "1, 2, 3, 4"]) {
      const out = await run(random(args));
      expect(out.description.error).toBe("States.IntrinsicFailure");
    }
  });

  // "If you specify a non-integer value for the start number or end number argument, Step Functions
  // will round it off to the nearest integer" (Developer Guide, "Intrinsic functions").
  it("rounds fractional bounds and seeds to the nearest integer", async () => {
    expect((await run(random("4.5, 5.5"))).output).toEqual({ v: 5 });
    expect((await run(random("-5.5, -4.5"))).output).toEqual({ v: -5 });
    // 1.4 and 1.5 round to 1 and 2: nothing from 1 (inclusive) to 1 (exclusive) when both are 1.
    expect((await run(random("1.4, 1.45"))).description.error).toBe("States.IntrinsicFailure");
    const a = await run(random("0, 1000000, 41.5"));
    const b = await run(random("0, 1000000, 42"));
    expect(a.output).toEqual(b.output);
  });
});

describe('Intrinsics that round their integer arguments (Developer Guide, "Intrinsic functions")', () => {
  const pass = (expr: string) => ({
    StartAt: "P",
    States: { P: { Type: "Pass", Parameters: { "v.$": expr }, End: true } },
  });

  it("States.ArrayRange rounds each argument to the nearest integer", async () => {
    expect((await run(pass("States.ArrayRange(1.5, 9.4, 2.5)"))).output).toEqual({ v: [2, 5, 8] });
    const zero = await run(pass("States.ArrayRange(1, 9, 0.4)"));
    expect(zero.description.error).toBe("States.IntrinsicFailure");
  });

  it("States.ArrayPartition rounds the chunk size; one that rounds to 0 is refused", async () => {
    expect((await run(pass("States.ArrayPartition($.a, 1.5)"), { a: [1, 2, 3] })).output).toEqual({
      v: [[1, 2], [3]],
    });
    const zero = await run(pass("States.ArrayPartition($.a, 0.4)"), { a: [1, 2, 3] });
    expect(zero.description.error).toBe("States.IntrinsicFailure");
  });

  it("States.MathAdd takes operands from -2147483648 to 2147483647 once rounded", async () => {
    expect((await run(pass("States.MathAdd(2147483647.4, -1)"))).output).toEqual({ v: 2147483646 });
    for (const args of ["2147483648, 0", "0, -2147483649", "$.big, 1"]) {
      const out = await run(pass(`States.MathAdd(${args})`), { big: 1e12 });
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
