/** Loads the workflow schedules of events/schedules.ts into a local scheduler, as stacks/ deploys them. */
import type { WorkflowSchedule } from "../../events/schedules.ts";
import type { LocalScheduler } from "./scheduler.ts";

export function installWorkflowSchedules(
  scheduler: LocalScheduler,
  schedules: readonly WorkflowSchedule[],
  stateMachineArn: (workflow: string) => string,
  /** The role each schedule starts its workflow as (none: unauthorized). */
  roleArn?: (schedule: WorkflowSchedule) => string,
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
          ...(roleArn ? { RoleArn: roleArn(schedule) } : {}),
        },
      }).ScheduleArn,
  );
}
