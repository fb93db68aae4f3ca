/**
 * Tenant onboarding: validate and register, provision the Aurora cluster, wait for it (Wait + Choice
 * with back-off and a deadline), migrate and create the application user, create the namespace,
 * announce `Tenant Created`. Any failure after registration compensates (removes what this execution
 * created), records the failure, publishes `Tenant Onboarding Failed` and fails with the step's error.
 */
import { type WorkflowInput, workflowInputs } from "../events/workflows.ts";
import { RETRYABLE_ERRORS } from "../functions/errors.ts";
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

/** What every step retries: derived from the handlers' retryable error classes (functions/errors.ts). */
export const TRANSIENT_ERRORS: readonly string[] = RETRYABLE_ERRORS;

export const DATABASE_DEADLINE_SECONDS = 90 * 60;
/**
 * The database's own AWS events resume the wait (an Aurora cluster with its instances takes about ten
 * minutes); these timeouts are the backstop that looks anyway when an event was lost.
 */
export const FIRST_POLL_SECONDS = 15 * 60;
export const MAX_POLL_SECONDS = 20 * 60;
export const TIMEOUT_SECONDS = 3 * 60 * 60;
/** How long an onboarding waits for a failover (which holds the fleet lock) or another operation on the tenant. */
export const LOCK_WAIT_SECONDS = 30 * 60;

const TENANT = `"tenantId": $tenant.tenantId, "slug": $tenant.slug, "executionArn": ${EXECUTION_ARN}`;

const failure = failurePath({
  compensate: { id: "tenant/compensate", payload: `{% {${TENANT}} %}` },
  record: {
    id: "tenant/record-failure",
    payload: `{% {"workflow": "onboarding", "executionArn": ${EXECUTION_ARN}, "slug": $tenant.slug, "name": $request.name, "failure": $failure, "compensation": $compensation, "report": $report} %}`,
  },
  fail: { state: "OnboardingFailed", what: "tenant onboarding" },
  releaseLocks: true,
  report: { workflow: "tenant-onboarding", trigger: TRIGGER_FROM_INPUT("$request") },
});

const locks = acquireLocks({
  locks: `[{"name": "${LOCKS.fleet}", "mode": "shared"}, {"name": ${LOCKS.tenant("$tenant.slug")}, "mode": "exclusive"}]`,
  ttlSeconds: TIMEOUT_SECONDS + 3600,
  retrySeconds: 60,
  maxWaitSeconds: LOCK_WAIT_SECONDS,
  next: "ProvisionDatabase",
  onBlocked: failure.entry,
  onFailure: failure.entry,
});

const database = pollUntil({
  name: "Database",
  check: "tenant/check-database",
  payload: `{% {"clusterIdentifier": $database.clusterIdentifier, "executionArn": ${EXECUTION_ARN}} %}`,
  result: "dbStatus",
  readyWhen: "$dbStatus.ready = true",
  failedWhen: "$dbStatus.failed = true",
  next: "MigrateDatabase",
  onFailure: failure.entry,
  deadlineSeconds: DATABASE_DEADLINE_SECONDS,
  firstPollSeconds: FIRST_POLL_SECONDS,
  maxPollSeconds: MAX_POLL_SECONDS,
  wake: { resourceArn: "$database.clusterArn", kind: "rds-cluster" },
  failed: {
    error: "DatabaseProvisioningFailedError",
    cause: "{% 'DB cluster ' & $database.clusterIdentifier & ' is ' & $dbStatus.status %}",
  },
  timedOut: {
    error: "DatabaseProvisioningTimeoutError",
    cause: `{% 'DB cluster ' & $database.clusterIdentifier & ' not available after ${DATABASE_DEADLINE_SECONDS / 60} minutes (' & $dbStatus.status & ')' %}`,
  },
});

