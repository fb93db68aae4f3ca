/**
 * Rules whose target is a function rather than a workflow: reactions to AWS's own events that are one
 * small step each. The same list stacks/ deploys (an EventBridge rule with a Lambda target, and the
 * permission for EventBridge to invoke it) and the local runtime loads into its bus.
 */
import type { CatalogFunctionId } from "../functions/catalog.ts";
import { CloudWatchAlarmStateChange } from "./aws.ts";
import { DEFAULT_BUS } from "./sources.ts";

export interface FunctionRule {
  readonly name: string;
  readonly description: string;
  readonly eventBus: typeof DEFAULT_BUS;
  readonly eventPattern: Readonly<Record<string, unknown>>;
  /** A function of the catalog: a misspelled id fails the typecheck. */
  readonly function: CatalogFunctionId;
  readonly retryPolicy?: { readonly MaximumRetryAttempts: number; readonly MaximumEventAgeInSeconds: number };
}

/** RDS's state-change events for what the workflows wait on (Amazon EventBridge events reference, RDS). */
export const RDS_STATE_CHANGE_DETAIL_TYPES = [
  "RDS DB Cluster Event",
  "RDS DB Instance Event",
  "RDS DB Cluster Snapshot Event",
] as const;

/** Name prefix of the alarms on a canary's metrics (the demo fleet's `cplane-canary-errors`, `-latency`). */
export const CANARY_ALARM_PREFIX = "cplane-canary-";

export const functionRules: readonly FunctionRule[] = [
  {
    name: "rds-state-change-resume-waiters",
    description: "RDS cluster, instance and snapshot events resume the executions waiting for that resource.",
    eventBus: DEFAULT_BUS,
    eventPattern: { source: ["aws.rds"], "detail-type": [...RDS_STATE_CHANGE_DETAIL_TYPES] },
    function: "ops/resume-waiters",
    // A lost delivery costs only time: the waiting execution's backstop poll finds the change.
    retryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 600 },
  },
  {
    name: "canary-alarm-abort",
    description:
      "A canary alarm entering ALARM aborts the running canary of the service its metrics name, at once.",
    eventBus: DEFAULT_BUS,
    eventPattern: {
      source: [CloudWatchAlarmStateChange.source],
      "detail-type": [CloudWatchAlarmStateChange.detailType],
      detail: { alarmName: [{ prefix: CANARY_ALARM_PREFIX }], state: { value: ["ALARM"] } },
    },
    function: "canary/signal",
    // Lost, the abort still comes: the next analysis sees what the alarm saw.
    retryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 600 },
  },
];
