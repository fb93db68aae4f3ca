import { describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { harness, run, START, types } from "./harness.ts";

describe("Wait state on the virtual clock", () => {
  it("runs a 10-minute polling loop in milliseconds while history shows simulated minutes", async () => {
    // Prepare: poll every 60 s until ten polls have happened
    const definition = {
      StartAt: "Init",
      States: {
        Init: { Type: "Pass", Result: { polls: 0 }, Next: "Wait" },
        Wait: { Type: "Wait", Seconds: 60, Next: "Poll" },
        Poll: { Type: "Pass", Parameters: { "polls.$": "States.MathAdd($.polls, 1)" }, Next: "Done?" },
        "Done?": {
          Type: "Choice",
          Choices: [{ Variable: "$.polls", NumericGreaterThanEquals: 10, Next: "Done" }],
          Default: "Wait",
        },
        Done: { Type: "Succeed" },
      },
    };
    const wallStart = Date.now();
    // Act
    const out = await run(definition);
    // Assess
    expect(Date.now() - wallStart).toBeLessThan(2_000);
    expect(out.output).toEqual({ polls: 10 });
    expect(out.description.startDate.getTime()).toBe(START);
    expect(out.description.stopDate?.getTime()).toBe(START + 10 * 60_000);
    const waits = out.history
      .filter((e) => e.type === "WaitStateExited")
      .map((e) => e.timestamp.getTime() - START);
    expect(waits).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 60_000));
  });

  it("waits until a Timestamp taken from the input", async () => {
    const out = await run(
      { StartAt: "W", States: { W: { Type: "Wait", TimestampPath: "$.at", End: true } } },
      { at: "2026-01-01T03:00:00Z" },
    );
    expect(out.description.stopDate?.toISOString()).toBe("2026-01-01T03:00:00.000Z");
  });

  it("rejects a negative SecondsPath with AWS's message", async () => {
    const out = await run(
      { StartAt: "W", States: { W: { Type: "Wait", SecondsPath: "$.s", End: true } } },
      { s: -1 },
    );
    expect(out.description.error).toBe("States.Runtime");
    expect(out.description.cause).toContain(
      "The SecondsPath parameter references a negative value: $.s == -1",
    );
  });

  it("times the whole execution out after TimeoutSeconds", async () => {
    const out = await run({
      TimeoutSeconds: 30,
      StartAt: "W",
      States: { W: { Type: "Wait", Seconds: 3600, End: true } },
    });
    expect(out.description.status).toBe("TIMED_OUT");
    expect(out.description.stopDate?.getTime()).toBe(START + 30_000);
    expect(types(out.history).at(-1)).toBe("ExecutionTimedOut");
  });
});

