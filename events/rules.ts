/**
 * The rules that start workflows: the same list stacks/ deploys (EventBridge rules with a Step
 * Functions target) and the local runtime loads into its bus. Patterns and input transformers use
 * the API's own shapes, so both sides take them as they are.
 */
import { CloudWatchAlarmStateChange } from "./aws.ts";
import { GitPush } from "./operations.ts";
import { CPLANE_BUS, DEFAULT_BUS } from "./sources.ts";
import { TenantOffboardingRequested, TenantRequested } from "./tenants.ts";
import type { WorkflowName } from "./workflows.ts";

/** A target's InputTransformer, as the EventBridge API (PutTargets) takes it. */
export interface InputTransformer {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

/** A target's RetryPolicy, as the EventBridge API (PutTargets) takes it. */
export interface RetryPolicy {
  readonly MaximumRetryAttempts?: number;
  readonly MaximumEventAgeInSeconds?: number;
}

export interface WorkflowRule {
  /** Rule name (1-64 of [.\-_A-Za-z0-9]); stacks/ prefixes it with app and stage. */
  readonly name: string;
  readonly description: string;
  /** `cplane` (our bus) or `default` (where AWS services publish). */
  readonly eventBus: typeof CPLANE_BUS | typeof DEFAULT_BUS;
  readonly eventPattern: Readonly<Record<string, unknown>>;
  /** The workflow (state machine) it starts, by name; what it receives must pass that workflow's input contract. */
  readonly workflow: WorkflowName;
  /** What the execution receives; without either, the whole event. */
  readonly inputPath?: string;
  readonly inputTransformer?: InputTransformer;
  readonly retryPolicy?: RetryPolicy;
}

/** Name prefix of the region-health alarms stacks/ creates (one per region). */
export const REGION_HEALTH_ALARM_PREFIX = "cplane-region-health-";

const retryPolicy: RetryPolicy = { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 };

export const workflowRules: readonly WorkflowRule[] = [
  {
    name: "tenant-requested-onboarding",
    description: "Tenant Requested starts tenant onboarding with the request as input.",
    eventBus: CPLANE_BUS,
    eventPattern: { source: [TenantRequested.source], "detail-type": [TenantRequested.detailType] },
    workflow: "tenant-onboarding",
    inputPath: "$.detail",
    retryPolicy,
  },
  {
    name: "tenant-offboarding-requested",
    description: "Tenant Offboarding Requested starts tenant offboarding.",
    eventBus: CPLANE_BUS,
    eventPattern: {
      source: [TenantOffboardingRequested.source],
      "detail-type": [TenantOffboardingRequested.detailType],
    },
    workflow: "tenant-offboarding",
    inputPath: "$.detail",
    retryPolicy,
  },
  {
    name: "git-push-main-canary",
    description: "A push to main (not a branch deletion) starts a canary promotion of that commit.",
    eventBus: CPLANE_BUS,
    eventPattern: {
      source: [GitPush.source],
      "detail-type": [GitPush.detailType],
      detail: { branch: ["main"], deleted: [false] },
    },
    workflow: "canary-promotion",
    inputTransformer: {
      InputPathsMap: {
        repository: "$.detail.repository.fullName",
        commit: "$.detail.after",
        branch: "$.detail.branch",
        pusher: "$.detail.pusher.name",
        deliveryId: "$.detail.deliveryId",
      },
      InputTemplate:
        '{"trigger": "git-push", "repository": "<repository>", "commit": "<commit>", "branch": "<branch>", "pusher": "<pusher>", "deliveryId": "<deliveryId>"}',
    },
    retryPolicy,
  },
  {
    name: "region-health-alarm-failover",
    description: "A region-health alarm entering ALARM starts a regional failover away from that region.",
    eventBus: DEFAULT_BUS,
    eventPattern: {
      source: [CloudWatchAlarmStateChange.source],
      "detail-type": [CloudWatchAlarmStateChange.detailType],
      detail: { alarmName: [{ prefix: REGION_HEALTH_ALARM_PREFIX }], state: { value: ["ALARM"] } },
    },
    workflow: "regional-failover",
    inputTransformer: {
      // The alarm's state goes in as an object, outside quotes: EventBridge then writes it as JSON.
      // Free text (the state's reason) inside quotes is not escaped, and a `"` in it made the input
      // invalid JSON, which EventBridge does not deliver: the failover never started.
      InputPathsMap: {
        alarmName: "$.detail.alarmName",
        state: "$.detail.state",
        region: "$.region",
        time: "$.time",
      },
      InputTemplate:
        '{"trigger": "alarm", "mode": "failover", "alarmName": "<alarmName>", "alarmRegion": "<region>", "state": <state>, "alarmTime": "<time>"}',
    },
    retryPolicy,
  },
  {
    name: "execution-stopped-clean-up",
    description:
      "A tenant or canary execution stopped or timed out from outside: its failure path never ran, so the clean-up workflow does that work.",
    eventBus: DEFAULT_BUS,
    eventPattern: {
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: {
        status: ["ABORTED", "TIMED_OUT"],
        // Suffixes, not wildcards: three wildcards pass EventBridge's limit on a rule's complexity.
        stateMachineArn: [
          { suffix: "tenant-onboarding" },
          { suffix: "tenant-offboarding" },
          { suffix: "canary-promotion" },
        ],
      },
    },
    workflow: "operation-cleanup",
    inputPath: "$.detail",
    retryPolicy,
  },
];
