/**
 * Tenant offboarding: refuse a tenant still onboarding, take a final snapshot and wait for it (Wait +
 * Choice with back-off and a deadline), only then delete the cluster (deletion protection comes off in
 * that step), remove the namespace and access entry, schedule the secret's deletion with a recovery
 * window, mark the tenant `offboarded` keeping the snapshot id, publish `Tenant Offboarded`. Nothing is
 * compensated (deletions are not undone); a failure is recorded, `Tenant Offboarding Failed` published,
 * and the workflow can be run again: every step is idempotent.
 */
import { z } from "zod";
import { lambdaTask, type StateMachineDefinition } from "./asl.ts";
import {
  detectedFailure,
  EXECUTION_ARN,
  MAX_POLL_SECONDS,
  step,
  TRANSIENT_RETRY,
} from "./tenant-onboarding.ts";
import type { WorkflowSpec } from "./workflow.ts";

export const SNAPSHOT_DEADLINE_SECONDS = 2 * 60 * 60;
const TENANT = `"tenantId": $tenant.tenantId, "slug": $tenant.slug, "executionArn": ${EXECUTION_ARN}`;

export const offboardingDefinition: StateMachineDefinition = {
  Comment:
    "Tenant offboarding: final snapshot, delete cluster, namespace and access, retire secret, announce",
  QueryLanguage: "JSONata",
  TimeoutSeconds: 4 * 60 * 60,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: {
        tenant: null,
        snapshot: null,
        snapshotStatus: null,
        failure: null,
        pollSeconds: 30,
        snapshotDeadline: 0,
      },
      Next: "StartOffboarding",
    },
    StartOffboarding: step(
      "tenant/start-offboarding",
      `{% $merge([$states.input, {"executionArn": ${EXECUTION_ARN}}]) %}`,
      "IsAlreadyOffboarded",
      "RecordFailure",
      { Assign: { tenant: "{% $states.result.Payload %}" } },
    ),
    IsAlreadyOffboarded: {
      Type: "Choice",
      Choices: [{ Condition: "{% $tenant.alreadyOffboarded = true %}", Next: "AlreadyOffboarded" }],
      Default: "SnapshotDatabase",
    },
    AlreadyOffboarded: {
      Type: "Succeed",
      Output: '{% {"tenantId": $tenant.tenantId, "slug": $tenant.slug, "status": "offboarded"} %}',
    },
    SnapshotDatabase: step("tenant/snapshot-database", `{% {${TENANT}} %}`, "HasDatabase", "RecordFailure", {
      Assign: {
        snapshot: "{% $states.result.Payload %}",
        snapshotDeadline: `{% $toMillis($states.context.State.EnteredTime) + ${SNAPSHOT_DEADLINE_SECONDS * 1000} %}`,
      },
    }),
    HasDatabase: {
      Type: "Choice",
      Choices: [{ Condition: "{% $snapshot.clusterExists = true %}", Next: "WaitForSnapshot" }],
      Default: "RemoveNamespace",
    },
    WaitForSnapshot: {
      Type: "Wait",
      Seconds: "{% $pollSeconds %}",
      Assign: { pollSeconds: `{% $min([$pollSeconds * 2, ${MAX_POLL_SECONDS}]) %}` },
      Next: "CheckSnapshot",
    },
    CheckSnapshot: step(
      "tenant/check-snapshot",
      `{% {"snapshotIdentifier": $snapshot.snapshotIdentifier, "executionArn": ${EXECUTION_ARN}} %}`,
      "IsSnapshotReady",
      "RecordFailure",
      { Assign: { snapshotStatus: "{% $states.result.Payload %}" } },
    ),
    IsSnapshotReady: {
      Type: "Choice",
      Choices: [
        { Condition: "{% $snapshotStatus.ready = true %}", Next: "DeleteDatabase" },
        { Condition: "{% $snapshotStatus.failed = true %}", Next: "SnapshotFailed" },
        {
          Condition: "{% $toMillis($states.context.State.EnteredTime) > $snapshotDeadline %}",
          Next: "SnapshotTimedOut",
        },
      ],
      Default: "WaitForSnapshot",
    },
    SnapshotFailed: detectedFailure(
      "check-snapshot",
      "FinalSnapshotFailedError",
      "{% 'final snapshot ' & $snapshot.snapshotIdentifier & ' is ' & $snapshotStatus.status %}",
      "RecordFailure",
    ),
    SnapshotTimedOut: detectedFailure(
      "check-snapshot",
      "FinalSnapshotTimeoutError",
      `{% 'final snapshot ' & $snapshot.snapshotIdentifier & ' not available after ${SNAPSHOT_DEADLINE_SECONDS / 60} minutes' %}`,
      "RecordFailure",
    ),
    DeleteDatabase: step(
      "tenant/delete-database",
      `{% {${TENANT}, "snapshotIdentifier": $snapshot.snapshotIdentifier} %}`,
      "RemoveNamespace",
      "RecordFailure",
    ),
    RemoveNamespace: step("tenant/remove-namespace", `{% {${TENANT}} %}`, "RetireSecret", "RecordFailure"),
    RetireSecret: step("tenant/retire-secret", `{% {${TENANT}} %}`, "FinishOffboarding", "RecordFailure"),
    FinishOffboarding: step(
      "tenant/finish-offboarding",
      `{% {${TENANT}, "snapshotIdentifier": $snapshot.snapshotIdentifier} %}`,
      undefined,
      "RecordFailure",
    ),
    RecordFailure: lambdaTask("tenant/record-failure", {
      Payload: `{% {"workflow": "offboarding", "executionArn": ${EXECUTION_ARN}, "slug": $tenant.slug, "failure": $failure} %}`,
      Retry: [TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ["States.ALL"], Next: "OffboardingFailed" }],
      Next: "OffboardingFailed",
    }),
    OffboardingFailed: {
      Type: "Fail",
      Error: "{% $failure.error %}",
      Cause: "{% 'tenant offboarding failed at ' & $failure.step & ': ' & $failure.error %}",
    },
  },
};

/** The tenant by slug (CLI) or by id (`Tenant Offboarding Requested`). */
export const OffboardingInput = z
  .object({
    slug: z.string().min(1).max(63).optional(),
    tenantId: z.string().min(1).optional(),
    requestedBy: z.string().min(1).optional(),
    reason: z.string().max(500).optional(),
  })
  .refine((input) => input.slug !== undefined || input.tenantId !== undefined, {
    message: "give the tenant's slug or tenantId",
    path: ["slug"],
  });
export type OffboardingInput = z.infer<typeof OffboardingInput>;

export const tenantOffboarding: WorkflowSpec<OffboardingInput> = {
  name: "tenant-offboarding",
  description:
    "Takes a tenant's final snapshot, deletes its cluster, namespace and access, retires its secret; announces Tenant Offboarded or Tenant Offboarding Failed.",
  definition: offboardingDefinition,
  input: OffboardingInput,
};
