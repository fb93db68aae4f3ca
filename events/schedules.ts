/**
 * The schedules that start workflows: the same list stacks/ deploys as EventBridge Scheduler
 * schedules and the local scheduler runs on the virtual clock.
 */
import type { WorkflowName } from "./workflows.ts";

export interface WorkflowSchedule {
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
  /** The workflow (state machine) it starts, by name; its input must pass that workflow's input contract. */
  readonly workflow: WorkflowName;
  /** The execution input (Target.Input); `<aws.scheduler.scheduled-time>` and the other context attributes are filled in. */
  readonly input: Readonly<Record<string, unknown>>;
}

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
    name: "monthly-dr-drill",
    description: "First Sunday of every month at 04:00 Europe/London: a DR drill of the failover path.",
    scheduleExpression: "cron(0 4 ? * SUN#1 *)",
    timezone: "Europe/London",
    state: "ENABLED",
    workflow: "regional-failover",
    input: { trigger: "schedule", mode: "drill", scheduledTime: "<aws.scheduler.scheduled-time>" },
  },
];
