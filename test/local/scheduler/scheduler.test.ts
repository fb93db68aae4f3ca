import { describe, expect, it } from "vitest";
import { workflowSchedules } from "../../../events/schedules.ts";
import type { TargetDispatcher } from "../../../local/bus/bus.ts";
import { type Clock, createClock } from "../../../local/clock/clock.ts";
import { installWorkflowSchedules } from "../../../local/scheduler/install-schedules.ts";
import { createLocalScheduler, type LocalScheduler } from "../../../local/scheduler/scheduler.ts";

const SFN = "arn:aws:states:us-east-1:000000000000:stateMachine:backup-verification";
const ROLE = "arn:aws:iam::000000000000:role/cplane-local-schedule-test";
const HOUR = 3_600_000;

function setup(
  start: string,
  failures = 0,
): { scheduler: LocalScheduler; clock: Clock; calls: { arn: string; input: string }[] } {
  const clock = createClock({ mode: { kind: "manual" }, start: Date.parse(start) });
  const calls: { arn: string; input: string }[] = [];
  let left = failures;
  const dispatcher: TargetDispatcher = {
    startExecution: async (arn, input) => {
      calls.push({ arn, input });
      if (left-- > 0) throw Object.assign(new Error("busy"), { name: "ServiceUnavailable" });
      return {};
    },
    invokeFunction: async (arn, input) => {
      calls.push({ arn, input });
      return {};
    },
  };
  return { scheduler: createLocalScheduler({ clock, dispatcher, random: () => 0.5 }), clock, calls };
}

async function advance(clock: Clock, scheduler: LocalScheduler, ms: number): Promise<void> {
  await clock.advance(ms);
  await scheduler.drain();
}

