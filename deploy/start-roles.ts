/**
 * The roles that start executions: each EventBridge rule target and each EventBridge Scheduler schedule
 * has its own, trusted by its service only and allowed `states:StartExecution` on exactly the state
 * machine it targets ("Amazon EventBridge: permissions for targets", "Set up the execution role",
 * EventBridge Scheduler User Guide). stacks/ deploys them; the local bus and scheduler start each
 * execution as the target's role, so that a target whose role does not allow it fails as on AWS.
 */
import type { DerivedStatement } from "./state-machine-iam.ts";

export type Starter = "events" | "scheduler";

/** Who may assume a starter's role: its service only. */
export function starterTrustPolicy(starter: Starter) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: `${starter}.amazonaws.com` }, Action: "sts:AssumeRole" },
    ],
  } as const;
}

/** The one statement of a start role: StartExecution on its target, nothing else. */
export function startExecutionStatements(stateMachineArn: string): DerivedStatement[] {
  return [{ sid: "StartWorkflow", actions: ["states:StartExecution"], resources: [stateMachineArn] }];
}

/**
 * How long a schedule's run is retried before it is dead-lettered: stacks/ deploys it on every schedule
 * target, and the local scheduler installs the same.
 */
export const SCHEDULE_RETRY_POLICY = { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 } as const;
