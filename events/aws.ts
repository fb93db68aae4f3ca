/**
 * Events AWS publishes that start our workflows: CloudWatch alarm state changes, for metric alarms
 * (`configuration.metrics`) and composite alarms (`configuration.alarmRule`). AWS adds fields over
 * time, so unknown keys are kept, not refused.
 */
import { z } from "zod";
import { defineEvent } from "./define.ts";
import { SOURCES } from "./sources.ts";

const AlarmStateValue = z.enum(["OK", "ALARM", "INSUFFICIENT_DATA"]);

const AlarmState = z.looseObject({
  value: AlarmStateValue,
  reason: z.string(),
  reasonData: z.string().optional(),
  timestamp: z.string().min(1),
  actionsSuppressedBy: z.enum(["Alarm", "ExtensionPeriod", "WaitPeriod"]).optional(),
  actionsSuppressedReason: z.string().optional(),
});

const MetricStat = z.looseObject({
  metric: z.looseObject({
    namespace: z.string().min(1),
    name: z.string().min(1),
    dimensions: z.record(z.string(), z.string()),
  }),
  period: z.number().int().positive(),
  stat: z.string().min(1),
  unit: z.string().optional(),
});

const MetricDataQuery = z.looseObject({
  id: z.string().min(1),
  metricStat: MetricStat.optional(),
  expression: z.string().optional(),
  label: z.string().optional(),
  returnData: z.boolean(),
});

const MetricAlarmConfiguration = z.looseObject({
  description: z.string().optional(),
  metrics: z.array(MetricDataQuery).min(1),
});

const CompositeAlarmConfiguration = z.looseObject({
  description: z.string().optional(),
  alarmRule: z.string().min(1),
  actionsSuppressor: z.string().optional(),
  actionsSuppressorWaitPeriod: z.number().optional(),
  actionsSuppressorExtensionPeriod: z.number().optional(),
});

export const CloudWatchAlarmStateChange = defineEvent({
  source: SOURCES.cloudwatch,
  detailType: "CloudWatch Alarm State Change",
  description:
    "A CloudWatch metric or composite alarm changed state; the region-health alarm going to ALARM starts regional-failover.",
  detail: z.looseObject({
    alarmName: z.string().min(1),
    operation: z.string().optional(),
    state: AlarmState,
    previousState: AlarmState,
    configuration: z.union([MetricAlarmConfiguration, CompositeAlarmConfiguration]),
  }),
});

/**
 * Step Functions announces every execution status change on the default bus; ABORTED and TIMED_OUT
 * start the clean-up (operation-cleanup), since no Catch runs then. Fields as the Step Functions
 * Developer Guide's "EventBridge events" page lists them.
 */
export const StepFunctionsExecutionStatusChange = defineEvent({
  source: SOURCES.states,
  detailType: "Step Functions Execution Status Change",
  description:
    "An execution changed status; ABORTED or TIMED_OUT of a tenant workflow or a canary starts operation-cleanup.",
  detail: z.looseObject({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]),
    startDate: z.number().nullable(),
    stopDate: z.number().nullable(),
    input: z.string().nullish(),
    output: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

/** What RDS puts in the detail of its events (Amazon EventBridge events reference, RDS). */
const RdsEventDetail = z.looseObject({
  EventCategories: z.array(z.string()),
  SourceType: z.string().min(1),
  SourceArn: z.string().min(1),
  Date: z.string().min(1),
  Message: z.string(),
  SourceIdentifier: z.string().min(1),
  EventID: z.string().min(1),
});

const rdsEvent = (detailType: string, what: string) =>
  defineEvent({
    source: SOURCES.rds,
    detailType,
    description: `RDS reports a change of a ${what} (created, deleted, backed up...); resumes the executions waiting for it.`,
    detail: RdsEventDetail,
  });

export const RdsDbClusterEvent = rdsEvent("RDS DB Cluster Event", "DB cluster");
export const RdsDbInstanceEvent = rdsEvent("RDS DB Instance Event", "DB instance");
export const RdsDbClusterSnapshotEvent = rdsEvent("RDS DB Cluster Snapshot Event", "DB cluster snapshot");

export const awsEvents = [
  CloudWatchAlarmStateChange,
  StepFunctionsExecutionStatusChange,
  RdsDbClusterEvent,
  RdsDbInstanceEvent,
  RdsDbClusterSnapshotEvent,
] as const;
