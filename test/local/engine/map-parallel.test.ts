import { describe, expect, it } from "vitest";
import { harness, run, types } from "./harness.ts";

const fn = "arn:aws:lambda:eu-west-1:123456789012:function:f";

describe("Map state", () => {
  it("runs an inline Map with ItemSelector and $$.Map.Item, keeping item order", async () => {
    // Prepare
    const h = harness({
      invokeFunction: async (_n, p) => ({ doubled: (p as { v: number }).v * 2, i: (p as { i: number }).i }),
    });
    const definition = {
      StartAt: "Each",
      States: {
        Each: {
          Type: "Map",
          ItemsPath: "$.items",
          MaxConcurrency: 2,
          ItemSelector: { "v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index" },
          ItemProcessor: { StartAt: "Work", States: { Work: { Type: "Task", Resource: fn, End: true } } },
          End: true,
        },
      },
    };
    // Act
    const out = await run(definition, { items: [1, 2, 3] }, h);
    // Assess
    expect(out.output).toEqual([
      { doubled: 2, i: 0 },
      { doubled: 4, i: 1 },
      { doubled: 6, i: 2 },
    ]);
    expect(types(out.history).filter((t) => t === "MapIterationStarted")).toHaveLength(3);
    expect(out.history.find((e) => e.type === "MapStateStarted")?.mapStateStartedEventDetails).toEqual({
      length: 3,
    });
  });

  it("never runs more iterations at once than MaxConcurrency", async () => {
    let running = 0;
    let peak = 0;
    const h = harness({
      invokeFunction: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        return null;
      },
    });
    await run(
      {
        StartAt: "M",
        States: {
          M: {
            Type: "Map",
            MaxConcurrency: 3,
            ItemProcessor: { StartAt: "W", States: { W: { Type: "Task", Resource: fn, End: true } } },
            End: true,
          },
        },
      },
      Array.from({ length: 10 }, (_, i) => i),
      h,
    );
    expect(peak).toBe(3);
  });

  it("runs at most 40 inline iterations at once, as AWS does", async () => {
    let running = 0;
    let peak = 0;
    const h = harness({
      invokeFunction: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        return null;
      },
    });
    await run(
      {
        StartAt: "M",
        States: {
          M: {
            Type: "Map",
            ItemProcessor: { StartAt: "W", States: { W: { Type: "Task", Resource: fn, End: true } } },
            End: true,
          },
        },
      },
      Array.from({ length: 100 }, (_, i) => i),
      h,
    );
    expect(peak).toBe(40);
  });

  it("batches items with ItemBatcher and passes BatchInput", async () => {
    const out = await run(
      {
        StartAt: "M",
        States: {
          M: {
            Type: "Map",
            ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { run: "r1" } },
            ItemProcessor: {
              ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
              StartAt: "P",
              States: { P: { Type: "Pass", End: true } },
            },
            End: true,
          },
        },
      },
      [1, 2, 3],
    );
    expect(out.output).toEqual([
      { BatchInput: { run: "r1" }, Items: [1, 2] },
      { BatchInput: { run: "r1" }, Items: [3] },
    ]);
  });

  it("tolerates failures up to ToleratedFailureCount, then fails with States.ExceedToleratedFailureThreshold", async () => {
    const definition = (tolerated: number) => ({
      StartAt: "M",
      States: {
        M: {
          Type: "Map",
          ToleratedFailureCount: tolerated,
          ItemProcessor: {
            ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
            StartAt: "C",
            States: {
              C: {
                Type: "Choice",
                Choices: [{ Variable: "$", NumericEquals: 0, Next: "Bad" }],
                Default: "Ok",
              },
              Bad: { Type: "Fail", Error: "Bad" },
              Ok: { Type: "Pass", End: true },
            },
          },
          End: true,
        },
      },
    });
    const ok = await run(definition(1), [0, 1, 2]);
    expect(ok.description.status).toBe("SUCCEEDED");
    const failed = await run(definition(0), [0, 1, 2]);
    expect(failed.description.error).toBe("States.ExceedToleratedFailureThreshold");
  });

  it("fails a Map with the first failing iteration's error and aborts the rest", async () => {
    const out = await run(
      {
        StartAt: "M",
        States: {
          M: {
            Type: "Map",
            ItemProcessor: {
              StartAt: "F",
              States: { F: { Type: "Fail", Error: "ItemFailed", Cause: "bad item" } },
            },
            End: true,
          },
        },
      },
      [1, 2],
    );
    expect(out.description).toMatchObject({ status: "FAILED", error: "ItemFailed", cause: "bad item" });
    expect(types(out.history)).toContain("MapStateFailed");
  });

  it("reports ItemReader and ResultWriter as unsupported with a clear error", async () => {
    const out = await run({
      StartAt: "M",
      States: {
        M: {
          Type: "Map",
          ItemReader: { Resource: "arn:aws:states:::s3:getObject", Parameters: { Bucket: "b", Key: "k" } },
          ItemProcessor: { StartAt: "P", States: { P: { Type: "Pass", End: true } } },
          End: true,
        },
      },
    });
    expect(out.description.error).toBe("States.ItemReaderFailed");
    expect(out.description.cause).toContain("ItemReader is not supported by the local engine");
  });

  it("evaluates JSONata Items and ItemSelector with $states.context.Map.Item", async () => {
    const out = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "M",
        States: {
          M: {
            Type: "Map",
            Items: "{% $range(1, 3, 1) %}",
            ItemSelector: { n: "{% $states.context.Map.Item.Value * 10 %}" },
            ItemProcessor: { StartAt: "P", States: { P: { Type: "Pass", End: true } } },
            End: true,
          },
        },
      },
      {},
    );
    expect(out.output).toEqual([{ n: 10 }, { n: 20 }, { n: 30 }]);
  });
});

