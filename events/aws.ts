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

export const awsEvents = [CloudWatchAlarmStateChange] as const;
