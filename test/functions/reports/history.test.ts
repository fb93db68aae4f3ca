/**
 * The steps of a run report from real histories: the local engine (held to AWS-recorded cases) runs
 * small workflows, and the report step reads the history the way the handler does, mid-run.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { IncompleteHistoryError } from "../../../functions/reports/lib/errors.ts";
import { buildTimeline, type RunTimeline } from "../../../functions/reports/lib/history.ts";
import type { Json } from "../../../local/engine/json.ts";
import type { InvokeContext } from "../../../local/engine/tasks.ts";
import { type Harness, harness, run, START } from "../../local/engine/harness.ts";

const at = (seconds: number) => new Date(START + seconds * 1000).toISOString();

function fail(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

const task = (fn: string, next: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Type: "Task",
  Resource: "arn:aws:states:::lambda:invoke",
  Arguments: { FunctionName: fn, Payload: "{% $states.input %}" },
  Output: "{% $states.result.Payload %}",
  ...extra,
  ...next,
});

/**
 * Register → (TransientError once, retried after 2 s) → Wait 60 s → Map over three tenants whose
 * iterations wait 30/10/20 s (they interleave) → Doomed fails, caught → Recover → Report (the report
 * step: it reads the history each time it is invoked, fails the first time, and is retried).
 */
const definition = {
  QueryLanguage: "JSONata",
  StartAt: "Register",
  States: {
    Register: task(
      "register",
      { Next: "Bake" },
      { Retry: [{ ErrorEquals: ["TransientError"], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 1 }] },
    ),
    Bake: { Type: "Wait", Seconds: 60, Next: "PerTenant" },
    PerTenant: {
      Type: "Map",
      Items: "{% [30, 10, 20] %}",
      MaxConcurrency: 0,
      ItemProcessor: {
        StartAt: "Settle",
        States: { Settle: { Type: "Wait", Seconds: "{% $states.input %}", End: true } },
      },
      Next: "Doomed",
    },
    Doomed: task("doomed", { Next: "Report" }, { Catch: [{ ErrorEquals: ["States.ALL"], Next: "Recover" }] }),
    Recover: { Type: "Pass", Next: "Report" },
    Report: task(
      "report",
      { End: true },
      {
        Retry: [{ ErrorEquals: ["ThrottlingException"], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 1 }],
      },
    ),
  },
};

async function runWithReportStep() {
  const seen: RunTimeline[] = [];
  let registerCalls = 0;
  let reportCalls = 0;
  const engine: { current?: Harness["engine"] } = {};
  const h = harness({
    invokeFunction: async (name: string, _payload: Json, context: InvokeContext) => {
      if (name === "register" && ++registerCalls === 1) throw fail("TransientError", "table busy");
      if (name === "doomed") throw fail("BoomError", "the namespace quota is exhausted");
      if (name === "report") {
        const history = engine.current?.getExecutionHistory(context.executionArn, {
          includeExecutionData: false,
        });
        seen.push(buildTimeline((history?.events ?? []) as unknown as HistoryEvent[]));
        if (++reportCalls === 1) throw fail("ThrottlingException", "slow down");
      }
      return {};
    },
  });
  engine.current = h.engine;
  const outcome = await run(definition, {}, h);
  return { outcome, seen };
}

