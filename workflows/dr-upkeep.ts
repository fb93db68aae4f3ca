/**
 * The two small DR upkeep workflows the schedules start: the cross-region copy pipeline every 5
 * minutes (`dr-snapshot-copies`) and the readiness assessment every 30 (`dr-readiness`, which publishes
 * `DR Readiness Changed`). One step each; a failed step fails the run, and the next run tries again.
 */
import { workflowInputs } from "../events/workflows.ts";
import type { CatalogFunctionId } from "../functions/catalog.ts";
import type { StateMachineDefinition } from "./asl.ts";
import { EXECUTION_ARN, step } from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

function oneStep(comment: string, id: CatalogFunctionId, timeoutSeconds: number): StateMachineDefinition {
  return {
    Comment: comment,
    QueryLanguage: "JSONata",
    TimeoutSeconds: timeoutSeconds,
    StartAt: "Run",
    States: {
      Run: step(id, `{% {"executionArn": ${EXECUTION_ARN}} %}`, "Done", "Failed"),
      Done: { Type: "Succeed" },
      Failed: { Type: "Fail", Error: "{% $failure.error %}", Cause: "{% $failure.cause %}" },
    },
  };
}

/**
 * Remove what offboardings could not reach, re-establish what a failover left behind, bring tenants whose tier changed into line, mirror the
 * Deployments to the standby region (none in the way of the assessment: a failure is what the
 * assessment then reports), then assess, reporting what was reconciled.
 */
const readinessDefinition: StateMachineDefinition = {
  Comment:
    "DR readiness, every 30 minutes: re-establish after a failover, reconcile tiers, mirror Deployments, then assess",
  QueryLanguage: "JSONata",
  TimeoutSeconds: 15 * 60,
  StartAt: "Initialize",
  States: {
    Initialize: { Type: "Pass", Assign: { reconciled: null }, Next: "SweepOffboarded" },
    SweepOffboarded: {
      ...step(
        "failover/sweep-offboarded",
        `{% {"executionArn": ${EXECUTION_ARN}} %}`,
        "Reestablish",
        "Reestablish",
      ),
      Comment:
        "What offboardings left in a region that did not answer goes once it answers; an offboarded tenant gets nothing back.",
    },
    Reestablish: {
      ...step("failover/reestablish", `{% {"executionArn": ${EXECUTION_ARN}} %}`, "Reconcile", "Reconcile"),
      Comment: "A failure here is reported by the next run's readiness, not by skipping this one.",
    },
    Reconcile: {
      ...step(
        "failover/reconcile-dr",
        `{% {"executionArn": ${EXECUTION_ARN}} %}`,
        "SyncWorkloads",
        "SyncWorkloads",
        {
          Assign: { reconciled: "{% $states.result.Payload %}" },
        },
      ),
      Comment:
        "A tenant whose tier changed joins or leaves a global database; what changed is reported by the assessment.",
    },
    SyncWorkloads: {
      ...step("failover/sync-workloads", `{% {"executionArn": ${EXECUTION_ARN}} %}`, "Assess", "Assess"),
      Comment: "The standby region's Deployments and the replicas a failover scales them to.",
    },
    Assess: step(
      "failover/check-readiness",
      `{% {"executionArn": ${EXECUTION_ARN}, "reconciled": $reconciled ? $append($append([], $reconciled.reconciled), $reconciled.failed) : []} %}`,
      "Done",
      "Failed",
    ),
    Done: { Type: "Succeed" },
    Failed: { Type: "Fail", Error: "{% $failure.error %}", Cause: "{% $failure.cause %}" },
  },
};

export const drReadiness: WorkflowSpec<"dr-readiness"> = {
  name: "dr-readiness",
  description:
    "Removes what offboardings left in a region that was down, re-establishes DR after a failover (stale clusters snapshotted and removed), brings tenants whose tier changed into line, mirrors Deployments to the standby region, assesses readiness (secondaries' lag, copies' age, the secondary EKS), stores it for `cplane dr status`, publishes DR Readiness Changed.",
  definition: readinessDefinition,
  input: workflowInputs["dr-readiness"],
};

export const drSnapshotCopies: WorkflowSpec<"dr-snapshot-copies"> = {
  name: "dr-snapshot-copies",
  description:
    "One round of the cross-region snapshot copy pipeline of standard and basic tenants, at their RPO cadence.",
  definition: oneStep("DR snapshot copies, every 5 minutes", "failover/copy-snapshots", 15 * 60),
  input: workflowInputs["dr-snapshot-copies"],
};
