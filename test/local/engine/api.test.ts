import { describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { Engine, type EngineEvent } from "../../../local/engine/engine.ts";
import { harness, outcome, START, types } from "./harness.ts";

const hello = { StartAt: "Hi", States: { Hi: { Type: "Pass", Result: "hello", End: true } } };

describe("state machines", () => {
  it("creates, describes and lists state machines with AWS ARNs", () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({ name: "hello", definition: hello });
    expect(stateMachineArn).toBe("arn:aws:states:eu-west-1:123456789012:stateMachine:hello");
    expect(engine.describeStateMachine(stateMachineArn)).toMatchObject({
      name: "hello",
      status: "ACTIVE",
      type: "STANDARD",
    });
    expect(JSON.parse(engine.describeStateMachine(stateMachineArn).definition)).toEqual(hello);
    expect(engine.listStateMachines().stateMachines.map((s) => s.name)).toEqual(["hello"]);
  });

  it("rejects invalid definitions with InvalidDefinition and a message naming the problem", () => {
    const { engine } = harness();
    const attempt = (definition: object) => () => engine.createStateMachine({ name: "bad", definition });
    expect(attempt({ StartAt: "X", States: { A: { Type: "Pass", End: true } } })).toThrowError(
      expect.objectContaining({
        name: "InvalidDefinition",
        message: expect.stringContaining("Missing 'Next' target: X"),
      }),
    );
    expect(attempt({ StartAt: "A", States: { A: { Type: "Pass", Next: "Nowhere" } } })).toThrowError(
      expect.objectContaining({ name: "InvalidDefinition" }),
    );
    expect(
      attempt({
        QueryLanguage: "JSONata",
        StartAt: "A",
        States: { A: { Type: "Pass", InputPath: "$.x", End: true } },
      }),
    ).toThrowError(
      expect.objectContaining({
        message: expect.stringContaining("'InputPath' is not supported in JSONata"),
      }),
    );
    expect(
      attempt({
        QueryLanguage: "JSONata",
        StartAt: "A",
        States: { A: { Type: "Pass", Output: "{% 1 + %}", End: true } },
      }),
    ).toThrowError(
      expect.objectContaining({ message: expect.stringContaining("Invalid JSONata expression") }),
    );
    expect(
      attempt({
        StartAt: "A",
        States: { A: { Type: "Pass", Parameters: { "x.$": "States.Nope(1)" }, End: true } },
      }),
    ).toThrowError(expect.objectContaining({ name: "InvalidDefinition" }));
    expect(() => engine.createStateMachine({ name: "has space", definition: hello })).toThrowError(
      expect.objectContaining({ name: "InvalidName" }),
    );
  });

  it("answers StateMachineDoesNotExist and InvalidArn", () => {
    const { engine } = harness();
    expect(() =>
      engine.describeStateMachine("arn:aws:states:eu-west-1:123456789012:stateMachine:nope"),
    ).toThrowError(expect.objectContaining({ name: "StateMachineDoesNotExist" }));
    expect(() => engine.startExecution({ stateMachineArn: "nope" })).toThrowError(
      expect.objectContaining({ name: "InvalidArn" }),
    );
  });
});

