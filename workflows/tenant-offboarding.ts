/**
 * Tenant offboarding: refuse a tenant still onboarding, take a final snapshot and wait for it (Wait +
 * Choice with back-off and a deadline), only then delete the cluster (deletion protection comes off in
 * that step), remove the namespace and access entry, schedule the secret's deletion with a recovery
 * window, mark the tenant `offboarded` keeping the snapshot id, publish `Tenant Offboarded`. Nothing is
 * compensated (deletions are not undone); a failure is recorded, `Tenant Offboarding Failed` published,
 * and the workflow can be run again: every step is idempotent.
 *
 * A tenant a failover moved to the paired region is offboarded there (`$tenant.region`): its writer
 * snapshotted and deleted where it runs, the home region cleared by the DR step, or, while it does not
 * answer, its part recorded as leftovers (`$leftovers`, on the tenant, in the report and the event) for
 * the DR readiness run to remove. A premium writer whose home member cannot be detached yet is
 * snapshotted but kept (`$drRemoval.writerHeld`): AWS detaches a global database's writer last.
 */
import { type WorkflowInput, workflowInputs } from "../events/workflows.ts";
import type { StateMachineDefinition } from "./asl.ts";
import {
  acquireLocks,
  EXECUTION_ARN,
  failurePath,
  LOCKS,
  pollUntil,
  recordReport,
  releaseLocks,
  step,
  TRIGGER_FROM_INPUT,
} from "./kit/index.ts";
import type { WorkflowSpec } from "./workflow.ts";

export const SNAPSHOT_DEADLINE_SECONDS = 2 * 60 * 60;
const TENANT = `"tenantId": $tenant.tenantId, "slug": $tenant.slug, "executionArn": ${EXECUTION_ARN}`;
/** Where the tenant runs: the stage's region, or the paired one after a failover. */
const WHERE = `"region": $tenant.region`;

const failure = failurePath({
  record: {
    id: "tenant/record-failure",
    payload: `{% {"workflow": "offboarding", "executionArn": ${EXECUTION_ARN}, "slug": $tenant.slug, "failure": $failure, "report": $report} %}`,
  },
  fail: { state: "OffboardingFailed", what: "tenant offboarding" },
  releaseLocks: true,
  report: { workflow: "tenant-offboarding", trigger: TRIGGER_FROM_INPUT("$request") },
});

const TIMEOUT_SECONDS = 4 * 60 * 60;

const locks = acquireLocks({
  locks: `[{"name": "${LOCKS.fleet}", "mode": "shared"}, {"name": ${LOCKS.tenant("$tenant.slug")}, "mode": "exclusive"}]`,
  ttlSeconds: TIMEOUT_SECONDS + 3600,
  retrySeconds: 60,
  maxWaitSeconds: 30 * 60,
  next: "RemoveDr",
  onBlocked: failure.entry,
  onFailure: failure.entry,
});

const snapshot = pollUntil({
  name: "Snapshot",
  check: "tenant/check-snapshot",
  payload: `{% {"snapshotIdentifier": $snapshot.snapshotIdentifier, "executionArn": ${EXECUTION_ARN}, ${WHERE}} %}`,
  result: "snapshotStatus",
  readyWhen: "$snapshotStatus.ready = true",
  failedWhen: "$snapshotStatus.failed = true",
  next: "IsWriterHeld",
  onFailure: failure.entry,
  deadlineSeconds: SNAPSHOT_DEADLINE_SECONDS,
  firstPollSeconds: 30,
  maxPollSeconds: 120,
  failed: {
    error: "FinalSnapshotFailedError",
    cause: "{% 'final snapshot ' & $snapshot.snapshotIdentifier & ' is ' & $snapshotStatus.status %}",
  },
  timedOut: {
    error: "FinalSnapshotTimeoutError",
    cause: `{% 'final snapshot ' & $snapshot.snapshotIdentifier & ' not available after ${SNAPSHOT_DEADLINE_SECONDS / 60} minutes' %}`,
  },
});

/** The tenant's DR goes first: a global database member cannot be deleted, nor its final snapshot taken alone. */
const drRemoval = pollUntil({
  name: "DrRemoval",
  check: "failover/remove-dr",
  payload: `{% {${TENANT}, "startedAt": $tenant.startedAt} %}`,
  result: "drRemoval",
  readyWhen: "$drRemoval.done = true",
  failedWhen: "false",
  next: "SnapshotDatabase",
  onFailure: failure.entry,
  deadlineSeconds: 60 * 60,
  firstPollSeconds: 60,
  maxPollSeconds: 240,
  failed: { error: "DrRemovalFailedError", cause: "{% 'DR of ' & $tenant.slug & ' could not be removed' %}" },
  timedOut: {
    error: "DrRemovalTimeoutError",
    cause:
      "{% 'DR of ' & $tenant.slug & ' still being removed after an hour: ' & $join($drRemoval.removed, ', ') %}",
  },
});

