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
  it("records EvaluationFailed where a JSONata expression fails, with state, error, cause and location", async () => {
    const out = await run({
      QueryLanguage: "JSONata",
      StartAt: "P",
      States: { P: { Type: "Pass", Output: "{% $missing.x %}", End: true } },
    });
    expect(out.history.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, "ExecutionStarted"],
      [2, 1, "PassStateEntered"],
      [3, 2, "EvaluationFailed"],
      [4, 3, "ExecutionFailed"],
    ]);
    expect(out.history[2]?.evaluationFailedEventDetails).toEqual({
      state: "P",
      error: "States.QueryEvaluationError",
      cause: out.description.cause,
      location: "Output",
    });
  });

  it("numbers a retried Map's second attempt after the first one's evaluation failure, then catches", async () => {
    const out = await run({
      QueryLanguage: "JSONata",
      StartAt: "M",
      States: {
        M: {
          Type: "Map",
          Items: "{% [1] %}",
          ItemProcessor: {
            ProcessorConfig: { Mode: "INLINE" },
            StartAt: "P",
            States: { P: { Type: "Pass", Output: "{% $nope.x %}", End: true } },
          },
          Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 1 }],
          Catch: [{ ErrorEquals: ["States.ALL"], Next: "F" }],
          End: true,
        },
        F: { Type: "Pass", End: true },
      },
    });
    expect(out.history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "MapStateEntered",
      "MapStateStarted",
      "MapIterationStarted",
      "PassStateEntered",
      "EvaluationFailed",
      "MapIterationFailed",
      "MapStateFailed",
      "MapStateStarted",
      "MapIterationStarted",
      "PassStateEntered",
      "EvaluationFailed",
      "MapIterationFailed",
      "MapStateFailed",
      "PassStateEntered",
      "PassStateExited",
      "ExecutionSucceeded",
    ]);
    expect((out.output as { Cause: string }).Cause).toContain("(entered at the event id #11)");
    expect(out.history[14]?.previousEventId).toBe(14);
  });
});
