/**
 * The roles Step Functions, EventBridge and Scheduler act as, on the runtime: each state machine's role
 * allows invoking exactly the functions its definition names; a Task its role may not run fails as Step
 * Functions fails it (`Lambda.AWSLambdaException`, AccessDeniedException in the cause); a rule target or
 * schedule whose role may not start its workflow is a failed invocation (EventBridge: NO_PERMISSIONS,
 * dead-lettered without retries), and no execution starts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { workflowSchedules } from "../../../events/schedules.ts";
import { TenantOffboardingRequested } from "../../../events/tenants.ts";
import { functionCatalog } from "../../../functions/catalog.ts";
import { cli } from "../../../local/cli/main.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { DERIVED_POLICY, roleArnOf, startRoleName, stateMachineRoleName } from "../../../local/iam/roles.ts";
import { createRuntime, LOCAL_ACCOUNT, type Runtime } from "../../../local/runtime.ts";
import { serve } from "../../../local/start.ts";
import { functionIdsOf } from "../../../workflows/asl.ts";
import { workflowCatalog } from "../../../workflows/catalog.ts";

let runtime: Runtime;
const LOCAL = { app: "cplane", stage: "local", account: LOCAL_ACCOUNT, partition: "aws" };

beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "instant" } }) });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
});

type IamOperations = Record<string, (input: unknown) => { PolicyDocument?: string }>;
const iam = () => runtime.cloud.iam.operations as unknown as IamOperations;

/** Replaces a service role's derived policy for the duration of `work`. */
async function withPolicy<T>(roleName: string, statements: unknown[], work: () => Promise<T>): Promise<T> {
  const original = decodeURIComponent(
    iam().GetRolePolicy?.({ RoleName: roleName, PolicyName: DERIVED_POLICY }).PolicyDocument ?? "",
  );
  iam().PutRolePolicy?.({
    RoleName: roleName,
    PolicyName: DERIVED_POLICY,
    PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  });
  try {
    return await work();
  } finally {
    iam().PutRolePolicy?.({ RoleName: roleName, PolicyName: DERIVED_POLICY, PolicyDocument: original });
  }
}

/**
 * Waits (on the event loop, not on simulated time) until `done` holds, for work the runtime does in the
 * background; up to 30 s of wall time. A count of turns was the bound before, and once the turns got
 * cheaper (no X-Ray async hook on every promise) 20,000 of them passed before the eight retries did.
 */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error(`never happened: ${what}`);
}

