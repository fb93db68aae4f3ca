import { describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import type { Json } from "../../../local/engine/json.ts";
import type { PutEventsEntry } from "../../../local/engine/tasks.ts";
import { harness, outcome, run, START, types } from "./harness.ts";

class ClusterNotReadyError extends Error {
  override name = "ClusterNotReadyError";
}

const invoke = (extra: object = {}) => ({
  QueryLanguage: "JSONata",
  StartAt: "Call",
  States: {
    Call: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Arguments: { FunctionName: "cplane:function:tenant/provision", Payload: "{% $states.input %}" },
      End: true,
      ...extra,
    },
  },
});

describe("lambda:invoke", () => {
  it("wraps the handler's result as the integration does and records Task events", async () => {
    // Prepare
    const calls: { name: string; payload: Json; state: string }[] = [];
    const h = harness({
      invokeFunction: async (name, payload, ctx) => {
        calls.push({ name, payload, state: ctx.stateName });
        return { ok: true };
      },
    });
    // Act
    const out = await run(invoke(), { tenant: "t1" }, h);
    // Assess
    expect(calls).toEqual([
      { name: "cplane:function:tenant/provision", payload: { tenant: "t1" }, state: "Call" },
    ]);
    expect(out.output).toMatchObject({ ExecutedVersion: "$LATEST", Payload: { ok: true }, StatusCode: 200 });
    expect(out.output).toHaveProperty("SdkHttpMetadata.HttpStatusCode", 200);
    expect(types(out.history)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited",
      "ExecutionSucceeded",
    ]);
    const scheduled = out.history[2]?.taskScheduledEventDetails as Record<string, unknown>;
    expect(scheduled).toMatchObject({ resourceType: "lambda", resource: "invoke", region: "eu-west-1" });
    expect(JSON.parse(scheduled.parameters as string)).toEqual({
      FunctionName: "cplane:function:tenant/provision",
      Payload: { tenant: "t1" },
    });
  });

  it("turns a thrown error into the error named by its name, with Lambda's cause JSON", async () => {
    const h = harness({
      invokeFunction: async () => {
        throw new ClusterNotReadyError("cluster c-1 is creating");
      },
    });
    const out = await run(invoke(), {}, h);
    expect(out.description.status).toBe("FAILED");
    expect(out.description.error).toBe("ClusterNotReadyError");
    const cause = JSON.parse(out.description.cause ?? "{}") as Record<string, unknown>;
    expect(cause.errorMessage).toBe("cluster c-1 is creating");
    expect(cause.errorType).toBe("ClusterNotReadyError");
    expect(Array.isArray(cause.trace)).toBe(true);
    expect(types(out.history)).toContain("TaskFailed");
  });

  it("returns the payload directly for a legacy Lambda ARN and records LambdaFunction events", async () => {
    const h = harness({ invokeFunction: async (name) => ({ from: name }) });
    const out = await run(
      {
        StartAt: "L",
        States: {
          L: { Type: "Task", Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f", End: true },
        },
      },
      {},
      h,
    );
    expect(out.output).toEqual({ from: "arn:aws:lambda:eu-west-1:123456789012:function:f" });
    expect(types(out.history)).toEqual(
      expect.arrayContaining(["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded"]),
    );
  });

  it("fails clearly when no Lambda runtime is configured or the resource is unknown", async () => {
    const none = await run(invoke());
    expect(none.description.error).toBe("States.Runtime");
    expect(none.description.cause).toContain("No Lambda runtime");
    const unknown = await run({
      StartAt: "T",
      States: { T: { Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage", End: true } },
    });
    expect(unknown.description.error).toBe("States.Runtime");
    expect(unknown.description.cause).toContain("not supported by the local engine");
  });

  it("times out a slow handler with States.Timeout after TimeoutSeconds of clock time", async () => {
    // Prepare: a manual clock, and a handler that only ends when aborted
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    let aborted = false;
    const h = harness(
      {
        invokeFunction: (_n, _p, ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener("abort", () => {
              aborted = true;
              reject(new Error("aborted"));
            }),
          ),
      },
      clock,
    );
    const { stateMachineArn } = h.engine.createStateMachine({
      name: "slow",
      definition: invoke({ TimeoutSeconds: 5 }),
    });
    const { executionArn } = h.engine.startExecution({ stateMachineArn });
    await waitFor(() => types(h.engine.getExecutionHistory(executionArn).events).includes("TaskStarted"));
    // Act
    await clock.advance(4_999);
    const stillRunning = h.engine.describeExecution(executionArn).status;
    await clock.advance(1);
    const d = await h.engine.waitForExecution(executionArn);
    // Assess
    expect(stillRunning).toBe("RUNNING");
    expect(d.error).toBe("States.Timeout");
    expect(d.stopDate?.getTime()).toBe(START + 5_000);
    expect(aborted).toBe(true);
    expect(types(outcome(h, d).history)).toContain("TaskTimedOut");
  });
});

describe(".waitForTaskToken", () => {
  const definition = {
    StartAt: "Approve",
    States: {
      Approve: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
        Parameters: { FunctionName: "notify", Payload: { "token.$": "$$.Task.Token" } },
        HeartbeatSeconds: 600,
        End: true,
      },
    },
  };

  it("passes the token to the integration and continues with SendTaskSuccess's output", async () => {
    // Prepare
    const tokens: string[] = [];
    const h = harness({
      invokeFunction: async (_name, payload) => {
        tokens.push((payload as { token: string }).token);
        return null;
      },
    });
    const { stateMachineArn } = h.engine.createStateMachine({ name: "approve", definition });
    const { executionArn } = h.engine.startExecution({ stateMachineArn });
    await waitFor(() => tokens.length === 1);
    expect(h.engine.listPendingTasks()).toEqual([
      { taskToken: tokens[0], executionArn, stateName: "Approve" },
    ]);
    // Act
    h.engine.sendTaskHeartbeat({ taskToken: tokens[0] as string });
    h.engine.sendTaskSuccess({ taskToken: tokens[0] as string, output: '{"approved":true}' });
    const d = await h.engine.waitForExecution(executionArn);
    // Assess
    expect(d.status).toBe("SUCCEEDED");
    expect(JSON.parse(d.output ?? "null")).toEqual({ approved: true });
    expect(types(outcome(h, d).history)).toContain("TaskSubmitted");
    expect(h.engine.listPendingTasks()).toEqual([]);
    expect(() => h.engine.sendTaskSuccess({ taskToken: tokens[0] as string, output: "{}" })).toThrowError(
      expect.objectContaining({ name: "TaskDoesNotExist" }),
    );
  });

  it("fails the task with SendTaskFailure's error and cause", async () => {
    const tokens: string[] = [];
    const h = harness({
      invokeFunction: async (_n, payload) => {
        tokens.push((payload as { token: string }).token);
        return null;
      },
    });
    const { stateMachineArn } = h.engine.createStateMachine({ name: "approve", definition });
    const { executionArn } = h.engine.startExecution({ stateMachineArn });
    await waitFor(() => tokens.length === 1);
    h.engine.sendTaskFailure({ taskToken: tokens[0] as string, error: "Rejected", cause: "by ops" });
    const d = await h.engine.waitForExecution(executionArn);
    expect(d).toMatchObject({ status: "FAILED", error: "Rejected", cause: "by ops" });
  });

  it("fails with States.HeartbeatTimeout when nobody answers (instant clock)", async () => {
    const h = harness({ invokeFunction: async () => null });
    const out = await run(definition, {}, h);
    expect(out.description.error).toBe("States.HeartbeatTimeout");
    const started = out.history[0]?.timestamp.getTime() ?? 0;
    const ended = out.history.at(-1)?.timestamp.getTime() ?? 0;
    expect(ended - started).toBe(600_000);
  });

  // Developer Guide, "Handling errors": States.Timeout is reported for a task that runs too long "or
  // failed to send a heartbeat"; States.TaskFailed "matches any known error name except for
  // States.Timeout".
  it("lets States.Timeout, not States.TaskFailed, take a heartbeat timeout", async () => {
    const caught = (catchers: { ErrorEquals: string[]; Next: string }[]) => {
      const { End: _end, ...approve } = definition.States.Approve;
      const targets = Object.fromEntries(catchers.map((c) => [c.Next, { Type: "Pass", End: true }]));
      return {
        StartAt: "Approve",
        States: {
          Approve: { ...approve, Next: "Done", Catch: catchers },
          Done: { Type: "Pass", End: true },
          ...targets,
        },
      };
    };
    const viaTimeout = await run(
      caught([{ ErrorEquals: ["States.Timeout"], Next: "ByTimeout" }]),
      {},
      harness({ invokeFunction: async () => null }),
    );
    expect(viaTimeout.entered).toEqual(["Approve", "ByTimeout"]);
    expect(viaTimeout.output).toMatchObject({ Error: "States.HeartbeatTimeout" });
    const notTaskFailed = await run(
      caught([
        { ErrorEquals: ["States.TaskFailed"], Next: "ByTaskFailed" },
        { ErrorEquals: ["States.ALL"], Next: "ByAll" },
      ]),
      {},
      harness({ invokeFunction: async () => null }),
    );
    expect(notTaskFailed.entered).toEqual(["Approve", "ByAll"]);
  });

  it("rejects unknown tokens", () => {
    const h = harness();
    expect(() => h.engine.sendTaskSuccess({ taskToken: "nope", output: "{}" })).toThrowError(
      expect.objectContaining({ name: "TaskDoesNotExist" }),
    );
    expect(() => h.engine.sendTaskHeartbeat({ taskToken: "" })).toThrowError(
      expect.objectContaining({ name: "InvalidToken" }),
    );
  });
});

describe("events:putEvents and states:startExecution", () => {
  it("sends entries with Detail as JSON text and returns the bus's answer", async () => {
    const sent: PutEventsEntry[] = [];
    const h = harness({
      putEvents: async (entries) => {
        sent.push(...entries);
        return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e-${i}` })) };
      },
    });
    const out = await run(
      {
        StartAt: "Emit",
        States: {
          Emit: {
            Type: "Task",
            Resource: "arn:aws:states:::events:putEvents",
            Parameters: {
              Entries: [{ Source: "cplane.tenant", DetailType: "Tenant Created", "Detail.$": "$" }],
            },
            End: true,
          },
        },
      },
      { tenantId: "t1" },
      h,
    );
    expect(sent).toEqual([
      { Source: "cplane.tenant", DetailType: "Tenant Created", Detail: '{"tenantId":"t1"}' },
    ]);
    expect(out.output).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: "e-0" }] });
  });

  it("runs a nested execution to completion with .sync:2 and returns its parsed output", async () => {
    const h = harness();
    const child = h.engine.createStateMachine({
      name: "child",
      definition: {
        StartAt: "Double",
        States: { Double: { Type: "Pass", Parameters: { "v.$": "$.v" }, End: true } },
      },
    });
    const out = await run(
      {
        StartAt: "Nested",
        States: {
          Nested: {
            Type: "Task",
            Resource: "arn:aws:states:::states:startExecution.sync:2",
            Parameters: { StateMachineArn: child.stateMachineArn, Input: { v: 7 } },
            OutputPath: "$.Output",
            End: true,
          },
        },
      },
      {},
      h,
    );
    expect(out.description.status).toBe("SUCCEEDED");
    expect(out.output).toEqual({ v: 7 });
    expect(h.engine.listExecutions({ stateMachineArn: child.stateMachineArn }).executions).toHaveLength(1);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  if (!condition()) throw new Error("condition not reached");
}

describe("payload limits and asynchronous invocations", () => {
  it("fails with States.DataLimitExceeded when a task returns more than 256 KiB, which Catch can handle", async () => {
    const h = harness({ invokeFunction: async () => "x".repeat(300 * 1024) });
    const out = await run(
      {
        StartAt: "Big",
        States: {
          Big: {
            Type: "Task",
            Resource: "arn:aws:lambda:eu-west-1:123456789012:function:big",
            Catch: [{ ErrorEquals: ["States.DataLimitExceeded"], Next: "Handled" }],
            End: true,
          },
          Handled: { Type: "Pass", End: true },
        },
      },
      {},
      h,
    );
    expect(out.output).toMatchObject({ Error: "States.DataLimitExceeded" });
  });

  it("answers an InvocationType Event invoke with 202 without waiting for the handler", async () => {
    let release: () => void = () => {};
    const h = harness({
      invokeFunction: () =>
        new Promise((resolve) => {
          release = () => resolve(null);
        }),
    });
    const out = await run(
      {
        StartAt: "Fire",
        States: {
          Fire: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "f", InvocationType: "Event" },
            ResultSelector: { "code.$": "$.StatusCode" },
            End: true,
          },
        },
      },
      {},
      h,
    );
    release();
    expect(out.output).toEqual({ code: 202 });
  });
});
