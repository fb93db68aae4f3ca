import { describe, expect, it } from "vitest";
import type { FunctionId } from "../../functions/shared/catalog.ts";
import { offboardingDefinition } from "../../workflows/tenant-offboarding.ts";
import { named, run, type ScriptedStep } from "./tenant-harness.ts";

const EXECUTION = "arn:aws:states:us-east-1:000000000000:execution:tenant-workflow:run-1";
const started = {
  tenantId: "t-1",
  slug: "acme",
  tier: "standard",
  clusterIdentifier: "tenant-acme",
  finalSnapshotIdentifier: "tenant-acme-final",
  secretName: "cplane/tenants/acme/db",
  region: "us-east-1",
  startedAt: "2026-12-01T10:00:00.000Z",
  alreadyOffboarded: false,
};
const TENANT = { tenantId: "t-1", slug: "acme", executionArn: EXECUTION };

function happy(): Partial<Record<FunctionId, ScriptedStep>> {
  return {
    "tenant/start-offboarding": () => started,
    // The DR removal is done on the second look (a secondary's instances take a while to go).
    "failover/remove-dr": (_, attempt) => ({
      done: attempt >= 2,
      removed: [],
      region: "us-east-1",
      leftovers: [],
      writerHeld: false,
    }),
    "tenant/snapshot-database": () => ({ snapshotIdentifier: "tenant-acme-final", clusterExists: true }),
    "tenant/check-snapshot": (_, attempt) => ({
      status: attempt < 2 ? "creating" : "available",
      ready: attempt >= 2,
      failed: false,
    }),
    "tenant/delete-database": () => ({ removed: ["db-cluster:tenant-acme"] }),
    "tenant/remove-namespace": () => ({ removed: ["namespace:acme"], leftovers: [] }),
    "tenant/retire-secret": () => ({
      secretName: "cplane/tenants/acme/db",
      deletionDate: null,
      recoveryWindowDays: 30,
      leftovers: [],
    }),
    "tenant/finish-offboarding": (payload) => ({ ...payload, status: "offboarded" }),
    "tenant/record-failure": () => ({ recorded: true }),
  };
}

