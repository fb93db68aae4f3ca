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
