/**
 * The weekly manual snapshots: every active tenant's cluster gets `weekly-<cluster>-<date>`, tagged with
 * its 30-day retention, and its weekly snapshots past their retention are deleted. One tenant's failure
 * never stops the others; the run report lists what was taken and pruned.
 */
import { type WorkflowInput, workflowInputs } from "../events/workflows.ts";
import { lambdaTask, type State, type StateMachineDefinition } from "./asl.ts";
import { catchAll, EXECUTION_ARN, recordReport, step, TRANSIENT_RETRY } from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

/** Snapshots are cheap to ask for; RDS takes a handful of concurrent snapshot copies per region. */
export const MAX_CONCURRENT_SNAPSHOTS = 10;

const TRIGGER = `($request.trigger = "schedule" ? {"type": "schedule", "source": "schedule weekly-backup-snapshots", "at": $request.scheduledTime} : {"type": "manual", "source": "StartExecution", "by": $request.requestedBy})`;

const snapshotTenant: { StartAt: string; States: Record<string, State> } = {
  StartAt: "SnapshotTenant",
  States: {
    SnapshotTenant: step(
      "backup/snapshot-tenant",
      `{% {"target": $states.input, "executionArn": ${EXECUTION_ARN}} %}`,
      undefined,
      "SnapshotFailed",
    ),
    SnapshotFailed: {
      Type: "Pass",
      Output: '{% {"slug": $states.input.slug, "error": $failure.error, "cause": $failure.cause} %}',
      End: true,
    },
  },
};

export const backupSnapshotsDefinition: StateMachineDefinition = {
  Comment: "Weekly manual snapshots of every active tenant, kept 30 days, pruned by age",
  QueryLanguage: "JSONata",
  TimeoutSeconds: 6 * 3600,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: { request: "{% $states.input %}", list: null, results: [], report: null, refusal: null },
      Next: "ListTenants",
    },
    ListTenants: lambdaTask("backup/list-tenants", {
      Payload: `{% {"trigger": "manual", "executionArn": ${EXECUTION_ARN}} %}`,
      Assign: { list: "{% $states.result.Payload %}" },
      Retry: [TRANSIENT_RETRY],
      Catch: [{ ...catchAll("list-tenants", "Refused"), Assign: { refusal: "{% $states.errorOutput %}" } }],
      Next: "SnapshotTenants",
    }),
    SnapshotTenants: {
      Type: "Map",
      Items: "{% $list.tenants %}",
      MaxConcurrency: MAX_CONCURRENT_SNAPSHOTS,
      ToleratedFailurePercentage: 100,
      ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, ...snapshotTenant } as unknown as State,
      Assign: { results: "{% $states.result %}" },
      Next: "RecordReport",
    },
    RecordReport: recordReport({
      workflow: "backup-snapshots",
      trigger: TRIGGER,
      outcome: '($count($results[error]) = 0 ? "succeeded" : "failed")',
      reason:
        '$string($count($results[snapshot])) & " weekly snapshots, " & $string($count($results.pruned)) & " pruned" & ($count($results[error]) > 0 ? "; failed: " & $join($results[error].slug, ", ") : "")',
      figures:
        '[{"name": "snapshots", "value": $count($results[snapshot]), "unit": "count", "key": true}, {"name": "pruned", "value": $count($results.pruned), "unit": "count", "key": true}]',
      next: "Done",
    }),
    Done: { Type: "Succeed", Output: '{% {"snapshots": [$results]} %}' },
    Refused: { Type: "Fail", Error: "{% $refusal.Error %}", Cause: "{% $refusal.Cause %}" },
  },
};

export const backupSnapshots: WorkflowSpec<"backup-snapshots"> = {
  name: "backup-snapshots",
  description:
    "Takes every active tenant's weekly manual snapshot (kept 30 days) and prunes the expired ones.",
  definition: backupSnapshotsDefinition,
  input: workflowInputs["backup-snapshots"],
};
export type BackupSnapshotsInput = WorkflowInput<"backup-snapshots">;