describe("each state machine's role", () => {
  it("is the derived role its state machine runs as, and may invoke exactly the functions its definition names", () => {
    const authorizer = runtime.iam;
    if (!authorizer) throw new Error("local IAM is off");
    for (const workflow of workflowCatalog.values()) {
      const roleName = stateMachineRoleName(workflow.name, LOCAL);
      expect(runtime.engine.describeStateMachine(runtime.stateMachineArn(workflow.name)).roleArn).toBe(
        roleArnOf(roleName, LOCAL),
      );
      const named = new Set<string>(functionIdsOf(workflow.definition));
      const allowed = [...functionCatalog.keys()].filter(
        (id) =>
          authorizer.authorizeRequests(
            { service: "Lambda", operation: "Invoke", region: runtime.region },
            { roleName, service: `states:${workflow.name}` },
            [{ action: "lambda:InvokeFunction", resource: runtime.functions.arnOf(id) }],
          ) === undefined,
      );
      expect(new Set(allowed), workflow.name).toEqual(named);
    }
  });

  it("fails a Task its role may not run with Step Functions' Lambda.AWSLambdaException, retried as a Lambda service error", async () => {
    const workflow = "tenant-offboarding";
    const roleName = stateMachineRoleName(workflow, LOCAL);
    // A role that may invoke no function: the run's first Task is refused.
    const events = await withPolicy(
      roleName,
      [{ Effect: "Allow", Action: "xray:PutTraceSegments", Resource: "*" }],
      async () => {
        const { executionArn } = runtime.engine.startExecution({
          stateMachineArn: runtime.stateMachineArn(workflow),
          input: JSON.stringify({ slug: "nobody" }),
        });
        await runtime.engine.waitForExecution(executionArn);
        return runtime.engine.getExecutionHistory(executionArn, {}).events as unknown as {
          type: string;
          taskScheduledEventDetails?: { parameters: string };
          taskFailedEventDetails?: { error?: string; cause?: string };
        }[];
      },
    );
    const scheduled = events.find((e) => e.type === "TaskScheduled")?.taskScheduledEventDetails;
    const functionArn = (JSON.parse(scheduled?.parameters ?? "{}") as { FunctionName?: string }).FunctionName;
    expect(functionArn).toMatch(/^arn:aws:lambda:/);
    const description = events;
    const failures = description.filter((e) => e.type === "TaskFailed");
    expect(failures.length).toBeGreaterThanOrEqual(1);
    const failed = failures[0]?.taskFailedEventDetails;
    expect(failed?.error).toBe("Lambda.AWSLambdaException");
    expect(failed?.cause).toMatch(
      new RegExp(
        `^User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/\\S+ is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn} because no identity-based policy allows the lambda:InvokeFunction action \\(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: [0-9a-f-]{36}; Proxy: null\\)$`,
      ),
    );
    // The standard Lambda retrier (Lambda.AWSLambdaException, 3 retries) tried that Task again before
    // giving up, and the failure path's own Tasks were refused alike.
    const refused = failures.filter((e) =>
      e.taskFailedEventDetails?.cause?.includes(`resource: ${functionArn} `),
    );
    expect(refused.length).toBe(4);
    expect(failures.every((e) => e.taskFailedEventDetails?.error === "Lambda.AWSLambdaException")).toBe(true);
  }, 120_000);

  it("runs a state machine made without a role as the local operator, one with a role as that role", async () => {
    const definition = {
      StartAt: "Call",
      States: {
        Call: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: runtime.functions.arnOf("tenant/announce"), Payload: {} },
          End: true,
        },
      },
    };
    const errorOf = async (name: string, roleArn?: string) => {
      const { stateMachineArn } = runtime.engine.createStateMachine({ name, definition, roleArn });
      const { executionArn } = runtime.engine.startExecution({ stateMachineArn });
      return (await runtime.engine.waitForExecution(executionArn)).error;
    };
    // Without a role the handler runs (and refuses the empty payload itself).
    const unauthorized = await errorOf("no-role");
    expect(unauthorized).toBeDefined();
    expect(unauthorized).not.toBe("Lambda.AWSLambdaException");
    // As a role that may invoke other functions only, Step Functions refuses the Task.
    const other = roleArnOf(stateMachineRoleName("dr-readiness", LOCAL), LOCAL);
    expect(await errorOf("other-role", other)).toBe("Lambda.AWSLambdaException");
  }, 120_000);
});