describe("Retry and Catch", () => {
  function flaky(failures: number, errorName = "ClusterNotReadyError") {
    let calls = 0;
    const h = harness({
      invokeFunction: async () => {
        calls++;
        if (calls <= failures) {
          const e = new Error(`attempt ${calls}`);
          e.name = errorName;
          throw e;
        }
        return { calls };
      },
    });
    return { h, calls: () => calls };
  }

  const task = (extra: object) => ({
    StartAt: "T",
    States: {
      T: { Type: "Task", Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f", End: true, ...extra },
      ...("Catch" in extra ? { Handled: { Type: "Pass", End: true } } : {}),
    },
  });

  it("retries with exponential back-off capped by MaxDelaySeconds, on simulated time", async () => {
    // Prepare
    const { h, calls } = flaky(3);
    const retry = [
      {
        ErrorEquals: ["ClusterNotReadyError"],
        IntervalSeconds: 10,
        BackoffRate: 3,
        MaxAttempts: 5,
        MaxDelaySeconds: 60,
      },
    ];
    // Act
    const out = await run(task({ Retry: retry }), {}, h);
    // Assess: delays 10, 30, 60 (capped from 90)
    expect(out.output).toEqual({ calls: 4 });
    expect(calls()).toBe(4);
    const scheduled = out.history
      .filter((e) => e.type === "LambdaFunctionScheduled")
      .map((e) => e.timestamp.getTime() - START);
    expect(scheduled).toEqual([0, 10_000, 40_000, 100_000]);
  });

  it("keeps FULL jitter within the computed delay", async () => {
    const { h } = flaky(1);
    const out = await run(
      task({ Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 100, JitterStrategy: "FULL" }] }),
      {},
      h,
    );
    const scheduled = out.history
      .filter((e) => e.type === "LambdaFunctionScheduled")
      .map((e) => e.timestamp.getTime());
    expect((scheduled[1] ?? 0) - (scheduled[0] ?? 0)).toBeLessThanOrEqual(100_000);
  });

  it("gives up after MaxAttempts and routes to the Catch with the error output at ResultPath", async () => {
    const { h, calls } = flaky(10);
    const out = await run(
      task({
        Retry: [{ ErrorEquals: ["ClusterNotReadyError"], IntervalSeconds: 1, MaxAttempts: 2 }],
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Handled" }],
      }),
      { tenant: "t1" },
      h,
    );
    expect(calls()).toBe(3);
    expect(out.entered).toEqual(["T", "Handled"]);
    expect(out.output).toMatchObject({ tenant: "t1", error: { Error: "ClusterNotReadyError" } });
  });

  it("does not retry when MaxAttempts is 0, and States.ALL does not catch States.Runtime", async () => {
    const { h, calls } = flaky(1);
    const out = await run(task({ Retry: [{ ErrorEquals: ["States.ALL"], MaxAttempts: 0 }] }), {}, h);
    expect(calls()).toBe(1);
    expect(out.description.error).toBe("ClusterNotReadyError");
    const runtime = await run({
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f",
          Parameters: { "x.$": "$.missing" },
          Catch: [{ ErrorEquals: ["States.ALL"], Next: "H" }],
          End: true,
        },
        H: { Type: "Succeed" },
      },
    });
    expect(runtime.description.error).toBe("States.Runtime");
  });

  it("exposes $states.errorOutput to a JSONata Catch and assigns variables from it", async () => {
    const { h } = flaky(5, "Boom");
    const out = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "T",
        States: {
          T: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Arguments: { FunctionName: "f" },
            Catch: [
              {
                ErrorEquals: ["Boom"],
                Assign: { failed: "{% $states.errorOutput.Error %}" },
                Output: { handled: true },
                Next: "After",
              },
            ],
            End: true,
          },
          After: {
            Type: "Pass",
            Output: { handled: "{% $states.input.handled %}", failed: "{% $failed %}" },
            End: true,
          },
        },
      },
      {},
      h,
    );
    expect(out.output).toEqual({ handled: true, failed: "Boom" });
  });
});

describe("States.TaskFailed in ErrorEquals", () => {
  it("matches a function's named error but not States.Timeout", async () => {
    const named = harness({
      invokeFunction: async () => {
        throw Object.assign(new Error("x"), { name: "CustomError" });
      },
    });
    const definition = {
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f",
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ["States.TaskFailed"], Next: "Caught" }],
          End: true,
        },
        Caught: { Type: "Pass", End: true },
      },
    };
    expect((await run(definition, {}, named)).entered).toEqual(["T", "Caught"]);
    // Prepare a handler that never answers, on a manual clock
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const slow = harness({ invokeFunction: () => new Promise(() => {}) }, clock);
    const { stateMachineArn } = slow.engine.createStateMachine({ name: "timeout", definition });
    const { executionArn } = slow.engine.startExecution({ stateMachineArn });
    for (
      let i = 0;
      i < 100 &&
      !types(slow.engine.getExecutionHistory(executionArn).events).includes("LambdaFunctionStarted");
      i++
    ) {
      await new Promise((r) => setImmediate(r));
    }
    // Act
    await clock.advance(1_000);
    const d = await slow.engine.waitForExecution(executionArn);
    // Assess
    expect(d).toMatchObject({ status: "FAILED", error: "States.Timeout" });
  });
});
