/**
 * The schedules that start workflows: the same list stacks/ deploys as EventBridge Scheduler
 * schedules and the local scheduler runs on the virtual clock.
 */
import type { z } from "zod";
import type { WorkflowInputs, WorkflowName } from "./workflows.ts";

interface ScheduleFields {
  /** Schedule name (1-64 of [0-9a-zA-Z-_.]). */
  readonly name: string;
  readonly description: string;
  /** `cron(...)`, `rate(...)` or `at(...)` as EventBridge Scheduler reads them. */
  readonly scheduleExpression: string;
  /** IANA time zone the expression is read in (ScheduleExpressionTimezone). */
  readonly timezone: string;
  /** FlexibleTimeWindow: OFF, or a window of up to `maximumWindowInMinutes`. */
  readonly flexibleTimeWindowMinutes?: number;
  readonly state: "ENABLED" | "DISABLED";
}

/**
 * A schedule of one workflow: its input is typed by that workflow's input contract (a missing or
 * misspelled field fails the typecheck); test/events/workflow-inputs.test.ts also checks the input as
 * the scheduler fills it in.
 */
export type WorkflowSchedule = {
  readonly [Name in WorkflowName]: ScheduleFields & {
    /** The workflow (state machine) it starts, by name. */
    readonly workflow: Name;
    /** The execution input (Target.Input); `<aws.scheduler.scheduled-time>` and the other context attributes are filled in. */
    readonly input: z.input<WorkflowInputs[Name]>;
  };
}[WorkflowName];

export const workflowSchedules: readonly WorkflowSchedule[] = [
  {
    name: "nightly-backup-verification",
    description: "Every night at 03:00 UTC: verify every tenant cluster's latest snapshot by restoring it.",
    scheduleExpression: "cron(0 3 * * ? *)",
    timezone: "UTC",
    flexibleTimeWindowMinutes: 15,
    state: "ENABLED",
    workflow: "backup-verification",
    input: { trigger: "schedule", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
  {
    name: "weekly-backup-snapshots",
    description:
      "Every Saturday at 02:00 UTC: each tenant's weekly manual snapshot (kept 30 days); expired ones pruned.",
    scheduleExpression: "cron(0 2 ? * SAT *)",
    timezone: "UTC",
    flexibleTimeWindowMinutes: 30,
    state: "ENABLED",
    workflow: "backup-snapshots",
    input: { trigger: "schedule", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
  {
    name: "backup-scratch-sweeper",
    description:
      "Every hour: removes scratch clusters older than 6 hours that a crashed backup verification left.",
    scheduleExpression: "rate(1 hour)",
    timezone: "UTC",
    state: "ENABLED",
    workflow: "backup-sweeper",
    input: { trigger: "schedule", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
  {
    name: "monthly-dr-drill",
    description: "First Sunday of every month at 04:00 Europe/London: a DR drill of the failover path.",
    scheduleExpression: "cron(0 4 ? * SUN#1 *)",
    timezone: "Europe/London",
    state: "ENABLED",
    workflow: "regional-failover",
    input: { trigger: "schedule", mode: "drill", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
  {
    name: "nightly-dr-drill",
    description:
      "Every night at 02:00 Europe/London, when enabled: a DR drill (switchover, verify, fail back). Off by default: the monthly one is the promise.",
    scheduleExpression: "cron(0 2 * * ? *)",
    timezone: "Europe/London",
    state: "DISABLED",
    workflow: "regional-failover",
    input: { trigger: "schedule", mode: "drill", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
  {
    name: "dr-readiness",
    description:
      "Every 30 minutes: is every secondary and copy there and fresh enough for its tier's RPO, and can the secondary EKS take the load.",
    scheduleExpression: "rate(30 minutes)",
    timezone: "UTC",
    state: "ENABLED",
    workflow: "dr-readiness",
    input: { trigger: "schedule", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
  {
    name: "dr-snapshot-copies",
    description:
      "Every 5 minutes: the cross-region copy pipeline of standard and basic tenants (a DR snapshot at the tier's cadence, its copy, pruning).",
    scheduleExpression: "rate(5 minutes)",
    timezone: "UTC",
    state: "ENABLED",
    workflow: "dr-snapshot-copies",
    input: { trigger: "schedule", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
];