describe("Parallel state", () => {
  it("returns the branches' outputs in branch order", async () => {
    const out = await run(
      {
        StartAt: "Both",
        States: {
          Both: {
            Type: "Parallel",
            Branches: [
              { StartAt: "A", States: { A: { Type: "Pass", Result: "a", End: true } } },
              {
                StartAt: "B",
                States: {
                  B: { Type: "Wait", Seconds: 5, Next: "B2" },
                  B2: { Type: "Pass", Result: "b", End: true },
                },
              },
            ],
            End: true,
          },
        },
      },
      {},
    );
    expect(out.output).toEqual(["a", "b"]);
    expect(types(out.history)).toEqual(
      expect.arrayContaining(["ParallelStateStarted", "ParallelStateSucceeded"]),
    );
  });

  it("fails with a branch's error, which the Parallel's Catch can handle", async () => {
    const out = await run(
      {
        StartAt: "Both",
        States: {
          Both: {
            Type: "Parallel",
            Branches: [
              { StartAt: "A", States: { A: { Type: "Fail", Error: "BranchBroke", Cause: "x" } } },
              { StartAt: "B", States: { B: { Type: "Wait", Seconds: 3600, End: true } } },
            ],
            Catch: [{ ErrorEquals: ["BranchBroke"], Next: "Recovered" }],
            End: true,
          },
          Recovered: { Type: "Pass", End: true },
        },
      },
      {},
    );
    expect(out.output).toEqual({ Error: "BranchBroke", Cause: "x" });
    expect(out.entered.at(-1)).toBe("Recovered");
  });
});

describe("variables", () => {
  it("assigns with Assign, reads outer variables in a Map, and keeps inner assignments inside", async () => {
    const out = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "Set",
        States: {
          Set: { Type: "Pass", Assign: { factor: 3, seen: "outer" }, Next: "M" },
          M: {
            Type: "Map",
            Items: "{% [1, 2] %}",
            ItemProcessor: {
              StartAt: "Mul",
              States: {
                Mul: {
                  Type: "Pass",
                  Assign: { seen: "inner" },
                  Output: "{% $states.input * $factor %}",
                  End: true,
                },
              },
            },
            Next: "After",
          },
          After: { Type: "Pass", Output: { results: "{% $states.input %}", seen: "{% $seen %}" }, End: true },
        },
      },
      {},
    );
    expect(out.output).toEqual({ results: [3, 6], seen: "outer" });
  });

  it("evaluates all Assign values against the values before the state (JSONPath)", async () => {
    const out = await run(
      {
        StartAt: "A",
        States: {
          A: { Type: "Pass", Assign: { x: 1 }, Next: "B" },
          B: { Type: "Pass", Assign: { x: 2, "old.$": "$x" }, Next: "C" },
          C: { Type: "Pass", Parameters: { "x.$": "$x", "old.$": "$old" }, End: true },
        },
      },
      {},
    );
    expect(out.output).toEqual({ x: 2, old: 1 });
  });

  it("fails with States.QueryEvaluationError naming the field when a variable is undefined", async () => {
    const out = await run({
      QueryLanguage: "JSONata",
      StartAt: "A",
      States: { A: { Type: "Pass", Output: { v: "{% $nope %}" }, End: true } },
    });
    expect(out.description.error).toBe("States.QueryEvaluationError");
    expect(out.description.cause).toContain(
      "specified for the field 'Output/v' returned nothing (undefined)",
    );
  });
});
