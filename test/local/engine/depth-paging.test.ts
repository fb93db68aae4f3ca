import { describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan, payloadExcess } from "../../../local/engine/json.ts";
import { harness, outcome, START } from "./harness.ts";

/** `{"a":{"a":...1...}}` nested `levels` deep, as text (the form an API caller sends). */
const deepText = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
const deepValue = (levels: number): unknown => JSON.parse(deepText(levels));

const pass = { StartAt: "P", States: { P: { Type: "Pass", End: true } } };

describe("nesting depth", () => {
  it("measures depth without recursion, at any depth", () => {
    expect(nestedDeeperThan(deepValue(MAX_JSON_DEPTH))).toBe(false);
    expect(nestedDeeperThan(deepValue(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(nestedDeeperThan(deepValue(200_000))).toBe(true);
    expect(payloadExcess(deepValue(200_000), 256 * 1024)).toBe("depth");
    expect(payloadExcess({ s: "x".repeat(300 * 1024) }, 256 * 1024)).toBe("bytes");
    expect(payloadExcess([[1, 2], { a: [3] }], 256 * 1024)).toBeUndefined();
  });

  it("refuses a start whose input nests deeper than the limit, storing nothing", () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({ name: "deep", definition: pass });
    expect(() => engine.startExecution({ stateMachineArn, input: deepText(4_500) })).toThrowError(
      expect.objectContaining({
        name: "InvalidExecutionInput",
        message: expect.stringContaining("1000 levels"),
      }),
    );
    expect(engine.listExecutions({ stateMachineArn }).executions).toEqual([]);
    expect(() => JSON.stringify(engine.exportExecutions())).not.toThrow();
  });

  it("accepts input at the limit and keeps its history, export and listing serializable", async () => {
    const h = harness();
    const { stateMachineArn } = h.engine.createStateMachine({ name: "edge", definition: pass });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input: deepText(MAX_JSON_DEPTH) });
    const done = await h.engine.waitForExecution(executionArn);
    expect(done.status).toBe("SUCCEEDED");
    expect(() => JSON.stringify(h.engine.getExecutionHistory(executionArn))).not.toThrow();
    expect(() => structuredClone(h.engine.exportExecutions())).not.toThrow();
  });

  it("fails an execution whose JSONata builds data deeper than the limit with a named error", async () => {
    const h = harness();
    const definition = {
      QueryLanguage: "JSONata",
      StartAt: "Build",
      States: {
        Build: {
          Type: "Pass",
          Output:
            "{% ($wrap := function($v, $n) { $n = 0 ? $v : $wrap({'a': $v}, $n - 1) }; $wrap(1, 1500)) %}",
          End: true,
        },
      },
    };
    const { stateMachineArn } = h.engine.createStateMachine({ name: "builder", definition });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input: "{}" });
    const done = await h.engine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: "FAILED", error: "States.QueryEvaluationError" });
    expect(done.cause).toContain("nested deeper than the maximum of 1000 levels");
    expect(() => JSON.stringify(h.engine.exportExecutions())).not.toThrow();
    expect(() => structuredClone(h.engine.exportExecutions())).not.toThrow();
  });

  it("fails States.StringToJson on text nested deeper than the limit before a task records it", async () => {
    const h = harness({ invokeFunction: async () => ({}) });
    const definition = {
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: "f", "Payload.$": "States.StringToJson($.text)" },
          End: true,
        },
      },
    };
    const { stateMachineArn } = h.engine.createStateMachine({ name: "intrinsic", definition });
    const input = JSON.stringify({ text: deepText(3_000) });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input });
    const done = await h.engine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: "FAILED", error: "States.IntrinsicFailure" });
    expect(() => structuredClone(h.engine.exportExecutions())).not.toThrow();
  });

  it("fails a task whose result nests deeper than the limit with States.DataLimitExceeded", async () => {
    const h = harness({ invokeFunction: async () => deepValue(3_000) as never });
    const definition = {
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: "f" },
          End: true,
        },
      },
    };
    const { stateMachineArn } = h.engine.createStateMachine({ name: "task", definition });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input: "{}" });
    const done = await h.engine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: "FAILED", error: "States.DataLimitExceeded" });
    const { history } = outcome(h, done);
    expect(history.map((e) => e.type)).toContain("TaskFailed");
    expect(() => JSON.stringify(h.engine.exportExecutions())).not.toThrow();
  });

  it("refuses a task token answer nested deeper than the limit and leaves the task waiting", async () => {
    const h = harness({ invokeFunction: async () => ({}) });
    const definition = {
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
          Parameters: { FunctionName: "f", "Token.$": "$$.Task.Token" },
          End: true,
        },
      },
    };
    const { stateMachineArn } = h.engine.createStateMachine({ name: "token", definition });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input: "{}" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [task] = h.engine.listPendingTasks();
    expect(task).toBeDefined();
    const taskToken = task?.taskToken as string;
    expect(() => h.engine.sendTaskSuccess({ taskToken, output: deepText(5_000) })).toThrowError(
      expect.objectContaining({ name: "InvalidOutput" }),
    );
    expect(h.engine.describeExecution(executionArn).status).toBe("RUNNING");
    h.engine.sendTaskSuccess({ taskToken, output: '{"ok":true}' });
    expect((await h.engine.waitForExecution(executionArn)).status).toBe("SUCCEEDED");
  });
});

describe("ListExecutions paging", () => {
  it("keeps its pages stable while executions start between them", async () => {
    const h = harness();
    const definition = { StartAt: "W", States: { W: { Type: "Wait", Seconds: 3600, End: true } } };
    const { stateMachineArn } = h.engine.createStateMachine({ name: "paged", definition });
    const start = (n: number) => {
      for (let i = 0; i < n; i++) h.engine.startExecution({ stateMachineArn });
    };
    start(250);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = h.engine.listExecutions({ stateMachineArn, maxResults: 100, nextToken });
      seen.push(...page.executions.map((e) => e.executionArn));
      nextToken = page.nextToken;
      start(40); // starts land between the pages, as they do under load
    } while (nextToken);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
  });

  it("answers a token it did not issue with InvalidToken", () => {
    const { engine } = harness();
    const { stateMachineArn } = engine.createStateMachine({ name: "tokens", definition: pass });
    expect(() => engine.listExecutions({ stateMachineArn, nextToken: "bm9wZQ" })).toThrowError(
      expect.objectContaining({ name: "InvalidToken" }),
    );
  });

  it("pages history in reverse without repeating events recorded between pages", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: START });
    const h = harness({}, clock);
    const definition = {
      StartAt: "A",
      States: {
        A: { Type: "Pass", Next: "W1" },
        W1: { Type: "Wait", Seconds: 10, Next: "W2" },
        W2: { Type: "Wait", Seconds: 10, End: true },
      },
    };
    const { stateMachineArn } = h.engine.createStateMachine({ name: "history", definition });
    const { executionArn } = h.engine.startExecution({ stateMachineArn });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = h.engine.getExecutionHistory(executionArn, { reverseOrder: true, maxResults: 2 });
    await clock.advance(10_000); // W1 exits, W2 enters: new events at the front of a reversed listing
    const rest: number[] = [];
    let nextToken = first.nextToken;
    while (nextToken) {
      const page = h.engine.getExecutionHistory(executionArn, {
        reverseOrder: true,
        maxResults: 2,
        nextToken,
      });
      rest.push(...page.events.map((e) => e.id));
      nextToken = page.nextToken;
    }
    const ids = [...first.events.map((e) => e.id), ...rest];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.at(-1)).toBe(1);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});