export const onboardingDefinition: StateMachineDefinition = {
  Comment:
    "Tenant onboarding: register, database, schema and user, namespace, announce; compensation on failure",
  QueryLanguage: "JSONata",
  TimeoutSeconds: TIMEOUT_SECONDS,
  StartAt: "Initialize",
  States: {
    Initialize: {
      Type: "Pass",
      Assign: {
        request: "{% $states.input %}",
        tenant: null,
        database: null,
        migration: null,
        namespace: null,
        dr: null,
        ...locks.variables,
        ...database.variables,
        ...failure.variables,
      },
      Next: "ValidateAndRegister",
    },
    ValidateAndRegister: step(
      "tenant/validate-and-register",
      `{% $merge([$states.input, {"executionArn": ${EXECUTION_ARN}}]) %}`,
      "JoinedExistingTenant",
      failure.recordEntry,
      { Assign: { tenant: "{% $states.result.Payload %}" } },
    ),
    JoinedExistingTenant: {
      Type: "Choice",
      Choices: [{ Condition: "{% $tenant.joined = true %}", Next: "AlreadyRequested" }],
      Default: locks.entry,
    },
    AlreadyRequested: {
      Type: "Succeed",
      Comment: "Another execution onboards (or has onboarded) this tenant; this request joined it.",
      Output:
        '{% {"tenantId": $tenant.tenantId, "slug": $tenant.slug, "status": $tenant.status, "joined": true} %}',
    },
    ...locks.states,
    ProvisionDatabase: step(
      "tenant/provision-database",
      `{% {${TENANT}, "tier": $tenant.tier} %}`,
      database.entry,
      failure.entry,
      { Assign: { database: "{% $states.result.Payload %}" } },
    ),
    ...database.states,
    MigrateDatabase: step(
      "tenant/migrate-database",
      `{% {${TENANT}, "clusterArn": $dbStatus.clusterArn, "masterSecretArn": $dbStatus.masterSecretArn, "endpoint": $dbStatus.endpoint, "port": $dbStatus.port} %}`,
      "CreateNamespace",
      failure.entry,
      { Assign: { migration: "{% $states.result.Payload %}" } },
    ),
    CreateNamespace: step(
      "tenant/create-namespace",
      `{% {${TENANT}, "tier": $tenant.tier, "secretArn": $migration.secretArn} %}`,
      "EnsureDr",
      failure.entry,
      { Assign: { namespace: "{% $states.result.Payload %}" } },
    ),
    // The tier's DR profile: a global secondary in the paired region, or the first DR snapshot.
    EnsureDr: step(
      "failover/ensure-dr",
      `{% {${TENANT}, "tier": $tenant.tier} %}`,
      "RecordReport",
      failure.entry,
      {
        Assign: { dr: "{% $states.result.Payload %}" },
      },
    ),
    RecordReport: recordReport({
      workflow: "tenant-onboarding",
      trigger: TRIGGER_FROM_INPUT("$request"),
      outcome: '"succeeded"',
      reason: '"tenant " & $tenant.slug & " is active"',
      decisions: `[{"name": "database-ready", "outcome": "proceed", "inputs": {"status": $dbStatus.status}, "thresholds": {"deadlineMinutes": ${DATABASE_DEADLINE_SECONDS / 60}}}]`,
      figures:
        '[{"name": "time to active", "value": ($toMillis($states.context.State.EnteredTime) - $toMillis($states.context.Execution.StartTime)) / 1000, "unit": "s", "key": true}]',
      next: "Announce",
    }),
    Announce: step(
      "tenant/announce",
      `{% {${TENANT}, "secretArn": $migration.secretArn, "endpoint": $dbStatus.endpoint, "hostname": $namespace.hostname, "report": $report} %}`,
      "ReleaseLocks",
      failure.entry,
    ),
    ReleaseLocks: releaseLocks("Onboarded"),
    Onboarded: { Type: "Succeed" },
    ...failure.states,
  },
};

/** The `Tenant Requested` detail: the same contract as the event and the first step's input. */
export const OnboardingInput = workflowInputs["tenant-onboarding"];
export type OnboardingInput = WorkflowInput<"tenant-onboarding">;

export const tenantOnboarding: WorkflowSpec<"tenant-onboarding"> = {
  name: "tenant-onboarding",
  description:
    "Registers a tenant, provisions its Aurora cluster, schema, user and secret, and its namespace; announces Tenant Created or, after compensation, Tenant Onboarding Failed.",
  definition: onboardingDefinition,
  input: OnboardingInput,
};
