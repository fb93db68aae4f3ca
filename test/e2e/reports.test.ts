/**
 * Run reports on the local runtime: the record-report step reads the history from the local engine
 * through its SFN client and writes the registry table in the local cloud; the CLI reads it back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../functions/reports/lib/report.ts";
import { createClock } from "../../local/clock/clock.ts";
import type { ExecutionDescription } from "../../local/engine/index.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";
import type { LocalServer } from "../../local/server/http.ts";
import { serve } from "../../local/start.ts";
import { runCli } from "../support/cli.ts";

let runtime: Runtime;
let server: LocalServer;

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
  server = await serve(runtime, 0);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await runtime?.close();
});

const cplane = (...args: string[]) => runCli(server.url, ...args);

async function finished(executionArn: string): Promise<ExecutionDescription> {
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const execution = runtime.engine.describeExecution(executionArn);
    if (execution.status !== "RUNNING") return execution;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${executionArn} did not finish`);
}

describe("run reports on the local runtime", () => {
  it("reports an onboarding: the CLI lists it and shows its steps with simulated times, decisions and figures", async () => {
    // Prepare: an onboarding that ran to its end
    const { executionArn } = runtime.engine.startExecution({
      stateMachineArn: runtime.stateMachineArn("tenant-onboarding"),
      name: "onboard-initech",
      input: JSON.stringify({ name: "Initech", tier: "standard", adminEmail: "ops@initech.example" }),
    });
    const execution = await finished(executionArn);
    expect(execution.status, execution.cause).toBe("SUCCEEDED");

    // Act: the report step, as a workflow's last state calls it, then the CLI
    const summary = await runtime.functions.invoke("reports/record-report", {
      executionArn,
      workflow: "tenant-onboarding",
      trigger: { type: "manual", source: "cplane run", by: "ops" },
      outcome: "succeeded",
      reason: "tenant initech is active",
      decisions: [
        {
          name: "database-ready",
          outcome: "proceed",
          inputs: { status: "available" },
          thresholds: { deadlineMinutes: 90 },
        },
      ],
      figures: [{ name: "time to active", value: 690, unit: "s", key: true }],
    });
    const listed = await cplane("reports", "list", "tenant-onboarding");
    const shown = await cplane("reports", "show", executionArn, "--json");
    const readable = await cplane("reports", "show", "onboard-initech");

    // Assess
    const report = JSON.parse(shown.stdout) as Report;
    expect(summary).toEqual({
      outcome: "succeeded",
      reason: "tenant initech is active",
      durationSeconds: report.durationSeconds,
      figures: [{ name: "time to active", value: 690, unit: "s" }],
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      /onboard-initech\s+succeeded\s+\d+m\d+s\s+manual\s+tenant initech is active/,
    );
    // The cloud's time: the Aurora cluster took its simulated minutes, the wall clock a few seconds.
    const step = (name: string) => report.steps.find((s) => s.name === name);
    expect(report.durationSeconds * 1000).toBeGreaterThanOrEqual(runtime.cloud.durations.auroraClusterCreate);
    expect(report.steps.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        "ValidateAndRegister",
        "ProvisionDatabase",
        "CreateNamespace",
        "MigrateDatabase",
        "Announce",
      ]),
    );
    expect(step("ProvisionDatabase")).toMatchObject({ type: "Task", status: "succeeded", attempts: 1 });
    // A wait that ends by its timeout (the backstop) is a step that timed out, not one that failed.
    expect(report.steps.filter((s) => s.status === "failed")).toEqual([]);
    expect(report.startedAt).toBe(execution.startDate.toISOString());
    expect(report.finishedAt).toBe(execution.stopDate?.toISOString());
    expect(readable.code, readable.stderr).toBe(0);
    expect(readable.stdout).toContain("tenant-onboarding onboard-initech: SUCCEEDED");
    expect(readable.stdout).toMatch(/\+00:00:00\s+ValidateAndRegister\s+Task/);
    expect(readable.stdout).toMatch(/\+00:\d\d:\d\d\s+Announce\s+Task\s+\d+s\s+succeeded/);
    expect(readable.stdout).toContain("database-ready: proceed");
    expect(readable.stdout).toContain("thresholds  deadlineMinutes=90");
    expect(readable.stdout).toMatch(/time to active\s+690 s\s+key/);
    // Nothing of the tenant's secrets: only what the history says without execution data.
    expect(shown.stdout).not.toMatch(/password/i);
  }, 240_000);

  it("is the last state of a workflow: a throttled write is retried and the report holds the states before it", async () => {
    // Prepare: a small workflow ending in the report step; the report's first write is throttled
    const { stateMachineArn } = runtime.engine.createStateMachine({
      // Named as the deployment names its machines: the report step's role reads only their histories.
      name: "cplane-local-report-demo",
      definition: {
        QueryLanguage: "JSONata",
        StartAt: "Bake",
        States: {
          Bake: { Type: "Wait", Seconds: 300, Next: "Gate" },
          Gate: { Type: "Choice", Choices: [{ Condition: "{% true %}", Next: "Report" }], Default: "Report" },
          Report: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Arguments: {
              FunctionName: runtime.functions.arnOf("reports/record-report"),
              Payload:
                '{% {"executionArn": $states.context.Execution.Id, "workflow": "report-demo", "trigger": {"type": "schedule", "source": "schedule report-demo"}, "outcome": "succeeded", "reason": "baked", "figures": [{"name": "bake", "value": 300, "unit": "s", "key": true}]} %}',
            },
            Output: "{% $states.result.Payload %}",
            Retry: [
              {
                ErrorEquals: ["ProvisionedThroughputExceededException"],
                IntervalSeconds: 10,
                MaxAttempts: 2,
              },
            ],
            End: true,
          },
        },
      },
    });
    runtime.cloud.faults.add({
      kind: "error",
      service: "DynamoDB",
      operation: "PutItem",
      error: "ProvisionedThroughputExceededException",
      times: 1,
    });

    // Act
    const { executionArn } = runtime.engine.startExecution({ stateMachineArn, name: "demo-1", input: "{}" });
    const execution = await finished(executionArn);
    const listed = await cplane("reports", "list", "report-demo", "--json");
    const shown = await cplane("reports", "show", "demo-1", "--json");

    // Assess
    expect(execution.status, execution.cause).toBe("SUCCEEDED");
    const attempts = runtime.engine
      .getExecutionHistory(executionArn)
      .events.filter((event) => event.type === "TaskScheduled");
    expect(attempts).toHaveLength(2);
    expect(JSON.parse(execution.output ?? "{}")).toEqual({
      outcome: "succeeded",
      reason: "baked",
      durationSeconds: 300,
      figures: [{ name: "bake", value: 300, unit: "s" }],
    });
    const report = JSON.parse(shown.stdout) as Report;
    expect(report.steps.map((s) => [s.name, s.durationSeconds, s.status])).toEqual([
      ["Bake", 300, "succeeded"],
      ["Gate", 0, "succeeded"],
    ]);
    expect(report.trigger).toEqual({ type: "schedule", source: "schedule report-demo" });
    expect((JSON.parse(listed.stdout) as { reports: unknown[] }).reports).toHaveLength(1);
  }, 120_000);

  it("names what it cannot find", async () => {
    const missing = await cplane("reports", "show", "no-such-execution");

    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no report for execution no-such-execution");
  });
});
