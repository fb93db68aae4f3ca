/**
 * Backup verification: list the tenants due (or chosen), then for each, with bounded concurrency and
 * never letting one tenant's failure stop the others: check its backup policy, restore its latest
 * snapshot (or a point in time) into a tagged, isolated scratch cluster, wait for it (woken by RDS's
 * events, with a deadline), verify the data with SQL, measure the restore time against the RTO, and
 * delete the scratch cluster on every path (retried); record the tenant's outcome (event, metrics).
 * Then the run report with every tenant's figures, `Backup Verification Completed`, and the output
 * `{outcome, tenants}`. Bad input fails at the first step, before anything is restored.
 */
import { type WorkflowInput, workflowInputs } from "../events/workflows.ts";
import { lambdaTask, type State, type StateMachineDefinition } from "./asl.ts";
import {
  COMPENSATION_RETRY,
  catchAll,
  EXECUTION_ARN,
  pollUntil,
  recordReport,
  step,
  TRANSIENT_RETRY,
} from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

/**
 * Tenants verified at once. Each holds one scratch cluster and one instance while it runs, against RDS's
 * default quotas of 40 clusters and 40 instances per region that the tenants' own clusters share, and
 * RDS's limit on concurrent restores; 10 leaves room for onboardings during the run.
 */
export const MAX_CONCURRENT_RESTORES = 10;
/** A restore (12 minutes locally, 10-30 on AWS) that has not finished by then is stuck. */
export const RESTORE_DEADLINE_SECONDS = 90 * 60;
/** RDS's events wake the wait; these timeouts are the backstop poll. */
export const FIRST_POLL_SECONDS = 15 * 60;
export const MAX_POLL_SECONDS = 20 * 60;
export const TIMEOUT_SECONDS = 12 * 60 * 60;

/** What the run report says started the run: the schedule, or a person. */
const TRIGGER = `($request.trigger = "schedule" ? {"type": "schedule", "source": "schedule nightly-backup-verification", "at": $request.scheduledTime} : {"type": "manual", "source": "StartExecution", "by": $request.requestedBy})`;

const restoreWait = pollUntil({
  name: "Restore",
  check: "backup/check-scratch",
  payload: `{% {"region": $target.region, "clusterIdentifier": $restore.clusterIdentifier, "requestedAt": $restore.requestedAt, "executionArn": ${EXECUTION_ARN}} %}`,
  result: "restoreStatus",
  readyWhen: "$restoreStatus.ready = true",
  failedWhen: "$restoreStatus.failed = true",
  next: "VerifyRestore",
  onFailure: "Cleanup",
  deadlineSeconds: RESTORE_DEADLINE_SECONDS,
  firstPollSeconds: FIRST_POLL_SECONDS,
  maxPollSeconds: MAX_POLL_SECONDS,
  wake: { resourceArn: "$restore.clusterArn", kind: "rds-cluster" },
  failed: {
    error: "RestoreFailedError",
    cause: "{% 'scratch cluster ' & $restore.clusterIdentifier & ' is ' & $restoreStatus.status %}",
  },
  timedOut: {
    error: "RestoreTimedOutError",
    cause: `{% 'scratch cluster ' & $restore.clusterIdentifier & ' not available after ${RESTORE_DEADLINE_SECONDS / 60} minutes (' & $restoreStatus.status & ')' %}`,
  },
});

const TENANT_STEP = `"target": $target, "executionArn": ${EXECUTION_ARN}`;

