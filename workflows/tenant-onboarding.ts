/**
 * Tenant onboarding: validate and register, provision the Aurora cluster, wait for it (Wait + Choice
 * with back-off and a deadline), migrate and create the application user, create the namespace,
 * announce `Tenant Created`. Any failure after registration compensates (removes what this execution
 * created), records the failure, publishes `Tenant Onboarding Failed` and fails with the step's error.
 */
import { z } from "zod";
import type { FunctionId } from "../functions/shared/catalog.ts";
import { THROTTLING_ERROR_NAMES } from "../functions/shared/errors.ts";
import {
  type Catcher,
  type JsonValue,
  lambdaTask,
  type Retrier,
  type StateMachineDefinition,
} from "./asl.ts";
import type { WorkflowSpec } from "./workflow.ts";

/** Named errors worth retrying: throttling, and resources still changing state. */
export const TRANSIENT_ERRORS: readonly string[] = [
  "TransientError",
  "DatabaseNotReadyError",
  "SnapshotNotReadyError",
  "OperatorRoleNotReadyError",
  "EventPublishError",
  ...THROTTLING_ERROR_NAMES,
];

export const TRANSIENT_RETRY: Retrier = {
  ErrorEquals: TRANSIENT_ERRORS,
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: "FULL",
};

export const EXECUTION_ARN = "$states.context.Execution.Id";

/** A catch-all that remembers which step failed and why, then goes to `next`. */
export function catchAll(step: string, next: string): Catcher {
  return {
    ErrorEquals: ["States.ALL"],
    Next: next,
    Assign: {
      failure: { step, error: "{% $states.errorOutput.Error %}", cause: "{% $states.errorOutput.Cause %}" },
    },
  };
}

/** A Pass state that records a failure the state machine itself detected (a deadline, a failed resource). */
export function detectedFailure(step: string, error: string, cause: string, next: string) {
  return { Type: "Pass" as const, Assign: { failure: { step, error, cause } }, Next: next };
}

/** A Lambda step with the transient retrier and the catch-all. */
export function step(
  id: FunctionId,
  payload: string,
  next: string | undefined,
  onFailure: string,
  extra: { Assign?: Record<string, JsonValue> } = {},
) {
  return lambdaTask(id, {
    Payload: payload,
    ...(extra.Assign ? { Assign: extra.Assign } : {}),
    Retry: [TRANSIENT_RETRY],
    Catch: [catchAll(id.split("/")[1] ?? id, onFailure)],
    ...(next ? { Next: next } : { End: true as const }),
  });
}

export const DATABASE_DEADLINE_SECONDS = 90 * 60;
export const FIRST_POLL_SECONDS = 30;
export const MAX_POLL_SECONDS = 120;

const TENANT = `"tenantId": $tenant.tenantId, "slug": $tenant.slug, "executionArn": ${EXECUTION_ARN}`;

