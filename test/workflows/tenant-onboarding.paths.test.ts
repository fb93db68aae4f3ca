import { describe, expect, it } from "vitest";
import type { FunctionId } from "../../functions/shared/catalog.ts";
import { onboardingDefinition } from "../../workflows/tenant-onboarding.ts";
import { NO_ANSWER, named, run, type ScriptedStep } from "./tenant-harness.ts";

const EXECUTION = "arn:aws:states:us-east-1:000000000000:execution:tenant-workflow:run-1";
const request = { name: "Acme", tier: "premium", adminEmail: "ops@acme.test" };
const tenant = {
  tenantId: "t-1",
  slug: "acme",
  name: "Acme",
  tier: "premium",
  region: "us-east-1",
  status: "onboarding",
  joined: false,
};
const ready = {
  status: "available",
  ready: true,
  failed: false,
  clusterArn: "arn:aws:rds:us-east-1:000000000000:cluster:tenant-acme",
  endpoint: "tenant-acme.cluster.local",
  readerEndpoint: "tenant-acme.cluster-ro.local",
  port: 5432,
  masterSecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!cluster-1",
  instances: [],
};
const creating = { ...ready, status: "creating", ready: false };

function happy(): Partial<Record<FunctionId, ScriptedStep>> {
  return {
    "tenant/validate-and-register": () => tenant,
    "tenant/provision-database": () => ({
      clusterIdentifier: "tenant-acme",
      clusterArn: "arn:aws:rds:us-east-1:000000000000:cluster:tenant-acme",
      created: true,
    }),
    "tenant/check-database": (_, attempt) => (attempt < 3 ? creating : ready),
    "tenant/migrate-database": () => ({
      secretArn: "arn:secret:cplane/tenants/acme/db",
      secretCreated: true,
    }),
    "tenant/create-namespace": () => ({
      namespace: "acme",
      hostname: "acme.tenants.example.com",
      created: true,
    }),
    "failover/ensure-dr": () => ({ strategy: "global-secondary", created: [], drRegion: "us-west-2" }),
    "tenant/announce": (payload) => ({ ...payload, status: "active" }),
    "tenant/compensate": () => ({ removed: ["db-cluster:tenant-acme"] }),
    "tenant/record-failure": () => ({ recorded: true }),
  };
}