describe("executions", () => {
  it("returns the running execution for the same name and input, and ExecutionAlreadyExists otherwise", async () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({
      name: "slow",
      definition: { StartAt: "W", States: { W: { Type: "Wait", Seconds: 10, End: true } } },
    });
    const first = engine.startExecution({ stateMachineArn, name: "run-1", input: '{"a":1}' });
    const again = engine.startExecution({ stateMachineArn, name: "run-1", input: '{"a":1}' });
    expect(again.executionArn).toBe(first.executionArn);
    expect(first.executionArn).toBe("arn:aws:states:eu-west-1:123456789012:execution:slow:run-1");
    expect(() => engine.startExecution({ stateMachineArn, name: "run-1", input: '{"a":2}' })).toThrowError(
      expect.objectContaining({ name: "ExecutionAlreadyExists" }),
    );
    await engine.waitForExecution(first.executionArn);
    expect(() => engine.startExecution({ stateMachineArn, name: "run-1", input: '{"a":1}' })).toThrowError(
      expect.objectContaining({ name: "ExecutionAlreadyExists" }),
    );
  });

  it("rejects input that is not JSON with InvalidExecutionInput", () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({ name: "hello", definition: hello });
    expect(() => engine.startExecution({ stateMachineArn, input: "{nope" })).toThrowError(
      expect.objectContaining({ name: "InvalidExecutionInput" }),
    );
  });

  it("writes history in GetExecutionHistory's shape, with ids, previousEventId, paging and reverse order", async () => {
    const h = harness();
    const { stateMachineArn } = h.engine.createStateMachine({ name: "hello", definition: hello });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input: '{"x":1}' });
    await h.engine.waitForExecution(executionArn);
    const { events } = h.engine.getExecutionHistory(executionArn);
    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, "ExecutionStarted"],
      [2, 1, "PassStateEntered"],
      [3, 2, "PassStateExited"],
      [4, 3, "ExecutionSucceeded"],
    ]);
    expect(events[0]?.executionStartedEventDetails).toMatchObject({
      input: '{"x":1}',
      inputDetails: { truncated: false },
    });
    expect(events[2]?.stateExitedEventDetails).toMatchObject({ name: "Hi", output: '"hello"' });
    expect(events[0]?.timestamp).toEqual(new Date(START));
    const page1 = h.engine.getExecutionHistory(executionArn, { maxResults: 3, reverseOrder: true });
    expect(page1.events.map((e) => e.id)).toEqual([4, 3, 2]);
    const page2 = h.engine.getExecutionHistory(executionArn, {
      maxResults: 3,
      reverseOrder: true,
      ...(page1.nextToken ? { nextToken: page1.nextToken } : {}),
    });
    expect(page2.events.map((e) => e.id)).toEqual([1]);
    const noData = h.engine.getExecutionHistory(executionArn, { includeExecutionData: false });
    expect(noData.events[0]?.executionStartedEventDetails).not.toHaveProperty("input");
  });

  it("lists executions newest first, filtered by status", async () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({ name: "hello", definition: hello });
    const a = engine.startExecution({ stateMachineArn, name: "a" });
    await engine.waitForExecution(a.executionArn);
    engine.startExecution({ stateMachineArn, name: "b" });
    expect(engine.listExecutions({ stateMachineArn }).executions.map((e) => e.name)).toEqual(["b", "a"]);
    expect(
      engine.listExecutions({ stateMachineArn, statusFilter: "SUCCEEDED" }).executions.map((e) => e.name),
    ).toEqual(["a"]);
  });

  it("stops a running execution with ExecutionAborted", async () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({
      name: "waits",
      definition: {
        StartAt: "Approve",
        States: {
          Approve: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
            Parameters: { FunctionName: "f", Payload: { "t.$": "$$.Task.Token" } },
            End: true,
          },
        },
      },
    });
    const h2 = harness({ invokeFunction: async () => null });
    void h2;
    const { executionArn } = engine.startExecution({ stateMachineArn });
    engine.stopExecution(executionArn, { error: "Operator", cause: "cancelled by ops" });
    const d = await engine.waitForExecution(executionArn);
    expect(d).toMatchObject({ status: "ABORTED", error: "Operator", cause: "cancelled by ops" });
    expect(types(engine.getExecutionHistory(executionArn).events).at(-1)).toBe("ExecutionAborted");
  });

  it("redrives a failed execution from the failed state, keeping what succeeded before", async () => {
    // Prepare: the task fails once, then works
    let calls = 0;
    let prepared = 0;
    const h = harness({
      invokeFunction: async (name) => {
        if (name === "prepare") {
          prepared++;
          return "prepared";
        }
        calls++;
        if (calls === 1) throw Object.assign(new Error("flaky"), { name: "Flaky" });
        return "done";
      },
    });
    const { stateMachineArn } = h.engine.createStateMachine({
      name: "redrive",
      definition: {
        StartAt: "Prepare",
        States: {
          Prepare: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "prepare" },
            ResultSelector: { "p.$": "$.Payload" },
            Next: "Work",
          },
          Work: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "work", "prev.$": "$.p" },
            OutputPath: "$.Payload",
            End: true,
          },
        },
      },
    });
    const { executionArn } = h.engine.startExecution({ stateMachineArn });
    const failed = await h.engine.waitForExecution(executionArn);
    expect(failed).toMatchObject({ status: "FAILED", error: "Flaky", redriveStatus: "REDRIVABLE" });
    // Act
    h.engine.redriveExecution(executionArn);
    const d = await h.engine.waitForExecution(executionArn);
    // Assess
    expect(d).toMatchObject({ status: "SUCCEEDED", redriveCount: 1, output: '"done"' });
    expect(prepared).toBe(1);
    const out = outcome(h, d);
    expect(types(out.history)).toContain("ExecutionRedriven");
    expect(out.entered).toEqual(["Prepare", "Work", "Work"]);
    expect(() => h.engine.redriveExecution(executionArn)).toThrowError(
      expect.objectContaining({ name: "ExecutionNotRedrivable" }),
    );
  });

  it("gives $$.Execution its start and, after a redrive, the redrive's count and time", async () => {
    let fail = true;
    const h = harness({
      invokeFunction: async () => {
        if (fail) throw Object.assign(new Error("once"), { name: "Flaky" });
        return "ok";
      },
    });
    const { stateMachineArn } = h.engine.createStateMachine({
      name: "ctx",
      definition: {
        StartAt: "Work",
        States: {
          Work: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "f", "ctx.$": "$$.Execution" },
            ResultPath: null,
            Next: "Show",
          },
          Show: { Type: "Pass", Parameters: { "ctx.$": "$$.Execution" }, End: true },
        },
      },
    });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, name: "run-1", input: '{"a":1}' });
    const failed = await h.engine.waitForExecution(executionArn);
    fail = false;
    h.engine.redriveExecution(executionArn);
    const d = await h.engine.waitForExecution(executionArn);
    const ctx = (JSON.parse(d.output ?? "null") as { ctx: Record<string, unknown> }).ctx;
    expect(ctx).toMatchObject({
      Id: executionArn,
      Name: "run-1",
      Input: { a: 1 },
      StartTime: failed.startDate.toISOString(),
      RedriveCount: 1,
      RedriveTime: (d.redriveDate as Date).toISOString(),
    });
  });

  it("publishes history events and status changes to subscribers", async () => {
    const h = harness();
    const seen: EngineEvent[] = [];
    h.engine.subscribe((e) => seen.push(e));
    const { stateMachineArn } = h.engine.createStateMachine({ name: "hello", definition: hello });
    const { executionArn } = h.engine.startExecution({ stateMachineArn });
    await h.engine.waitForExecution(executionArn);
    const statuses = seen.flatMap((e) => (e.kind === "status" ? [e.execution.status] : []));
    const history = seen.flatMap((e) => (e.kind === "history" ? [e.event.type] : []));
    expect(statuses).toEqual(["RUNNING", "SUCCEEDED"]);
    expect(history).toEqual([
      "ExecutionStarted",
      "PassStateEntered",
      "PassStateExited",
      "ExecutionSucceeded",
    ]);
  });
});

