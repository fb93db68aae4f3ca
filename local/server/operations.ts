/**
 * The operations the local server serves, per service. The service modules implement exactly these
 * (their operation maps are typed by them) and scripts/aws-models.ts cuts their input shapes from
 * AWS's models, so that every served operation is validated by the same mechanism.
 */
export const SFN_OPERATIONS = [
  "ListStateMachines",
  "DescribeStateMachine",
  "StartExecution",
  "DescribeExecution",
  "ListExecutions",
  "GetExecutionHistory",
  "StopExecution",
  "RedriveExecution",
  "SendTaskSuccess",
  "SendTaskFailure",
  "SendTaskHeartbeat",
] as const;

export const EVENTS_OPERATIONS = [
  "PutEvents",
  "PutRule",
  "DeleteRule",
  "DescribeRule",
  "EnableRule",
  "DisableRule",
  "ListRules",
  "PutTargets",
  "RemoveTargets",
  "ListTargetsByRule",
  "TestEventPattern",
  "ListEventBuses",
] as const;

export type SfnOperation = (typeof SFN_OPERATIONS)[number];
export type EventsOperation = (typeof EVENTS_OPERATIONS)[number];
