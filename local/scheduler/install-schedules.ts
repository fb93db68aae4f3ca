/** Loads the workflow schedules of events/schedules.ts into a local scheduler, as stacks/ deploys them (role, retry policy). */
import { SCHEDULE_RETRY_POLICY } from "../../deploy/start-roles.ts";
import type { WorkflowSchedule } from "../../events/schedules.ts";
import type { LocalScheduler } from "./scheduler.ts";

export function installWorkflowSchedules(
  scheduler: LocalScheduler,
  schedules: readonly WorkflowSchedule[],
  stateMachineArn: (workflow: string) => string,
  /** The role each schedule starts its workflow as (Scheduler requires one). */
  roleArn: (schedule: WorkflowSchedule) => string,
): string[] {
  return schedules.map(
    (schedule) =>
      scheduler.createSchedule({
        Name: schedule.name,
        Description: schedule.description,
        ScheduleExpression: schedule.scheduleExpression,
        ScheduleExpressionTimezone: schedule.timezone,
        State: schedule.state,
        FlexibleTimeWindow: schedule.flexibleTimeWindowMinutes
          ? { Mode: "FLEXIBLE", MaximumWindowInMinutes: schedule.flexibleTimeWindowMinutes }
          : { Mode: "OFF" },
        Target: {
          Arn: stateMachineArn(schedule.workflow),
          Input: JSON.stringify(schedule.input),
          RoleArn: roleArn(schedule),
          RetryPolicy: { ...SCHEDULE_RETRY_POLICY },
        },
      }).ScheduleArn,
  );
}