describe("local scheduler", () => {
  it("fires a cron schedule on the virtual clock with the context attributes substituted", async () => {
    const { scheduler, clock, calls } = setup("2026-03-01T00:00:00Z");
    scheduler.createSchedule({
      Name: "nightly",
      ScheduleExpression: "cron(0 3 * * ? *)",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: SFN,
        RoleArn: ROLE,
        Input: '{"at":"<aws.scheduler.scheduled-time>","n":<aws.scheduler.attempt-number>}',
      },
    });
    await advance(clock, scheduler, 2 * 24 * HOUR);
    expect(calls).toEqual([
      { arn: SFN, input: '{"at":"2026-03-01T03:00:00Z","n":1}' },
      { arn: SFN, input: '{"at":"2026-03-02T03:00:00Z","n":1}' },
    ]);
    expect(scheduler.listSchedules().Schedules[0]).toMatchObject({
      Name: "nightly",
      NextInvocation: "2026-03-03T03:00:00.000Z",
    });
  });

  it("fires within the flexible time window", async () => {
    const { scheduler, clock } = setup("2026-03-01T00:00:00Z");
    scheduler.createSchedule({
      Name: "flex",
      ScheduleExpression: "cron(0 3 * * ? *)",
      FlexibleTimeWindow: { Mode: "FLEXIBLE", MaximumWindowInMinutes: 20 },
      Target: { Arn: SFN, RoleArn: ROLE },
    });
    await advance(clock, scheduler, 4 * HOUR);
    expect(scheduler.invocations()[0]).toMatchObject({
      scheduledTime: "2026-03-01T03:00:00Z",
      invokedAt: "2026-03-01T03:10:00.000Z",
    });
  });

  it("runs rate schedules only between StartDate and EndDate", async () => {
    const { scheduler, clock, calls } = setup("2026-03-01T00:00:00Z");
    scheduler.createSchedule({
      Name: "rate",
      ScheduleExpression: "rate(1 hour)",
      StartDate: new Date("2026-03-01T02:00:00Z"),
      EndDate: new Date("2026-03-01T05:00:00Z"),
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: { Arn: SFN, RoleArn: ROLE, Input: '"<aws.scheduler.scheduled-time>"' },
    });
    await advance(clock, scheduler, 10 * HOUR);
    expect(calls.map((c) => c.input)).toEqual([
      '"2026-03-01T03:00:00Z"',
      '"2026-03-01T04:00:00Z"',
      '"2026-03-01T05:00:00Z"',
    ]);
  });

  it("runs an at() schedule once in its time zone and deletes it when asked", async () => {
    const { scheduler, clock, calls } = setup("2026-07-01T00:00:00Z");
    scheduler.createSchedule({
      Name: "once",
      ScheduleExpression: "at(2026-07-01T09:00:00)",
      ScheduleExpressionTimezone: "Europe/London",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Target: { Arn: SFN, RoleArn: ROLE },
    });
    expect(scheduler.upcoming({ Name: "once" })).toEqual(["2026-07-01T08:00:00.000Z"]);
    await advance(clock, scheduler, 24 * HOUR);
    expect(calls).toHaveLength(1);
    expect(scheduler.listSchedules().Schedules).toEqual([]);
  });

  it("does not fire disabled schedules, and re-plans on update", async () => {
    const { scheduler, clock, calls } = setup("2026-03-01T00:00:00Z");
    const request = {
      Name: "s",
      ScheduleExpression: "rate(1 hour)",
      FlexibleTimeWindow: { Mode: "OFF" as const },
      State: "DISABLED" as const,
      Target: { Arn: SFN, RoleArn: ROLE },
    };
    scheduler.createSchedule(request);
    await advance(clock, scheduler, 3 * HOUR);
    expect(calls).toEqual([]);
    // A disabled schedule has no next run: neither in the listing nor in what is upcoming.
    expect(scheduler.upcoming({ Name: "s" })).toEqual([]);
    expect(scheduler.listSchedules().Schedules[0]).not.toHaveProperty("NextInvocation");
    scheduler.updateSchedule({ ...request, State: "ENABLED" });
    await advance(clock, scheduler, HOUR);
    expect(calls).toHaveLength(1);
  });

  it("refuses a target without a role, or with a role ARN that is not one, as CreateSchedule does", () => {
    const { scheduler } = setup("2026-03-01T00:00:00Z");
    const request = {
      Name: "no-role",
      ScheduleExpression: "rate(1 hour)",
      FlexibleTimeWindow: { Mode: "OFF" as const },
      Target: { Arn: SFN } as never,
    };
    expect(() => scheduler.createSchedule(request)).toThrow(
      expect.objectContaining({
        name: "ValidationException",
        message:
          "1 validation error detected: Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null",
      }),
    );
    expect(() =>
      scheduler.createSchedule({ ...request, Target: { Arn: SFN, RoleArn: "cplane-local-schedule-x" } }),
    ).toThrow(
      /Value 'cplane-local-schedule-x' at 'target.roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    // Nothing was stored; an update cannot take the role away either.
    expect(scheduler.listSchedules().Schedules).toEqual([]);
    scheduler.createSchedule({ ...request, Target: { Arn: SFN, RoleArn: ROLE } });
    expect(() => scheduler.updateSchedule(request)).toThrow(
      expect.objectContaining({ name: "ValidationException" }),
    );
    expect(scheduler.getSchedule({ Name: "no-role" }).Target.RoleArn).toBe(ROLE);
  });

  it("starts the target as the schedule's role", async () => {
    const clock = createClock({ mode: { kind: "manual" }, start: Date.parse("2026-03-01T00:00:00Z") });
    const roles: (string | undefined)[] = [];
    const scheduler = createLocalScheduler({
      clock,
      dispatcher: {
        startExecution: async (_arn, _input, _delivery, roleArn) => roles.push(roleArn),
        invokeFunction: async () => ({}),
      },
    });
    scheduler.createSchedule({
      Name: "as-role",
      ScheduleExpression: "rate(1 hour)",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: { Arn: SFN, RoleArn: ROLE },
    });
    await advance(clock, scheduler, HOUR);
    await scheduler.runNow({ Name: "as-role" }).firstAttempt;
    expect(roles).toEqual([ROLE, ROLE]);
  });

  it("counts attempts, target errors and dead-lettered or dropped runs under Scheduler's metric names", async () => {
    const { scheduler, clock } = setup("2026-03-01T00:00:00Z", 3);
    const at = {
      ScheduleExpression: "at(2026-03-01T01:00:00)",
      FlexibleTimeWindow: { Mode: "OFF" as const },
    };
    scheduler.createSchedule({
      ...at,
      Name: "to-dlq",
      Target: {
        Arn: SFN,
        RoleArn: ROLE,
        RetryPolicy: { MaximumRetryAttempts: 1 },
        DeadLetterConfig: { Arn: "arn:aws:sqs:us-east-1:0:dlq" },
      },
    });
    scheduler.createSchedule({
      ...at,
      Name: "dropped",
      Target: { Arn: SFN, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 0 } },
    });
    await advance(clock, scheduler, HOUR);
    await advance(clock, scheduler, 1000);
    expect(scheduler.metrics()).toEqual({
      InvocationAttemptCount: 3,
      TargetErrorCount: 3,
      InvocationsSentToDeadLetterCount: 1,
      InvocationDroppedCount: 1,
    });
    expect(scheduler.metrics({ GroupName: "other" }).InvocationAttemptCount).toBe(0);
  });

  it("retries a failing target, then dead-letters it when MaximumRetryAttempts is spent", async () => {
    const { scheduler, clock } = setup("2026-03-01T00:00:00Z", 5);
    scheduler.createSchedule({
      Name: "failing",
      ScheduleExpression: "at(2026-03-01T01:00:00)",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: SFN,
        RoleArn: ROLE,
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: "arn:aws:sqs:us-east-1:0:dlq" },
      },
    });
    await advance(clock, scheduler, HOUR);
    await advance(clock, scheduler, 1000);
    await advance(clock, scheduler, 2000);
    expect(scheduler.invocations().map((i) => i.attempt)).toEqual([1, 2, 3]);
    expect(scheduler.deadLetters()).toEqual([
      expect.objectContaining({
        scheduleName: "failing",
        attempts: 3,
        deadLetterArn: "arn:aws:sqs:us-east-1:0:dlq",
      }),
    ]);
  });

  it("answers with the API's error names", () => {
    const { scheduler } = setup("2026-03-01T00:00:00Z");
    const base = {
      Name: "x",
      ScheduleExpression: "rate(1 hour)",
      FlexibleTimeWindow: { Mode: "OFF" as const },
      Target: { Arn: SFN, RoleArn: ROLE },
    };
    scheduler.createSchedule(base);
    expect(() => scheduler.createSchedule(base)).toThrow(
      expect.objectContaining({ name: "ConflictException" }),
    );
    expect(() => scheduler.getSchedule({ Name: "nope" })).toThrow(
      expect.objectContaining({ name: "ResourceNotFoundException" }),
    );
    expect(() =>
      scheduler.createSchedule({ ...base, Name: "y", ScheduleExpression: "rate(1 hours)" }),
    ).toThrow(expect.objectContaining({ name: "ValidationException" }));
    expect(() =>
      scheduler.createSchedule({ ...base, Name: "z", ScheduleExpressionTimezone: "Mars/Olympus" }),
    ).toThrow("Invalid ScheduleExpressionTimezone");
    expect(() =>
      scheduler.createSchedule({ ...base, Name: "w", FlexibleTimeWindow: { Mode: "FLEXIBLE" } }),
    ).toThrow("MaximumWindowInMinutes");
  });

  it("installs the workflow schedules of events/schedules.ts", () => {
    const { scheduler } = setup("2026-03-02T00:00:00Z");
    installWorkflowSchedules(
      scheduler,
      workflowSchedules,
      (workflow) => `arn:aws:states:us-east-1:000000000000:stateMachine:${workflow}`,
      (schedule) => `arn:aws:iam::000000000000:role/cplane-local-schedule-${schedule.name}`,
    );
    expect(scheduler.getSchedule({ Name: "monthly-dr-drill" }).Target).toMatchObject({
      Arn: "arn:aws:states:us-east-1:000000000000:stateMachine:regional-failover",
      RoleArn: "arn:aws:iam::000000000000:role/cplane-local-schedule-monthly-dr-drill",
      // As stacks/ deploys every schedule target.
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
    });
    expect(scheduler.upcoming({ Name: "monthly-dr-drill" }, 2)).toEqual([
      "2026-04-05T03:00:00.000Z",
      "2026-05-03T03:00:00.000Z",
    ]);
    expect(scheduler.upcoming({ Name: "nightly-backup-verification" }, 1)).toEqual([
      "2026-03-02T03:00:00.000Z",
    ]);
  });
});

describe("runNow", () => {
  it("invokes the target at once with the context attributes filled in, and leaves the plan as it was", async () => {
    const { scheduler, clock, calls } = setup("2026-06-01T12:00:00Z");
    scheduler.createSchedule({
      Name: "nightly",
      ScheduleExpression: "cron(0 3 * * ? *)",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: SFN,
        RoleArn: ROLE,
        Input: '{"at":"<aws.scheduler.scheduled-time>","run":"<aws.scheduler.execution-id>"}',
      },
    });
    const planned = scheduler.upcoming({ Name: "nightly" }, 1);

    const { executionId } = scheduler.runNow({ Name: "nightly" });
    await scheduler.drain();

    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]?.input ?? "{}")).toEqual({
      at: new Date(clock.now()).toISOString().replace(".000Z", "Z"),
      run: executionId,
    });
    expect(scheduler.upcoming({ Name: "nightly" }, 1)).toEqual(planned);
  });
});