/** One tenant, start to end; every state after the restore leads to Cleanup, which leads to RecordTenant. */
const verifyTenant: { StartAt: string; States: Record<string, State> } = {
  StartAt: "InitTenant",
  States: {
    InitTenant: {
      Type: "Pass",
      Assign: {
        target: "{% $states.input.target %}",
        pointInTime: "{% $states.input.pointInTime %}",
        policy: null,
        restore: null,
        verification: null,
        failure: null,
        cleanupFailure: null,
        ...restoreWait.variables,
      },
      Next: "CheckPolicy",
    },
    CheckPolicy: step(
      "backup/check-policy",
      `{% {${TENANT_STEP}, "pointInTime": $pointInTime} %}`,
      "CanRestore",
      "RecordTenant",
      { Assign: { policy: "{% $states.result.Payload %}" } },
    ),
    CanRestore: {
      Type: "Choice",
      Comment: "Nothing to restore from (no available snapshot): the policy check says why.",
      Choices: [{ Condition: "{% $exists($policy.restoreFrom.kind) %}", Next: "RestoreScratch" }],
      Default: "RecordTenant",
    },
    RestoreScratch: step(
      "backup/restore-scratch",
      `{% {${TENANT_STEP}, "restoreFrom": $policy.restoreFrom} %}`,
      restoreWait.entry,
      "Cleanup",
      { Assign: { restore: "{% $states.result.Payload %}" } },
    ),
    ...restoreWait.states,
    VerifyRestore: step(
      "backup/verify-restore",
      `{% {${TENANT_STEP}, "scratch": {"clusterIdentifier": $restore.clusterIdentifier, "clusterArn": $restore.clusterArn}, "source": $policy.source, "asOf": $policy.restoreFrom.asOf} %}`,
      "Cleanup",
      "Cleanup",
      { Assign: { verification: "{% $states.result.Payload %}" } },
    ),
    Cleanup: lambdaTask("backup/delete-scratch", {
      Comment: "On every path after the restore was asked for; retried as long as compensation is.",
      Payload: `{% {"slug": $target.slug, "region": $target.region, "executionArn": ${EXECUTION_ARN}} %}`,
      // A region that stops answering may come back within the window: cleanup waits for it too.
      Retry: [{ ...COMPENSATION_RETRY, ErrorEquals: [...COMPENSATION_RETRY.ErrorEquals, "TimeoutError"] }],
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          Next: "RecordTenant",
          Assign: {
            cleanupFailure: {
              step: "delete-scratch",
              error: "{% $states.errorOutput.Error %}",
              cause: "{% $states.errorOutput.Cause %}",
            },
          },
        },
      ],
      Next: "RecordTenant",
    }),
    RecordTenant: lambdaTask("backup/record-tenant", {
      Payload: `{% {${TENANT_STEP}, "policy": $policy ? {"checks": $policy.checks} : null, "restoreSeconds": $restoreStatus.ready = true ? $restoreStatus.restoreSeconds : null, "verification": $verification, "failure": $failure, "cleanupFailure": $cleanupFailure, "restoredFrom": $policy.restoreFrom.kind = "snapshot" ? $policy.restoreFrom.snapshotIdentifier : ($policy.restoreFrom.kind = "point-in-time" ? "point-in-time " & $policy.restoreFrom.asOf : null)} %}`,
      Retry: [COMPENSATION_RETRY],
      Catch: [catchAll("record-tenant", "RecordingFailed")],
      End: true,
    }),
    RecordingFailed: {
      Type: "Pass",
      Comment: "The outcome could not be recorded: the tenant counts as failed, the others go on.",
      Output: `{% {"slug": $target.slug, "tier": $target.tier, "outcome": "failed", "restoreSeconds": null, "rtoSeconds": $target.rtoSeconds, "failedChecks": [{"check": "record", "values": {"error": $failure.error}}]} %}`,
      End: true,
    },
  },
};

const FAILED = `$results[outcome = "failed"]`;