describe("names and redrive after a stop", () => {
  it("accepts AWS-valid names with dots and rejects whitespace or reserved characters", () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({ name: "hello", definition: hello });
    expect(engine.startExecution({ stateMachineArn, name: "tenant.t-1_2026" }).executionArn).toContain(
      ":execution:hello:tenant.t-1_2026",
    );
    for (const bad of ["a b", "a/b", "a:b", "x".repeat(81)]) {
      expect(() => engine.startExecution({ stateMachineArn, name: bad })).toThrowError(
        expect.objectContaining({ name: "InvalidName" }),
      );
    }
  });

  it("redrives an aborted execution from the state it was stopped in", async () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({
      name: "long",
      definition: {
        StartAt: "First",
        States: {
          First: { Type: "Pass", Result: { step: 1 }, Next: "Hold" },
          Hold: { Type: "Wait", Seconds: 60, Next: "Last" },
          Last: { Type: "Pass", End: true },
        },
      },
    });
    const { executionArn } = engine.startExecution({ stateMachineArn });
    for (
      let i = 0;
      i < 100 && !types(engine.getExecutionHistory(executionArn).events).includes("WaitStateEntered");
      i++
    ) {
      await new Promise((r) => setImmediate(r));
    }
    engine.stopExecution(executionArn);
    expect((await engine.waitForExecution(executionArn)).status).toBe("ABORTED");
    engine.redriveExecution(executionArn);
    const d = await engine.waitForExecution(executionArn);
    expect(d).toMatchObject({ status: "SUCCEEDED", redriveCount: 1, output: '{"step":1}' });
  });
});