describe("the roles that start executions", () => {
  it("dead-letter a rule's delivery whose role may not start its workflow, without retrying (NO_PERMISSIONS)", async () => {
    const rule = "tenant-offboarding-requested";
    const roleName = startRoleName("events", rule, LOCAL);
    const offboardings = () =>
      runtime.engine.listExecutions({ stateMachineArn: runtime.stateMachineArn("tenant-offboarding") })
        .executions.length;
    const before = offboardings();
    const put = () =>
      runtime.bus.putEvents({
        Entries: [
          {
            Source: TenantOffboardingRequested.source,
            DetailType: TenantOffboardingRequested.detailType,
            EventBusName: "cplane",
            Detail: JSON.stringify({ slug: "nobody" }),
          },
        ],
      });
    const deadLetters = () => runtime.bus.deadLetters().filter((d) => d.ruleArn.endsWith(`/${rule}`));
    await withPolicy(
      roleName,
      // A role for another workflow: the target's own is not in it.
      [
        {
          Effect: "Allow",
          Action: "states:StartExecution",
          Resource: runtime.stateMachineArn("tenant-onboarding"),
        },
      ],
      async () => {
        put();
        await until(() => deadLetters().length === 1, "the delivery dead-lettered");
      },
    );
    expect(deadLetters()[0]).toMatchObject({ errorCode: "NO_PERMISSIONS", attempts: 1 });
    expect(deadLetters()[0]?.errorMessage).toContain(
      `assumed-role/${roleName}/${roleName} is not authorized to perform: states:StartExecution on resource: ${runtime.stateMachineArn("tenant-offboarding")}`,
    );
    expect(runtime.bus.ruleMetrics({ Name: rule, EventBusName: "cplane" })).toMatchObject({
      FailedInvocations: 1,
    });
    expect(offboardings()).toBe(before);
    // With its own role the same event starts the workflow.
    put();
    await until(() => offboardings() === before + 1, "the offboarding started");
  }, 120_000);

  it("dead-letter a delivery whose role does not exist as FAILED_TO_ASSUME_ROLE", async () => {
    runtime.bus.putRule({
      Name: "probe-no-role",
      EventBusName: "cplane",
      EventPattern: '{"source":["probe.no-role"]}',
    });
    runtime.bus.putTargets({
      Rule: "probe-no-role",
      EventBusName: "cplane",
      Targets: [
        {
          Id: "onboarding",
          Arn: runtime.stateMachineArn("tenant-onboarding"),
          RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/nobody`,
        },
      ],
    });
    runtime.bus.putEvents({
      Entries: [{ Source: "probe.no-role", DetailType: "Probe", EventBusName: "cplane", Detail: "{}" }],
    });
    const failed = () => runtime.bus.deadLetters().filter((d) => d.ruleArn.endsWith("/probe-no-role"));
    await until(() => failed().length === 1, "the delivery dead-lettered");
    expect(failed()[0]).toMatchObject({ errorCode: "FAILED_TO_ASSUME_ROLE", attempts: 1 });
  }, 120_000);

  it("fail a schedule's invocation whose role may not start its workflow, and start nothing: the trigger says why, the runs are retried, counted and dead-lettered", async () => {
    const schedule = "dr-readiness";
    const roleName = startRoleName("scheduler", schedule, LOCAL);
    const runs = () =>
      runtime.engine.listExecutions({ stateMachineArn: runtime.stateMachineArn("dr-readiness") }).executions
        .length;
    const before = runs();
    const metricsBefore = runtime.scheduler.metrics();
    const failed = () => runtime.scheduler.deadLetters().filter((d) => d.scheduleName === schedule);
    const server = await serve(runtime, 0);
    let stderr = "";
    let listed = "";
    const code = await withPolicy(
      roleName,
      [
        {
          Effect: "Allow",
          Action: "states:StartExecution",
          Resource: "arn:aws:states:us-east-1:000000000000:stateMachine:other",
        },
      ],
      async () => {
        vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
          stderr += String(chunk);
          return true;
        });
        vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
          listed += String(chunk);
          return true;
        });
        try {
          const exit = await cli(["schedules", "trigger", schedule, "--endpoint", server.url]);
          // The retry policy stacks/ deploys (8 retries within the hour), then the dead letter.
          await until(() => failed().length === 1, "the invocation failed for good");
          listed = "";
          await cli(["schedules", "list", "--endpoint", server.url]);
          return exit;
        } finally {
          vi.restoreAllMocks();
          await server.close();
        }
      },
    );
    const denied = `assumed-role/${roleName}/${roleName} is not authorized to perform: states:StartExecution on resource: ${runtime.stateMachineArn("dr-readiness")}`;
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${schedule} fired, but it did not start dr-readiness: TargetPermissionError: User: arn:aws:sts::${LOCAL_ACCOUNT}:${denied}`,
    );
    expect(failed()[0]).toMatchObject({ errorCode: "NO_PERMISSIONS", attempts: 9 });
    expect(failed()[0]?.error).toContain(denied);
    const metrics = runtime.scheduler.metrics();
    expect({
      attempts: metrics.InvocationAttemptCount - metricsBefore.InvocationAttemptCount,
      errors: metrics.TargetErrorCount - metricsBefore.TargetErrorCount,
      dropped: metrics.InvocationDroppedCount - metricsBefore.InvocationDroppedCount,
    }).toEqual({ attempts: 9, errors: 9, dropped: 1 });
    expect(runs()).toBe(before);
    // Where a person looks locally: the schedule's last run, and Scheduler's counters.
    expect(listed).toMatch(
      /dr-readiness\s+dr-readiness\s+rate\(30 minutes\)\s+UTC\s+ENABLED\s+\S+\s+failed \S+ \(attempt 9\): TargetPermissionError: User: arn:aws:sts::/,
    );
    expect(listed).toMatch(/Scheduler: \d+ attempts, \d+ failed \(target errors\), \d+ runs dropped/);
  }, 120_000);

  it("start each schedule's workflow as the schedule's own role when it fires", async () => {
    // Every schedule of events/schedules.ts, fired at once: its start is authorized as its role (the
    // suite otherwise waits for no weekly or monthly one), and its workflow runs.
    const runsOf = (workflow: string) =>
      runtime.engine.listExecutions({ stateMachineArn: runtime.stateMachineArn(workflow) }).executions.length;
    for (const schedule of workflowSchedules) {
      const before = runsOf(schedule.workflow);
      runtime.scheduler.runNow({ Name: schedule.name });
      await until(() => runsOf(schedule.workflow) > before, `${schedule.name} started ${schedule.workflow}`);
    }
    expect(runtime.scheduler.deadLetters().filter((d) => d.scheduleName !== "dr-readiness")).toEqual([]);
  }, 300_000);
});