export const onboardingDefinition: StateMachineDefinition = {
  Comment:
    "Tenant onboarding: register, database, schema and user, namespace, announce; compensation on failure",
  QueryLanguage: "JSONata",
  TimeoutSeconds: 3 * 60 * 60,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: {
        request: "{% $states.input %}",
        tenant: null,
        database: null,
        dbStatus: null,
        migration: null,
        namespace: null,
        failure: null,
        compensation: null,
        pollSeconds: FIRST_POLL_SECONDS,
        dbDeadline: 0,
      },
      Next: "ValidateAndRegister",
    },
    ValidateAndRegister: step(
      "tenant/validate-and-register",
      `{% $merge([$states.input, {"executionArn": ${EXECUTION_ARN}}]) %}`,
      "JoinedExistingTenant",
      "RecordFailure",
      { Assign: { tenant: "{% $states.result.Payload %}" } },
    ),
    JoinedExistingTenant: {
      Type: "Choice",
      Choices: [{ Condition: "{% $tenant.joined = true %}", Next: "AlreadyRequested" }],
      Default: "ProvisionDatabase",
    },
    AlreadyRequested: {
      Type: "Succeed",
      Comment: "Another execution onboards (or has onboarded) this tenant; this request joined it.",
      Output:
        '{% {"tenantId": $tenant.tenantId, "slug": $tenant.slug, "status": $tenant.status, "joined": true} %}',
    },
    ProvisionDatabase: step(
      "tenant/provision-database",
      `{% {${TENANT}, "tier": $tenant.tier} %}`,
      "WaitForDatabase",
      "Compensate",
      {
        Assign: {
          database: "{% $states.result.Payload %}",
          dbDeadline: `{% $toMillis($states.context.State.EnteredTime) + ${DATABASE_DEADLINE_SECONDS * 1000} %}`,
        },
      },
    ),
    WaitForDatabase: {
      Type: "Wait",
      Seconds: "{% $pollSeconds %}",
      Assign: { pollSeconds: `{% $min([$pollSeconds * 2, ${MAX_POLL_SECONDS}]) %}` },
      Next: "CheckDatabase",
    },
    CheckDatabase: step(
      "tenant/check-database",
      `{% {"clusterIdentifier": $database.clusterIdentifier, "executionArn": ${EXECUTION_ARN}} %}`,
      "IsDatabaseReady",
      "Compensate",
      { Assign: { dbStatus: "{% $states.result.Payload %}" } },
    ),
    IsDatabaseReady: {
      Type: "Choice",
      Choices: [
        { Condition: "{% $dbStatus.ready = true %}", Next: "MigrateDatabase" },
        { Condition: "{% $dbStatus.failed = true %}", Next: "DatabaseFailed" },
        {
          Condition: "{% $toMillis($states.context.State.EnteredTime) > $dbDeadline %}",
          Next: "DatabaseTimedOut",
        },
      ],
      Default: "WaitForDatabase",
    },
    DatabaseFailed: detectedFailure(
      "check-database",
      "DatabaseProvisioningFailedError",
      "{% 'DB cluster ' & $database.clusterIdentifier & ' is ' & $dbStatus.status %}",
      "Compensate",
    ),
    DatabaseTimedOut: detectedFailure(
      "check-database",
      "DatabaseProvisioningTimeoutError",
      `{% 'DB cluster ' & $database.clusterIdentifier & ' not available after ${DATABASE_DEADLINE_SECONDS / 60} minutes (' & $dbStatus.status & ')' %}`,
      "Compensate",
    ),
    MigrateDatabase: step(
      "tenant/migrate-database",
      `{% {${TENANT}, "clusterArn": $dbStatus.clusterArn, "masterSecretArn": $dbStatus.masterSecretArn, "endpoint": $dbStatus.endpoint, "port": $dbStatus.port} %}`,
      "CreateNamespace",
      "Compensate",
      { Assign: { migration: "{% $states.result.Payload %}" } },
    ),
    CreateNamespace: step(
      "tenant/create-namespace",
      `{% {${TENANT}, "tier": $tenant.tier, "secretArn": $migration.secretArn} %}`,
      "Announce",
      "Compensate",
      { Assign: { namespace: "{% $states.result.Payload %}" } },
    ),
    Announce: step(
      "tenant/announce",
      `{% {${TENANT}, "secretArn": $migration.secretArn, "endpoint": $dbStatus.endpoint, "hostname": $namespace.hostname} %}`,
      undefined,
      "Compensate",
    ),
    Compensate: lambdaTask("tenant/compensate", {
      Payload: `{% {${TENANT}} %}`,
      Assign: { compensation: "{% $states.result.Payload %}" },
      Retry: [{ ...TRANSIENT_RETRY, MaxAttempts: 10, MaxDelaySeconds: 120 }],
      Catch: [
        {
          ErrorEquals: ["States.ALL"],
          Next: "RecordFailure",
          Assign: {
            compensation: { error: "{% $states.errorOutput.Error & ': ' & $states.errorOutput.Cause %}" },
          },
        },
      ],
      Next: "RecordFailure",
    }),
    RecordFailure: lambdaTask("tenant/record-failure", {
      Payload: `{% {"workflow": "onboarding", "executionArn": ${EXECUTION_ARN}, "slug": $tenant.slug, "name": $request.name, "failure": $failure, "compensation": $compensation} %}`,
      Retry: [TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ["States.ALL"], Next: "OnboardingFailed" }],
      Next: "OnboardingFailed",
    }),
    OnboardingFailed: {
      Type: "Fail",
      Error: "{% $failure.error %}",
      Cause: "{% 'tenant onboarding failed at ' & $failure.step & ': ' & $failure.error %}",
    },
  },
};

export const OnboardingInput = z.object({
  name: z.string().trim().min(1).max(100),
  tier: z.enum(["premium", "standard", "basic"]),
  adminEmail: z.email(),
  slug: z.string().min(1).max(63).optional(),
  region: z.string().min(1).optional(),
});
export type OnboardingInput = z.infer<typeof OnboardingInput>;

export const tenantOnboarding: WorkflowSpec<OnboardingInput> = {
  name: "tenant-onboarding",
  description:
    "Registers a tenant, provisions its Aurora cluster, schema, user and secret, and its namespace; announces Tenant Created or, after compensation, Tenant Onboarding Failed.",
  definition: onboardingDefinition,
  input: OnboardingInput,
};