describe("tenant offboarding on the local engine", () => {
  it("snapshots, waits for the snapshot, then deletes database, namespace and secret, and announces", async () => {
    // Act
    const outcome = await run(offboardingDefinition, { tenantId: "t-1", reason: "contract ended" }, happy());

    // Assess
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.states).toEqual([
      "Initialize",
      "StartOffboarding",
      "IsAlreadyOffboarded",
      "AcquireLocks",
      "AreLocksAcquired",
      "RemoveDr",
      "IsDrRemoved",
      "WaitForDrRemoval",
      "CheckDrRemoval",
      "IsDrRemovalReady",
      "SnapshotDatabase",
      "HasDatabase",
      "WaitForSnapshot",
      "CheckSnapshot",
      "IsSnapshotReady",
      "WaitForSnapshot",
      "CheckSnapshot",
      "IsSnapshotReady",
      "IsWriterHeld",
      "DeleteDatabase",
      "RemoveNamespace",
      "RetireSecret",
      "RecordReport",
      "FinishOffboarding",
      "ReleaseLocks",
      "Offboarded",
    ]);
    expect(outcome.calls_of("tenant/start-offboarding")).toEqual([
      { tenantId: "t-1", reason: "contract ended", executionArn: EXECUTION },
    ]);
    expect(outcome.calls_of("tenant/delete-database")).toEqual([
      { ...TENANT, region: "us-east-1", snapshotIdentifier: "tenant-acme-final" },
    ]);
    expect(outcome.calls_of("tenant/finish-offboarding")).toEqual([
      {
        ...TENANT,
        region: "us-east-1",
        snapshotIdentifier: "tenant-acme-final",
        leftovers: [],
        report: {
          outcome: "succeeded",
          reason: "tenant acme is offboarded; final snapshot tenant-acme-final in us-east-1",
          durationSeconds: 0,
          figures: [],
        },
      },
    ]);
    expect(outcome.output).toMatchObject({ status: "offboarded", snapshotIdentifier: "tenant-acme-final" });
  });

  it("skips the snapshot and the database when the tenant has no cluster", async () => {
    const steps = happy();
    steps["tenant/snapshot-database"] = () => ({ snapshotIdentifier: null, clusterExists: false });
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.states).not.toContain("DeleteDatabase");
    expect(outcome.calls_of("tenant/finish-offboarding")).toEqual([
      {
        ...TENANT,
        region: "us-east-1",
        snapshotIdentifier: null,
        leftovers: [],
        report: expect.objectContaining({ reason: "tenant acme is offboarded" }),
      },
    ]);
  });

  it("after a failover: acts where the tenant runs, keeps a held writer, and hands on every leftover", async () => {
    // Prepare: the tenant runs in the paired region (a failover moved it while offboarding waited for
    // the fleet: the DR step reads it under the locks); home does not answer.
    const steps = happy();
    const leftover = (resource: string) => ({
      region: "us-east-1",
      resource,
      reason: "us-east-1 did not answer",
    });
    steps["failover/remove-dr"] = () => ({
      done: true,
      removed: [],
      region: "us-west-2",
      leftovers: [
        leftover("DB cluster tenant-acme"),
        { region: "us-west-2", resource: "DB cluster tenant-acme and global database", reason: "writer" },
      ],
      writerHeld: true,
    });
    steps["tenant/remove-namespace"] = () => ({ removed: [], leftovers: [leftover("namespace acme")] });
    steps["tenant/retire-secret"] = () => ({
      secretName: "cplane/tenants/acme/db",
      deletionDate: null,
      recoveryWindowDays: 30,
      leftovers: [leftover("secret cplane/tenants/acme/db")],
    });

    // Act
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);

    // Assess
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.states).not.toContain("DeleteDatabase");
    for (const step of ["tenant/snapshot-database", "tenant/retire-secret"] as const)
      expect(outcome.calls_of(step)[0], step).toMatchObject({ region: "us-west-2" });
    expect(outcome.calls_of("tenant/check-snapshot")[0]).toMatchObject({ region: "us-west-2" });
    const [finish] = outcome.calls_of("tenant/finish-offboarding") as { leftovers: { resource: string }[] }[];
    expect(finish?.leftovers.map((l) => l.resource)).toEqual([
      "DB cluster tenant-acme",
      "DB cluster tenant-acme and global database",
      "namespace acme",
      "secret cplane/tenants/acme/db",
    ]);
    expect(finish).toMatchObject({
      region: "us-west-2",
      report: expect.objectContaining({
        reason: expect.stringContaining(
          "left for the DR readiness run, in regions that did not answer: us-east-1: DB cluster tenant-acme;",
        ),
      }),
    });
  });

  it("hands on a single leftover as a list", async () => {
    const steps = happy();
    steps["tenant/remove-namespace"] = () => ({
      removed: [],
      leftovers: [{ region: "us-east-1", resource: "namespace acme", reason: "us-east-1 did not answer" }],
    });
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);
    expect(outcome.calls_of("tenant/finish-offboarding")[0]).toMatchObject({
      leftovers: [{ region: "us-east-1", resource: "namespace acme", reason: "us-east-1 did not answer" }],
    });
  });

  it("refuses a tenant still onboarding: records the failure and fails without deleting anything", async () => {
    // Prepare
    const steps = happy();
    steps["tenant/start-offboarding"] = () => {
      throw named("TenantStillOnboardingError", "tenant acme is still onboarding");
    };

    // Act
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);

    // Assess
    expect(outcome.execution.status).toBe("FAILED");
    expect(outcome.execution.error).toBe("TenantStillOnboardingError");
    expect(outcome.states).toEqual([
      "Initialize",
      "StartOffboarding",
      "ReportFailure",
      "RecordFailure",
      "ReleaseLocksAfterFailure",
      "OffboardingFailed",
    ]);
    expect(outcome.calls_of("tenant/record-failure")[0]).toMatchObject({
      workflow: "offboarding",
      failure: { step: "start-offboarding", error: "TenantStillOnboardingError" },
    });
  });

  it("never deletes the database when the snapshot fails", async () => {
    const steps = happy();
    steps["tenant/check-snapshot"] = () => ({ status: "failed", ready: false, failed: true });
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);
    expect(outcome.execution.error).toBe("FinalSnapshotFailedError");
    expect(outcome.calls_of("tenant/delete-database")).toEqual([]);
  });

  it("gives up waiting for the snapshot at the deadline, keeping the database", async () => {
    const steps = happy();
    steps["tenant/check-snapshot"] = () => ({ status: "creating", ready: false, failed: false });
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);
    expect(outcome.execution.error).toBe("FinalSnapshotTimeoutError");
    expect(outcome.calls_of("tenant/delete-database")).toEqual([]);
  });

  it("retries while deletion protection must stay on, then deletes", async () => {
    const steps = happy();
    steps["tenant/delete-database"] = (_, attempt) => {
      if (attempt === 1) throw named("SnapshotNotReadyError");
      return { removed: ["db-cluster:tenant-acme"] };
    };
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);
    expect(outcome.execution.status).toBe("SUCCEEDED");
    expect(outcome.calls_of("tenant/delete-database")).toHaveLength(2);
  });

  it("ends at once for a tenant already offboarded", async () => {
    const steps = happy();
    steps["tenant/start-offboarding"] = () => ({ ...started, alreadyOffboarded: true });
    const outcome = await run(offboardingDefinition, { slug: "acme" }, steps);
    expect(outcome.states).toEqual([
      "Initialize",
      "StartOffboarding",
      "IsAlreadyOffboarded",
      "AlreadyOffboarded",
    ]);
    expect(outcome.output).toEqual({ tenantId: "t-1", slug: "acme", status: "offboarded" });
  });
});
