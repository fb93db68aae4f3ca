import { describe, expect, it } from "vitest";
import { createClock } from "../../../local/clock/clock.ts";
import { Engine, type Json } from "../../../local/engine/index.ts";

const definition = {
  QueryLanguage: "JSONata",
  StartAt: "Provision",
  States: {
    Provision: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Arguments: { FunctionName: "provision", Payload: "{% $states.input %}" },
      Output: "{% $states.result.Payload %}",
      Assign: { cluster: "{% $states.result.Payload.cluster %}" },
      Next: "WaitForCluster",
    },
    WaitForCluster: { Type: "Wait", Seconds: 600, Next: "Announce" },
    Announce: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Arguments: { FunctionName: "announce", Payload: { cluster: "{% $cluster %}" } },
      Output: "{% $states.result.Payload %}",
      End: true,
    },
  },
};

function engineWith(calls: string[], clock = createClock({ mode: { kind: "manual" }, start: 0 })) {
  const engine = new Engine({
    clock,
    runtime: {
      invokeFunction: async (name, payload): Promise<Json> => {
        calls.push(name);
        if (name === "provision") return { cluster: "tenant-acme" };
        return { announced: payload };
      },
    },
  });
  const { stateMachineArn } = engine.createStateMachine({ name: "onboard", definition });
  return { engine, clock, stateMachineArn };
}

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe("saving and restoring executions", () => {
  it("restores history and outcome, and redrives a stopped execution where it stood, with its variables", async () => {
    // Prepare: an execution stopped in its Wait state, exported
    const before: string[] = [];
    const first = engineWith(before);
    const { executionArn } = first.engine.startExecution({
      stateMachineArn: first.stateMachineArn,
      input: "{}",
    });
    await until(() =>
      first.engine.getExecutionHistory(executionArn).events.some((e) => e.type === "WaitStateEntered"),
    );
    first.engine.stopExecution(executionArn, { error: "cplane.RuntimeStopped", cause: "runtime stopped" });
    const saved = JSON.parse(JSON.stringify(first.engine.exportExecutions()));
    const savedHistory = first.engine.getExecutionHistory(executionArn).events;

    // Act: a new engine takes them back and redrives
    const after: string[] = [];
    const second = engineWith(after, first.clock);
    expect(second.engine.importExecutions(saved)).toEqual([executionArn]);
    expect(second.engine.describeExecution(executionArn)).toMatchObject({
      status: "ABORTED",
      error: "cplane.RuntimeStopped",
      redriveStatus: "REDRIVABLE",
    });
    expect(second.engine.getExecutionHistory(executionArn).events).toEqual(savedHistory);
    second.engine.redriveExecution(executionArn);
    await until(() => second.clock.pendingTimers() > 0);
    await second.clock.advance(600_000);
    const done = await second.engine.waitForExecution(executionArn);

    // Assess: Provision ran once, before the stop; Announce saw the variable assigned before it
    expect(before).toEqual(["provision"]);
    expect(after).toEqual(["announce"]);
    expect(done).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
    expect(JSON.parse(done.output ?? "null")).toEqual({ announced: { cluster: "tenant-acme" } });
  });

  it("skips executions of state machines it does not have, and ones it already knows", async () => {
    const first = engineWith([]);
    const { executionArn } = first.engine.startExecution({
      stateMachineArn: first.stateMachineArn,
      input: "{}",
    });
    first.engine.stopExecution(executionArn);
    const saved = first.engine.exportExecutions();
    const bare = new Engine({ clock: first.clock });
    expect(bare.importExecutions(saved)).toEqual([]);
    expect(first.engine.importExecutions(saved)).toEqual([]);
  });
});

