/** The local EventBridge Scheduler's public surface. */
export {
  atInstant,
  InvalidScheduleExpressionError,
  nextCronTime,
  parseScheduleExpression,
  type ScheduleExpression,
} from "./expression.ts";
export { installWorkflowSchedules } from "./install-schedules.ts";
export {
  type CreateScheduleRequest,
  createLocalScheduler,
  type Invocation,
  type LocalScheduler,
  type LocalSchedulerOptions,
  type ScheduleDescription,
  SchedulerApiError,
  type SchedulerDeadLetter,
} from "./scheduler.ts";