export const offboardingDefinition: StateMachineDefinition = {
  Comment:
    "Tenant offboarding: final snapshot, delete cluster, namespace and access, retire secret, announce",
  QueryLanguage: "JSONata",
  TimeoutSeconds: TIMEOUT_SECONDS,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: {
        request: "{% $states.input %}",
        tenant: null,
        snapshot: null,
        leftovers: [],
        ...locks.variables,
        ...drRemoval.variables,
        ...snapshot.variables,
        ...failure.variables,
      },
      Next: "StartOffboarding",
    },
    StartOffboarding: step(
      "tenant/start-offboarding",
      `{% $merge([$states.input, {"executionArn": ${EXECUTION_ARN}}]) %}`,
      "IsAlreadyOffboarded",
      failure.entry,
      { Assign: { tenant: "{% $states.result.Payload %}" } },
    ),
    IsAlreadyOffboarded: {
      Type: "Choice",
      Choices: [{ Condition: "{% $tenant.alreadyOffboarded = true %}", Next: "AlreadyOffboarded" }],
      Default: locks.entry,
    },
    ...locks.states,
    AlreadyOffboarded: {
      Type: "Succeed",
      Output: '{% {"tenantId": $tenant.tenantId, "slug": $tenant.slug, "status": "offboarded"} %}',
    },
    RemoveDr: step(
      "failover/remove-dr",
      `{% {${TENANT}, "startedAt": $tenant.startedAt} %}`,
      "IsDrRemoved",
      failure.entry,
      {
        // Where the tenant runs is read again under the locks: a failover may have moved it meanwhile.
        Assign: {
          drRemoval: "{% $states.result.Payload %}",
          tenant: '{% $merge([$tenant, {"region": $states.result.Payload.region}]) %}',
        },
      },
    ),
    IsDrRemoved: {
      Type: "Choice",
      Choices: [{ Condition: "{% $drRemoval.done = true %}", Next: "SnapshotDatabase" }],
      Default: drRemoval.entry,
    },
    ...drRemoval.states,
    SnapshotDatabase: step(
      "tenant/snapshot-database",
      `{% {${TENANT}, ${WHERE}} %}`,
      "HasDatabase",
      failure.entry,
      { Assign: { snapshot: "{% $states.result.Payload %}" } },
    ),
    HasDatabase: {
      Type: "Choice",
      Choices: [{ Condition: "{% $snapshot.clusterExists = true %}", Next: snapshot.entry }],
      Default: "RemoveNamespace",
    },
    ...snapshot.states,
    IsWriterHeld: {
      Type: "Choice",
      Comment:
        "A writer held by its global database (a member in a region down) is snapshotted, not deleted.",
      Choices: [{ Condition: "{% $drRemoval.writerHeld = true %}", Next: "RemoveNamespace" }],
      Default: "DeleteDatabase",
    },
    DeleteDatabase: step(
      "tenant/delete-database",
      `{% {${TENANT}, ${WHERE}, "snapshotIdentifier": $snapshot.snapshotIdentifier} %}`,
      "RemoveNamespace",
      failure.entry,
    ),
    RemoveNamespace: step("tenant/remove-namespace", `{% {${TENANT}} %}`, "RetireSecret", failure.entry, {
      Assign: { leftovers: "{% $append($leftovers, $states.result.Payload.leftovers) %}" },
    }),
    RetireSecret: step("tenant/retire-secret", `{% {${TENANT}, ${WHERE}} %}`, "RecordReport", failure.entry, {
      Assign: {
        leftovers:
          "{% $append($append($drRemoval.leftovers, $leftovers), $states.result.Payload.leftovers) %}",
      },
    }),
    RecordReport: recordReport({
      workflow: "tenant-offboarding",
      trigger: TRIGGER_FROM_INPUT("$request"),
      outcome: '"succeeded"',
      reason:
        '"tenant " & $tenant.slug & " is offboarded" & ($snapshot.snapshotIdentifier ? "; final snapshot " & $snapshot.snapshotIdentifier & " in " & $tenant.region : "") & ($count($leftovers) > 0 ? "; left for the DR readiness run, in regions that did not answer: " & $join($leftovers.($.region & ": " & $.resource), "; ") : "")',
      next: "FinishOffboarding",
    }),
    FinishOffboarding: step(
      "tenant/finish-offboarding",
      `{% {${TENANT}, ${WHERE}, "snapshotIdentifier": $snapshot.snapshotIdentifier, "leftovers": $leftovers, "report": $report} %}`,
      "ReleaseLocks",
      failure.entry,
    ),
    ReleaseLocks: releaseLocks("Offboarded"),
    Offboarded: { Type: "Succeed" },
    ...failure.states,
  },
};

/** The `Tenant Offboarding Requested` detail (the tenant by slug or by id): the same contract as the event and the first step's input. */
export const OffboardingInput = workflowInputs["tenant-offboarding"];
export type OffboardingInput = WorkflowInput<"tenant-offboarding">;

export const tenantOffboarding: WorkflowSpec<"tenant-offboarding"> = {
  name: "tenant-offboarding",
  description:
    "Takes a tenant's final snapshot, deletes its cluster, namespace and access, retires its secret; announces Tenant Offboarded or Tenant Offboarding Failed.",
  definition: offboardingDefinition,
  input: OffboardingInput,
};