export const backupVerificationDefinition: StateMachineDefinition = {
  Comment:
    "Backup verification: policy, restore into scratch, data checks, restore time vs RTO, cleanup, report",
  QueryLanguage: "JSONata",
  TimeoutSeconds: TIMEOUT_SECONDS,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: { request: "{% $states.input %}", list: null, results: [], report: null, refusal: null },
      Next: "ListTenants",
    },
    ListTenants: lambdaTask("backup/list-tenants", {
      Payload: `{% $merge([$states.input, {"executionArn": ${EXECUTION_ARN}}]) %}`,
      Assign: { list: "{% $states.result.Payload %}" },
      Retry: [TRANSIENT_RETRY],
      // Its own variable: the tenants' states (a Map's inner scope) assign `failure`.
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          Next: "Refused",
          Assign: {
            refusal: { error: "{% $states.errorOutput.Error %}", cause: "{% $states.errorOutput.Cause %}" },
          },
        },
      ],
      Next: "VerifyTenants",
    }),
    VerifyTenants: {
      Type: "Map",
      Items: "{% $list.tenants %}",
      ItemSelector: {
        target: "{% $states.context.Map.Item.Value %}",
        pointInTime: "{% $list.pointInTime %}",
      },
      MaxConcurrency: MAX_CONCURRENT_RESTORES,
      // Each tenant's states catch everything; a tenant that still failed must not stop the others.
      ToleratedFailurePercentage: 100,
      ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, ...verifyTenant } as unknown as State,
      Assign: { results: "{% $states.result %}" },
      Next: "RecordReport",
    },
    RecordReport: recordReport({
      workflow: "backup-verification",
      trigger: TRIGGER,
      outcome: `($count(${FAILED}) = 0 ? "succeeded" : "failed")`,
      reason: `($count(${FAILED}) = 0 ? $string($count($results)) & " tenants verified" : $string($count(${FAILED})) & " of " & $string($count($results)) & " tenants failed: " & $join(${FAILED}.(slug & " (" & $join(failedChecks.check, ", ") & ")"), "; "))`,
      decisions: `$append($results.({"name": "tenant", "subject": slug, "outcome": outcome, "inputs": {"restoreSeconds": restoreSeconds, "failedChecks": $count(failedChecks)}, "thresholds": {"rtoSeconds": rtoSeconds}}), [$results.($slug := slug; failedChecks.({"name": check, "subject": $slug, "outcome": "fail", "inputs": values}))])`,
      figures: `$append([{"name": "tenants verified", "value": $count($results[outcome = "verified"]), "unit": "count", "key": true}, {"name": "tenants failed", "value": $count(${FAILED}), "unit": "count", "key": true}, {"name": "restores", "value": $count($results[restoreSeconds != null]), "unit": "count", "key": true}, {"name": "tenants skipped", "value": $count($list.skipped), "unit": "count"}], [$results[restoreSeconds != null].({"name": "restore time", "value": restoreSeconds, "unit": "s", "subject": slug})])`,
      next: "Announce",
    }),
    Announce: step(
      "backup/announce-run",
      `{% {"executionArn": ${EXECUTION_ARN}, "tenants": [$results.{"slug": slug, "outcome": outcome}], "report": $report} %}`,
      "Done",
      "Done",
    ),
    Done: {
      Type: "Succeed",
      Output: `{% {"outcome": $count(${FAILED}) = 0 ? "verified" : "failed", "tenants": [$results.{"slug": slug, "outcome": outcome, "restoreSeconds": restoreSeconds, "failedChecks": [failedChecks]}]} %}`,
    },
    Refused: {
      Type: "Fail",
      Comment: "The input named what cannot be verified; nothing was restored.",
      Error: "{% $refusal.error %}",
      Cause: "{% 'backup verification refused: ' & $refusal.cause %}",
    },
  },
};

export const BackupVerificationInput = workflowInputs["backup-verification"];
export type BackupVerificationInput = WorkflowInput<"backup-verification">;

export const backupVerification: WorkflowSpec<"backup-verification"> = {
  name: "backup-verification",
  description:
    "Verifies every due tenant's backups: policy, restore into an isolated scratch cluster, data checks with SQL, restore time vs RTO, cleanup; one report, per-tenant events and metrics.",
  definition: backupVerificationDefinition,
  input: BackupVerificationInput,
};
