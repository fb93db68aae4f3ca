import { describe, expect, it } from "vitest";
import { harness, run } from "./harness.ts";

describe("execution history", () => {
  it("records a Map's events in GetExecutionHistory order with each thread chained by previousEventId", async () => {
    // Prepare
    const h = harness({ invokeFunction: async (_n, p) => p });
    // Act
    const out = await run(
      {
        StartAt: "M",
        States: {
          M: {
            Type: "Map",
            ItemProcessor: {
              StartAt: "T",
              States: {
                T: { Type: "Task", Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f", End: true },
              },
            },
            End: true,
          },
        },
      },
      ["a"],
      h,
    );
    // Assess
    expect(out.history.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, "ExecutionStarted"],
      [2, 1, "MapStateEntered"],
      [3, 2, "MapStateStarted"],
      [4, 3, "MapIterationStarted"],
      [5, 4, "TaskStateEntered"],
      [6, 5, "LambdaFunctionScheduled"],
      [7, 6, "LambdaFunctionStarted"],
      [8, 7, "LambdaFunctionSucceeded"],
      [9, 8, "TaskStateExited"],
      [10, 9, "MapIterationSucceeded"],
      [11, 3, "MapStateSucceeded"],
      [12, 11, "MapStateExited"],
      [13, 12, "ExecutionSucceeded"],
    ]);
    expect(out.history[3]?.mapIterationStartedEventDetails).toEqual({ name: "M", index: 0 });
    expect(out.history[5]?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: "arn:aws:lambda:eu-west-1:123456789012:function:f",
      input: '"a"',
    });
    expect(out.history.at(-1)?.executionSucceededEventDetails).toEqual({
      output: '["a"]',
      outputDetails: { truncated: false },
    });
  });

  it("records assigned variables on the exit event and the failure on ExecutionFailed", async () => {
    const out = await run({
      StartAt: "A",
      States: {
        A: { Type: "Pass", Assign: { stage: "one" }, Next: "F" },
        F: { Type: "Fail", Error: "Stop", Cause: "because" },
      },
    });
    expect(out.history[2]?.stateExitedEventDetails).toMatchObject({
      name: "A",
      assignedVariables: { stage: '"one"' },
    });
    expect(out.history.map((e) => e.type).slice(-2)).toEqual(["FailStateEntered", "ExecutionFailed"]);
    expect(out.history.at(-1)?.executionFailedEventDetails).toEqual({ error: "Stop", cause: "because" });
  });
});
