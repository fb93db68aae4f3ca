/**
 * What `operation-cleanup` does for a canary execution stopped or timed out from outside (no Catch ran,
 * so its own rollback never did): the same rollback as the workflow's (`canary/rollback`: every request
 * to stable at once, stable's image put back if a promotion had begun, the canary Deployment removed
 * only if this execution made it), the run report recorded for the stopped execution with the reason,
 * and `Canary Rolled Back` published by the same step that announces a canary's end (`canary/finish`,
 * which also unregisters it). A promotion that had already finished on the cluster is announced as
 * promoted, not undone. The clean-up's lock release follows, as for every workflow.
 */
import type { JsonValue, State } from "./asl.ts";
import { FLEET_RETRY, triggerOf, WORKFLOW } from "./canary-promotion.ts";
import { COMPENSATION_RETRY, EXECUTION_ARN, recordReport, step } from "./kit/index.ts";

export interface StoppedCanarySpec {
  /** The variable holding `ops/describe-stopped-execution`'s result. */
  readonly stopped: string;
  readonly next: string;
  readonly onFailure: string;
}

export interface StoppedCanaryBlock {
  readonly entry: string;
  readonly variables: Readonly<Record<string, JsonValue>>;
  readonly states: Readonly<Record<string, State>>;
}

export function stoppedCanaryCleanup({ stopped, next, onFailure }: StoppedCanarySpec): StoppedCanaryBlock {
  const arn = `${stopped}.executionArn`;
  const reason = `("stopped from outside (" & ${stopped}.status & "): " & ${stopped}.failure.cause)`;
  const startedAt = `($states.context.Execution.Input.startDate ? $fromMillis($states.context.Execution.Input.startDate) : $states.context.Execution.StartTime)`;
  return {
    entry: "FindStoppedCanary",
    variables: { canary: null, canaryRollback: null, report: null },
    states: {
      FindStoppedCanary: step(
        "canary/find-stopped-canary",
        `{% {"executionArn": ${arn}, "input": ${stopped}.input, "cleanupArn": ${EXECUTION_ARN}} %}`,
        "OwnsStoppedCanary",
        onFailure,
        { Assign: { canary: "{% $states.result.Payload %}" } },
      ),
      OwnsStoppedCanary: {
        Type: "Choice",
        Choices: [
          {
            Condition: "{% $canary.owned = true and $canary.promoted = true %}",
            Next: "ReportStoppedCanary",
          },
          { Condition: "{% $canary.owned = true %}", Next: "RollBackStoppedCanary" },
        ],
        Default: next,
      },
      RollBackStoppedCanary: step(
        "canary/rollback",
        `{% {"plan": $canary.plan, "executionArn": ${arn}} %}`,
        "ReportStoppedCanary",
        onFailure,
        {
          Retry: [FLEET_RETRY, COMPENSATION_RETRY],
          Assign: { canaryRollback: "{% $states.result.Payload %}" },
        },
      ),
      ReportStoppedCanary: recordReport({
        executionArn: arn,
        workflow: WORKFLOW,
        trigger: triggerOf(`${stopped}.input`),
        outcome: `($canary.promoted ? "succeeded" : (${stopped}.status = "TIMED_OUT" ? "timed-out" : "aborted"))`,
        reason: `($canary.promoted ? "promoted " & $canary.plan.image & "; " : "rolled back: ") & ${reason}`,
        decisions: `[{"name": "stopped-from-outside", "outcome": ${stopped}.status, "reason": $substring(${reason}, 0, 1000), "subject": $canary.service}]`,
        figures: `($canaryRollback.removed ? [{"name": "canary Deployments removed", "value": 1, "unit": "count", "subject": $canary.service}] : [])`,
        next: "AnnounceStoppedCanary",
      }),
      AnnounceStoppedCanary: step(
        "canary/finish",
        `{% {"plan": $canary.plan, "outcome": $canary.promoted ? "promoted" : (${stopped}.status = "ABORTED" ? "aborted" : "rolled-back"), "stageIndex": $canary.stageIndex, "reason": ${reason}, "startedAt": ${startedAt}, "report": $report, "executionArn": ${arn}} %}`,
        next,
        onFailure,
      ),
    },
  };
}