describe("buildTimeline", () => {
  it("gives each state entered with simulated times, attempts, retried errors and caught failures", async () => {
    // Act
    const { outcome, seen } = await runWithReportStep();

    // Assess
    expect(outcome.description.status).toBe("SUCCEEDED");
    const timeline = seen[0] as RunTimeline;
    expect(timeline.startedAt.toISOString()).toBe(at(0));
    expect(timeline.ended).toBeUndefined();
    expect(timeline.steps).toEqual([
      {
        name: "Register",
        type: "Task",
        enteredAt: at(0),
        exitedAt: at(2),
        durationSeconds: 2,
        status: "succeeded",
        attempts: 2,
        retried: ["TransientError"],
      },
      {
        name: "Bake",
        type: "Wait",
        enteredAt: at(2),
        exitedAt: at(62),
        durationSeconds: 60,
        status: "succeeded",
      },
      {
        name: "PerTenant",
        type: "Map",
        enteredAt: at(62),
        exitedAt: at(92),
        durationSeconds: 30,
        status: "succeeded",
      },
      ...[
        [0, 30],
        [1, 10],
        [2, 20],
      ].map(([index, seconds]) => ({
        name: "Settle",
        type: "Wait",
        enteredAt: at(62),
        exitedAt: at(62 + (seconds as number)),
        durationSeconds: seconds,
        status: "succeeded",
        iteration: `PerTenant[${index}]`,
      })),
      {
        name: "Doomed",
        type: "Task",
        enteredAt: at(92),
        exitedAt: at(92),
        durationSeconds: 0,
        status: "failed",
        attempts: 1,
        error: "BoomError",
        cause: "the namespace quota is exhausted",
      },
      {
        name: "Recover",
        type: "Pass",
        enteredAt: at(92),
        exitedAt: at(92),
        durationSeconds: 0,
        status: "succeeded",
      },
    ]);
    // The report step ends the run as far as the report goes: its entry.
    expect(timeline.finishedAt.toISOString()).toBe(at(92));
  });

  it("reads the same steps when the report step is retried", async () => {
    const { seen } = await runWithReportStep();

    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
  });

  it("reads the same steps when the report step runs again after a redrive", async () => {
    // Prepare: a report step that fails the execution the first time (no retrier)
    const seen: RunTimeline[] = [];
    const engine: { current?: Harness["engine"] } = {};
    const h = harness({
      invokeFunction: async (_name: string, _payload: Json, context: InvokeContext) => {
        const history = engine.current?.getExecutionHistory(context.executionArn);
        seen.push(buildTimeline((history?.events ?? []) as unknown as HistoryEvent[]));
        if (seen.length === 1) throw fail("ReportStoreError", "table unavailable");
        return {};
      },
    });
    engine.current = h.engine;
    const first = await run(
      {
        QueryLanguage: "JSONata",
        StartAt: "Work",
        States: {
          Work: { Type: "Wait", Seconds: 30, Next: "Report" },
          Report: task("report", { End: true }),
        },
      },
      {},
      h,
    );
    expect(first.description.status).toBe("FAILED");

    // Act
    await h.clock.advance(3_600_000);
    h.engine.redriveExecution(first.description.executionArn);
    const redriven = await h.engine.waitForExecution(first.description.executionArn);

    // Assess
    expect(redriven.status).toBe("SUCCEEDED");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]?.finishedAt.toISOString()).toBe(at(30));
  });

  it("reads a finished execution whole, with its end and the Fail state's error", async () => {
    // Prepare: a workflow that fails at a Fail state after a Pass
    const outcome = await run({
      QueryLanguage: "JSONata",
      StartAt: "Check",
      States: {
        Check: { Type: "Wait", Seconds: 5, Next: "Refuse" },
        Refuse: { Type: "Fail", Error: "LockHeldError", Cause: "the fleet lock is held by a failover" },
      },
    });

    // Act
    const timeline = buildTimeline(outcome.history as unknown as HistoryEvent[]);

    // Assess
    expect(timeline.ended).toBe("FAILED");
    expect(timeline.finishedAt.toISOString()).toBe(at(5));
    expect(timeline.steps.at(-1)).toEqual({
      name: "Refuse",
      type: "Fail",
      enteredAt: at(5),
      exitedAt: at(5),
      durationSeconds: 0,
      status: "failed",
      error: "LockHeldError",
      cause: "the fleet lock is held by a failover",
    });
  });

  it("marks the states a stop cut off as aborted", async () => {
    // Prepare: an execution stopped during a one-hour wait
    const h = harness();
    const { stateMachineArn } = h.engine.createStateMachine({
      name: "stopped",
      definition: {
        QueryLanguage: "JSONata",
        StartAt: "Hold",
        States: { Hold: { Type: "Wait", Seconds: 3600, End: true } },
      },
    });
    const { executionArn } = h.engine.startExecution({ stateMachineArn, input: "{}" });
    await h.clock.advance(600_000);
    h.engine.stopExecution(executionArn, { error: "Operator", cause: "stopped by hand" });
    await h.engine.waitForExecution(executionArn);

    // Act
    const timeline = buildTimeline(
      h.engine.getExecutionHistory(executionArn).events as unknown as HistoryEvent[],
    );

    // Assess
    expect(timeline.ended).toBe("ABORTED");
    expect(timeline.steps).toEqual([
      expect.objectContaining({ name: "Hold", status: "aborted", durationSeconds: 600 }),
    ]);
  });

  it("keeps a Lambda error's message and leaves its stack trace out", () => {
    const events = [
      { id: 1, previousEventId: 0, type: "ExecutionStarted", timestamp: new Date(START) },
      {
        id: 2,
        previousEventId: 1,
        type: "TaskStateEntered",
        timestamp: new Date(START),
        stateEnteredEventDetails: { name: "Migrate" },
      },
      { id: 3, previousEventId: 2, type: "TaskScheduled", timestamp: new Date(START) },
      {
        id: 4,
        previousEventId: 3,
        type: "TaskFailed",
        timestamp: new Date(START + 1500),
        taskFailedEventDetails: {
          error: "MigrationError",
          cause: JSON.stringify({
            errorType: "MigrationError",
            errorMessage: "relation exists",
            trace: ["at x"],
          }),
        },
      },
      {
        id: 5,
        previousEventId: 4,
        type: "ExecutionFailed",
        timestamp: new Date(START + 1500),
        executionFailedEventDetails: { error: "MigrationError", cause: "{}" },
      },
    ] as HistoryEvent[];

    const [step] = buildTimeline(events).steps;

    expect(step).toMatchObject({ status: "failed", error: "MigrationError", cause: "relation exists" });
    expect(step).not.toHaveProperty("retried");
    expect(JSON.stringify(step)).not.toContain("at x");
  });

  it("refuses a history without its start", () => {
    expect(() => buildTimeline([])).toThrow(IncompleteHistoryError);
  });
});
