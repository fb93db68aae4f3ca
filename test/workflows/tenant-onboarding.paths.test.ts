import { describe, expect, it } from "vitest";
import type { FunctionId } from "../../functions/shared/catalog.ts";
import { onboardingDefinition } from "../../workflows/tenant-onboarding.ts";
import { named, run, type ScriptedStep } from "./tenant-harness.ts";

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
    "tenant/provision-database": () => ({ clusterIdentifier: "tenant-acme", created: true }),
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
      "Announce",
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
      expect(outcome.states.slice(-4)).toEqual([state, "Compensate", "RecordFailure", "OnboardingFailed"]);
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
    expect(outcome.states.slice(-5)).toEqual([
      "IsDatabaseReady",
      "DatabaseTimedOut",
      "Compensate",
      "RecordFailure",
      "OnboardingFailed",
    ]);
    const polls = outcome.calls_of("tenant/check-database").length;
    expect(polls).toBeGreaterThan(40);
    expect(polls).toBeLessThan(50); // 30 s doubling to 120 s over 90 minutes, not a busy loop
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
      "RecordFailure",
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
});