describe("tenant onboarding on the local engine", () => {
  it("goes from request to an announced tenant, polling the database until it is available", async () => {
    // Act
    const outcome = await run(onboardingDefinition, request, happy());

    // Assess
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.states).toEqual([
      "Initialize",
      "ValidateAndRegister",
      "JoinedExistingTenant",
      "AcquireLocks",
      "AreLocksAcquired",
      "ProvisionDatabase",
      "WaitForDatabase",
      "CheckDatabase",
      "IsDatabaseReady",
      "WaitForDatabase",
      "CheckDatabase",
      "IsDatabaseReady",
      "WaitForDatabase",
      "CheckDatabase",
      "IsDatabaseReady",
      "MigrateDatabase",
      "CreateNamespace",
      "EnsureDr",
      "RecordReport",
      "Announce",
      "ReleaseLocks",
      "Onboarded",
    ]);
    expect(outcome.calls_of("failover/ensure-dr")).toEqual([
      { tenantId: "t-1", slug: "acme", executionArn: EXECUTION, tier: "premium" },
    ]);
    expect(outcome.calls_of("tenant/validate-and-register")).toEqual([
      { ...request, executionArn: EXECUTION },
    ]);
    expect(outcome.calls_of("tenant/provision-database")).toEqual([
      { tenantId: "t-1", slug: "acme", executionArn: EXECUTION, tier: "premium" },
    ]);
    expect(outcome.calls_of("tenant/migrate-database")).toEqual([
      {
        tenantId: "t-1",
        slug: "acme",
        executionArn: EXECUTION,
        clusterArn: ready.clusterArn,
        masterSecretArn: ready.masterSecretArn,
        endpoint: ready.endpoint,
        port: 5432,
      },
    ]);
    expect(outcome.calls_of("tenant/announce")).toEqual([
      {
        tenantId: "t-1",
        slug: "acme",
        executionArn: EXECUTION,
        secretArn: "arn:secret:cplane/tenants/acme/db",
        endpoint: ready.endpoint,
        hostname: "acme.tenants.example.com",
        report: { outcome: "succeeded", reason: "tenant acme is active", durationSeconds: 0, figures: [] },
      },
    ]);
    expect(outcome.output).toMatchObject({ status: "active", slug: "acme" });
  });

  it("retries a throttled step with back-off and carries on", async () => {
    // Prepare
    const steps = happy();
    steps["tenant/create-namespace"] = (_, attempt) => {
      if (attempt < 3) throw named("ThrottlingException", "Rate exceeded");
      return { namespace: "acme", hostname: "acme.tenants.example.com", created: true };
    };

    // Act
    const outcome = await run(onboardingDefinition, request, steps);

    // Assess
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.calls_of("tenant/create-namespace")).toHaveLength(3);
    expect(outcome.states).not.toContain("Compensate");
  });

  it.each([
    ["tenant/provision-database", "ProvisionDatabase", "ResourceOwnedByAnotherTenantError"],
    ["tenant/check-database", "CheckDatabase", "DatabaseNotFoundError"],
    ["tenant/migrate-database", "MigrateDatabase", "MigrationFailedError"],
    ["tenant/create-namespace", "CreateNamespace", "KubernetesRequestError"],
    ["tenant/announce", "Announce", "TenantStateConflictError"],
  ] as const)(
    "compensates, records and fails when %s fails with a permanent error",
    async (id, state, error) => {
      // Prepare
      const steps = happy();
      steps[id] = () => {
        throw named(error, `${state} broke`);
      };

      // Act
      const outcome = await run(onboardingDefinition, request, steps);

      // Assess
      expect(outcome.execution.status).toBe("FAILED");
      expect(outcome.execution.error).toBe(error);
      expect(outcome.states.slice(-6)).toEqual([
        state,
        "Compensate",
        "ReportFailure",
        "RecordFailure",
        "ReleaseLocksAfterFailure",
        "OnboardingFailed",
      ]);
      expect(outcome.calls_of("tenant/compensate")).toEqual([
        { tenantId: "t-1", slug: "acme", executionArn: EXECUTION },
      ]);
      const [recorded] = outcome.calls_of("tenant/record-failure");
      expect(recorded).toMatchObject({
        workflow: "onboarding",
        executionArn: EXECUTION,
        slug: "acme",
        name: "Acme",
        failure: { step: id.split("/")[1], error },
        compensation: { removed: ["db-cluster:tenant-acme"] },
      });
      expect(JSON.parse(String((recorded?.failure as { cause?: string } | undefined)?.cause))).toMatchObject({
        errorMessage: `${state} broke`,
      });
    },
  );

  it("gives up on a database that never becomes available at the deadline, and compensates", async () => {
    // Prepare
    const steps = happy();
    steps["tenant/check-database"] = () => creating;

    // Act
    const outcome = await run(onboardingDefinition, request, steps);

    // Assess
    expect(outcome.execution.status).toBe("FAILED");
    expect(outcome.execution.error).toBe("DatabaseProvisioningTimeoutError");
    expect(outcome.states.slice(-7)).toEqual([
      "IsDatabaseReady",
      "DatabaseTimedOut",
      "Compensate",
      "ReportFailure",
      "RecordFailure",
      "ReleaseLocksAfterFailure",
      "OnboardingFailed",
    ]);
    // No event ever woke the wait: the backstop looked after 15 minutes, then every 20, for 90 minutes.
    const polls = outcome.calls_of("tenant/check-database").length;
    expect(polls).toBeGreaterThanOrEqual(4);
    expect(polls).toBeLessThanOrEqual(6);
  });

  it("compensates when the database ends up failed", async () => {
    const steps = happy();
    steps["tenant/check-database"] = () => ({
      ...creating,
      status: "inaccessible-encryption-credentials",
      failed: true,
    });
    const outcome = await run(onboardingDefinition, request, steps);
    expect(outcome.execution.error).toBe("DatabaseProvisioningFailedError");
    expect(outcome.states).toContain("Compensate");
    expect(outcome.calls_of("tenant/record-failure")[0]?.failure).toEqual({
      step: "check-database",
      error: "DatabaseProvisioningFailedError",
      cause: "DB cluster tenant-acme is inaccessible-encryption-credentials",
    });
  });

  it("still records the failure when compensation itself fails", async () => {
    const steps = happy();
    steps["tenant/migrate-database"] = () => {
      throw named("MigrationFailedError");
    };
    steps["tenant/compensate"] = () => {
      throw named("KubernetesRequestError", "forbidden");
    };
    const outcome = await run(onboardingDefinition, request, steps);
    expect(outcome.execution.error).toBe("MigrationFailedError");
    expect(outcome.calls_of("tenant/record-failure")[0]?.compensation).toMatchObject({
      error: expect.stringContaining("KubernetesRequestError"),
    });
  });

  it("joins a tenant another execution onboards: succeeds without creating anything", async () => {
    const steps = happy();
    steps["tenant/validate-and-register"] = () => ({ ...tenant, status: "active", joined: true });
    const outcome = await run(onboardingDefinition, request, steps);
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.states).toEqual([
      "Initialize",
      "ValidateAndRegister",
      "JoinedExistingTenant",
      "AlreadyRequested",
    ]);
    expect(outcome.output).toEqual({ tenantId: "t-1", slug: "acme", status: "active", joined: true });
  });

  it("answers invalid input with a failure event and no compensation", async () => {
    // Prepare
    const steps = happy();
    steps["tenant/validate-and-register"] = () => {
      throw named("InvalidInputError", "invalid input: tier: Invalid option");
    };

    // Act
    const outcome = await run(onboardingDefinition, { ...request, tier: "gold" }, steps);

    // Assess
    expect(outcome.execution.status).toBe("FAILED");
    expect(outcome.execution.error).toBe("InvalidInputError");
    expect(outcome.states).toEqual([
      "Initialize",
      "ValidateAndRegister",
      "ReportFailure",
      "RecordFailure",
      "ReleaseLocksAfterFailure",
      "OnboardingFailed",
    ]);
    expect(outcome.calls_of("tenant/compensate")).toEqual([]);
    expect(outcome.calls_of("tenant/record-failure")[0]).toMatchObject({
      workflow: "onboarding",
      name: "Acme",
      failure: { step: "validate-and-register", error: "InvalidInputError" },
    });
    expect(outcome.calls_of("tenant/record-failure")[0]).not.toHaveProperty("slug");
  });

  it("moves on as soon as the database's own AWS event wakes the wait, without waiting for the backstop", async () => {
    // Prepare: the first wait is never answered (the resource is still creating), the second is woken.
    const steps = happy();
    steps["tenant/check-database"] = (_, attempt) => (attempt < 2 ? creating : ready);
    steps["ops/await-resource"] = (_, attempt) => (attempt < 2 ? NO_ANSWER : { status: "available" });

    // Act
    const outcome = await run(onboardingDefinition, request, steps);

    // Assess
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.states.filter((state) => state === "CheckDatabase")).toHaveLength(2);
    expect(outcome.calls_of("ops/await-resource")[0]).toMatchObject({
      resourceArn: ready.clusterArn,
      kind: "rds-cluster",
      executionArn: EXECUTION,
      taskToken: expect.any(String),
    });
    // Woken at once the second time: the simulated time spent is the first backstop alone.
    const started = Date.parse(outcome.execution.startDate.toISOString());
    const stopped = Date.parse(String(outcome.execution.stopDate?.toISOString()));
    expect((stopped - started) / 60_000).toBeLessThan(16);
  });

  it("takes the fleet lock shared and the tenant's lock exclusively before creating anything, and gives them back", async () => {
    const outcome = await run(onboardingDefinition, request, happy());
    expect(outcome.calls_of("ops/acquire-locks")).toEqual([
      {
        locks: [
          { name: "fleet", mode: "shared" },
          { name: "tenant:acme", mode: "exclusive" },
        ],
        ttlSeconds: 4 * 3600,
        executionArn: EXECUTION,
      },
    ]);
    expect(outcome.calls_of("ops/release-locks")).toEqual([{ executionArn: EXECUTION }]);
  });

  it("waits while a failover holds the fleet lock, then fails named without creating anything", async () => {
    // Prepare
    const steps = happy();
    steps["ops/acquire-locks"] = () => ({
      acquired: false,
      heldBy: [
        { lock: "fleet", owner: "arn:failover", mode: "exclusive", until: "2026-11-22T12:00:00.000Z" },
      ],
      tookOver: [],
    });

    // Act
    const outcome = await run(onboardingDefinition, request, steps);

    // Assess
    expect(outcome.execution.status).toBe("FAILED");
    expect(outcome.execution.error).toBe("LocksHeldError");
    const recorded = outcome.calls_of("tenant/record-failure")[0] as { failure?: { cause?: string } };
    expect(String(recorded.failure?.cause)).toContain("lock fleet is held exclusive by arn:failover");
    expect(outcome.calls_of("tenant/provision-database")).toEqual([]);
    expect(outcome.calls_of("ops/acquire-locks").length).toBeGreaterThan(25); // once a minute for 30 minutes
    expect(outcome.calls_of("ops/release-locks")).toEqual([{ executionArn: EXECUTION }]);
    expect(outcome.states.slice(-6)).toEqual([
      "LocksBlocked",
      "Compensate",
      "ReportFailure",
      "RecordFailure",
      "ReleaseLocksAfterFailure",
      "OnboardingFailed",
    ]);
  });

  it("gives the locks back on the failure path, and a failing release never hides the step's error", async () => {
    const steps = happy();
    steps["tenant/migrate-database"] = () => {
      throw named("MigrationFailedError", "0002 failed");
    };
    steps["ops/release-locks"] = () => {
      throw named("AccessDeniedException", "no");
    };
    const outcome = await run(onboardingDefinition, request, steps);
    expect(outcome.execution.error).toBe("MigrationFailedError");
    expect(outcome.states).toContain("ReleaseLocksAfterFailure");
  });

  it("says why in the failure's cause, not only which error", async () => {
    const steps = happy();
    steps["tenant/validate-and-register"] = () => {
      throw named("InvalidSlugError", 'slug "Bad_Slug!" is not valid');
    };
    steps["tenant/record-failure"] = () => ({ recorded: true, reason: 'slug "Bad_Slug!" is not valid' });
    const outcome = await run(onboardingDefinition, request, steps);
    expect(outcome.execution.cause).toBe(
      'tenant onboarding failed at validate-and-register: InvalidSlugError: slug "Bad_Slug!" is not valid',
    );
  });
});