describe("retention", () => {
  it("forgets the oldest finished executions beyond retainExecutions", async () => {
    const engine = new Engine({ clock: createClock({ mode: { kind: "instant" } }), retainExecutions: 2 });
    const { stateMachineArn } = engine.createStateMachine({ name: "hello", definition: hello });
    const arns: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const { executionArn } = engine.startExecution({ stateMachineArn, name });
      await engine.waitForExecution(executionArn);
      arns.push(executionArn);
    }
    expect(engine.listExecutions({ stateMachineArn }).executions.map((e) => e.name)).toEqual(["c", "b"]);
    expect(() => engine.describeExecution(arns[0] as string)).toThrowError(
      expect.objectContaining({ name: "ExecutionDoesNotExist" }),
    );
  });
});

describe("redrive of a Map", () => {
  it("reruns only the iterations that failed", async () => {
    // Prepare: item 2 fails on its first attempt
    const calls: number[] = [];
    const h = harness({
      invokeFunction: async (_name, payload) => {
        const n = payload as number;
        calls.push(n);
        if (n === 2 && calls.filter((c) => c === 2).length === 1) {
          throw Object.assign(new Error("once"), { name: "Transient" });
        }
        return n * 10;
      },
    });
    const { stateMachineArn } = h.engine.createStateMachine({
      name: "map-redrive",
      definition: {
        StartAt: "Each",
        States: {
          Each: {
            Type: "Map",
            MaxConcurrency: 1,
            ItemProcessor: {
              StartAt: "Work",
              States: {
                Work: {
                  Type: "Task",
                  Resource: "arn:aws:lambda:eu-west-1:123456789012:function:w",
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
    });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input: "[1, 2, 3]" });
    expect((await h.engine.waitForExecution(executionArn)).status).toBe("FAILED");
    // Act
    h.engine.redriveExecution(executionArn);
    const d = await h.engine.waitForExecution(executionArn);
    // Assess
    expect(d.output).toBe("[10,20,30]");
    expect(calls).toEqual([1, 2, 2, 3]);
  });
});

describe("variable names", () => {
  it("rejects invalid or reserved variable names at creation", () => {
    const { engine } = harness();
    for (const name of ["states", "1st", "with-dash"]) {
      expect(() =>
        engine.createStateMachine({
          name: "vars",
          definition: { StartAt: "A", States: { A: { Type: "Pass", Assign: { [name]: 1 }, End: true } } },
        }),
      ).toThrowError(
        expect.objectContaining({ name: "InvalidDefinition", message: expect.stringContaining(name) }),
      );
    }
  });
});