describe("executions saved while running (a checkpoint before a crash)", () => {
  it("come back aborted with the error given, their history closed by ExecutionAborted, and redrive where they stood", async () => {
    // Prepare: an execution in its Wait state, exported without being stopped
    const before: string[] = [];
    const first = engineWith(before);
    const { executionArn } = first.engine.startExecution({
      stateMachineArn: first.stateMachineArn,
      input: "{}",
    });
    await until(() =>
      first.engine.getExecutionHistory(executionArn).events.some((e) => e.type === "WaitStateEntered"),
    );
    const saved = [JSON.parse(first.engine.exportExecutionJson(executionArn))];
    const eventsBefore = first.engine.getExecutionHistory(executionArn).events.length;

    // Act: a new engine, on a clock of its own (the first is gone with its process)
    const after: string[] = [];
    const second = engineWith(after, createClock({ mode: { kind: "manual" }, start: first.clock.now() }));
    second.engine.importExecutions(saved, {
      interrupted: { error: "cplane.RuntimeStopped", cause: "the runtime crashed" },
    });

    // Assess: cut off as a stop would have, then redriven from the Wait state
    expect(second.engine.describeExecution(executionArn)).toMatchObject({
      status: "ABORTED",
      error: "cplane.RuntimeStopped",
      cause: "the runtime crashed",
      redriveStatus: "REDRIVABLE",
    });
    const history = second.engine.getExecutionHistory(executionArn).events;
    expect(history).toHaveLength(eventsBefore + 1);
    expect(history.at(-1)).toMatchObject({
      type: "ExecutionAborted",
      previousEventId: eventsBefore,
      executionAbortedEventDetails: { error: "cplane.RuntimeStopped", cause: "the runtime crashed" },
    });
    second.engine.redriveExecution(executionArn);
    await until(() => second.clock.pendingTimers() > 0);
    await second.clock.advance(600_000);
    expect(await second.engine.waitForExecution(executionArn)).toMatchObject({
      status: "SUCCEEDED",
      redriveCount: 1,
    });
    expect(before).toEqual(["provision"]);
    expect(after).toEqual(["announce"]);
  });

  it("aborts a running child execution plainly, as stopping its parent would", () => {
    const first = engineWith([]);
    const { executionArn } = first.engine.startExecution({ stateMachineArn: first.stateMachineArn });
    const [entry] = first.engine.exportExecutions();
    if (!entry) throw new Error("nothing exported");
    const child = { ...entry, arn: `${executionArn}-child`, parentArn: executionArn };

    const second = engineWith([], first.clock);
    second.engine.importExecutions([child], {
      interrupted: { error: "cplane.RuntimeStopped", cause: "crash" },
    });

    const described = second.engine.describeExecution(child.arn);
    expect(described.status).toBe("ABORTED");
    expect(described.error).toBeUndefined();
    expect(second.engine.getExecutionHistory(child.arn).events.at(-1)?.type).toBe("ExecutionAborted");
  });
});

describe("exporting executions one by one", () => {
  it("gives each as exportExecutions does, with a stamp that changes when the execution does and only then", async () => {
    // Prepare: one execution succeeded, one stopped in its Wait state, one waiting
    const { engine, clock, stateMachineArn } = engineWith([]);
    const succeeded = engine.startExecution({ stateMachineArn, input: '{"n":1}' }).executionArn;
    await until(() => clock.pendingTimers() === 1);
    await clock.advance(600_000);
    await engine.waitForExecution(succeeded);
    const stopped = engine.startExecution({ stateMachineArn, input: '{"n":2}' }).executionArn;
    await until(() => clock.pendingTimers() === 1);
    engine.stopExecution(stopped);
    const waiting = engine.startExecution({ stateMachineArn, input: '{"n":3}' }).executionArn;
    await until(() => clock.pendingTimers() === 1);
    const stampOf = (arn: string) => engine.executionStamps().find((s) => s.arn === arn);

    // Act / Assess: the text is the export
    expect(JSON.parse(JSON.stringify(engine.exportExecutions()))).toEqual(
      [succeeded, stopped, waiting].map((arn) => JSON.parse(engine.exportExecutionJson(arn))),
    );
    expect(stampOf(waiting)?.running).toBe(true);
    const before = stampOf(stopped);
    expect(stampOf(stopped)).toEqual(before);
    engine.redriveExecution(stopped);
    expect(stampOf(stopped)).toMatchObject({ running: true });
    await until(() => clock.pendingTimers() === 2);
    await clock.advance(600_000);
    await engine.waitForExecution(stopped);
    expect(stampOf(stopped)?.stamp).not.toBe(before?.stamp);
    expect(JSON.parse(engine.exportExecutionJson(stopped))).toMatchObject({
      status: "SUCCEEDED",
      redriveCount: 1,
    });
  });

  it("tells change listeners of every recorded event, and stops when they unsubscribe", async () => {
    const { engine, clock, stateMachineArn } = engineWith([]);
    let changes = 0;
    const unsubscribe = engine.onChange(() => changes++);
    const { executionArn } = engine.startExecution({ stateMachineArn, input: "{}" });
    await until(() => clock.pendingTimers() === 1);
    const recorded = engine.getExecutionHistory(executionArn).events.length;
    expect(changes).toBe(recorded);

    unsubscribe();
    engine.stopExecution(executionArn);
    expect(changes).toBe(recorded);
  });
});
