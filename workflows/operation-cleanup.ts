/**
 * The clean-up after an execution stopped or timed out from outside. Step Functions runs no Catch then,
 * so the failure path of the workflow never ran: a rule on AWS's `Step Functions Execution Status
 * Change` (ABORTED, TIMED_OUT) starts this instead. It does what the failure path would have done for
 * that workflow: a stopped onboarding is compensated and its tenant marked failed with the reason and
 * `Tenant Onboarding Failed` published; a stopped offboarding is recorded (deletions are not undone and
 * offboarding can be run again); a stopped canary is rolled back, reported and `Canary Rolled Back`
 * published (workflows/canary-cleanup.ts); every stopped execution's leases are released.
 * Executions the local runtime cut off when it stopped (`cplane.RuntimeStopped`) are redriven by it,
 * not cleaned up.
 */
import { type WorkflowInput, workflowInputs } from "../events/workflows.ts";
import type { StateMachineDefinition } from "./asl.ts";
import { stoppedCanaryCleanup } from "./canary-cleanup.ts";
import { COMPENSATION_RETRY, step } from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

const STOPPED = "$stopped.executionArn";

/** Whether the stopped execution ran `workflow` (`<app>-<stage>-<workflow>` on AWS, `<workflow>` locally). */
const ran = (workflow: string) =>
  `{% $stopped.stateMachineName = '${workflow}' or $contains($stopped.stateMachineName, /-${workflow}$/) %}`;

const canary = stoppedCanaryCleanup({
  stopped: "$stopped",
  next: "ReleaseLocks",
  onFailure: "CleanUpFailed",
});

export const cleanupDefinition: StateMachineDefinition = {
  Comment: "Clean-up after an execution stopped or timed out from outside: compensate, record, release",
  QueryLanguage: "JSONata",
  TimeoutSeconds: 60 * 60,
  StartAt: "DescribeStoppedExecution",
  States: {
    DescribeStoppedExecution: step(
      "ops/describe-stopped-execution",
      "{% $states.input %}",
      "WasCutOffByRuntime",
      "CleanUpFailed",
      {
        Assign: {
          stopped: "{% $states.result.Payload %}",
          tenant: null,
          compensation: null,
          ...canary.variables,
        },
      },
    ),
    WasCutOffByRuntime: {
      Type: "Choice",
      Choices: [
        { Condition: "{% $stopped.failure.error = 'cplane.RuntimeStopped' %}", Next: "RedrivenByRuntime" },
      ],
      Default: "WhichWorkflow",
    },
    RedrivenByRuntime: { Type: "Succeed", Comment: "The local runtime redrives what it cut off." },
    WhichWorkflow: {
      Type: "Choice",
      Choices: [
        { Condition: ran("tenant-onboarding"), Next: "FindOnboardingTenant" },
        { Condition: ran("tenant-offboarding"), Next: "FindOffboardingTenant" },
        { Condition: ran("canary-promotion"), Next: canary.entry },
      ],
      Default: "ReleaseLocks",
    },
    FindOnboardingTenant: step(
      "tenant/find-stopped-operation",
      `{% {"executionArn": ${STOPPED}, "input": $stopped.input} %}`,
      "OwnsOnboardingTenant",
      "CleanUpFailed",
      { Assign: { tenant: "{% $states.result.Payload %}" } },
    ),
    OwnsOnboardingTenant: {
      Type: "Choice",
      Choices: [
        { Condition: "{% $tenant.owned = true and $tenant.status = 'onboarding' %}", Next: "Compensate" },
      ],
      Default: "ReleaseLocks",
    },
    Compensate: step(
      "tenant/compensate",
      `{% {"tenantId": $tenant.tenantId, "slug": $tenant.slug, "executionArn": ${STOPPED}} %}`,
      "RecordOnboardingFailure",
      "CleanUpFailed",
      { Assign: { compensation: "{% $states.result.Payload %}" }, Retry: [COMPENSATION_RETRY] },
    ),
    RecordOnboardingFailure: step(
      "tenant/record-failure",
      `{% {"workflow": "onboarding", "executionArn": ${STOPPED}, "slug": $tenant.slug, "name": $tenant.name, "failure": $stopped.failure, "compensation": $compensation} %}`,
      "ReleaseLocks",
      "CleanUpFailed",
    ),
    FindOffboardingTenant: step(
      "tenant/find-stopped-operation",
      `{% {"executionArn": ${STOPPED}, "input": $stopped.input} %}`,
      "OwnsOffboardingTenant",
      "CleanUpFailed",
      { Assign: { tenant: "{% $states.result.Payload %}" } },
    ),
    OwnsOffboardingTenant: {
      Type: "Choice",
      Choices: [{ Condition: "{% $tenant.owned = true %}", Next: "RecordOffboardingFailure" }],
      Default: "ReleaseLocks",
    },
    RecordOffboardingFailure: step(
      "tenant/record-failure",
      `{% {"workflow": "offboarding", "executionArn": ${STOPPED}, "slug": $tenant.slug, "failure": $stopped.failure} %}`,
      "ReleaseLocks",
      "CleanUpFailed",
    ),
    ...canary.states,
    ReleaseLocks: step(
      "ops/release-locks",
      `{% {"executionArn": ${STOPPED}} %}`,
      "CleanedUp",
      "CleanUpFailed",
      {
        Assign: { released: "{% $states.result.Payload.released %}" },
      },
    ),
    CleanedUp: {
      Type: "Succeed",
      Output:
        '{% {"executionArn": $stopped.executionArn, "status": $stopped.status, "tenant": $tenant.slug, "compensated": $compensation.removed, "canary": $canary.owned ? {"service": $canary.service, "rolledBack": $not($canary.promoted), "removed": $canaryRollback.removed} : null, "released": $released} %}',
    },
    CleanUpFailed: {
      Type: "Fail",
      Error: "{% $failure.error %}",
      Cause: "{% 'clean-up of a stopped execution failed at ' & $failure.step & ': ' & $failure.cause %}",
    },
  },
};

/** The detail of `Step Functions Execution Status Change` (what the rule passes with `$.detail`), ABORTED or TIMED_OUT. */
export const CleanupInput = workflowInputs["operation-cleanup"];
export type CleanupInput = WorkflowInput<"operation-cleanup">;

export const operationCleanup: WorkflowSpec<"operation-cleanup"> = {
  name: "operation-cleanup",
  description:
    "After an execution is stopped or times out: compensates (a canary: rolls back) and records what its failure path would have, and releases its locks.",
  definition: cleanupDefinition,
  input: CleanupInput,
};
