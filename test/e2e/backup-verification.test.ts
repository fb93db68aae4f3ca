/**
 * Backup verification end to end on the local runtime: tenants onboarded by the real workflow, their
 * weekly snapshots taken by backup-snapshots, then backup-verification restoring each into a scratch
 * cluster, verifying it with SQL and cleaning up. After every run: nothing scratch is left and no
 * tenant cluster was changed by the run. Policy and data failures fail their tenant only.
 */
import { ModifyDBClusterCommand } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import {
  addRows,
  backupRuntime,
  expectNoScratch,
  failedCheckNames,
  newestSnapshot,
  onboard,
  outputOf,
  passTime,
  productionState,
  rds,
  run,
  sql,
  takeWeeklySnapshots,
  tenantOf,
  withoutSchedules,
} from "./backup-support.ts";

let runtime: Runtime;
const SLUGS = ["acme", "globex", "hooli", "umbrella"];

beforeAll(async () => {
  runtime = await backupRuntime();
  withoutSchedules(runtime);
  await onboard(runtime, [
    { name: "Acme", tier: "premium", rows: 40 },
    { name: "Globex", tier: "standard", rows: 25 },
    { name: "Hooli", tier: "basic", rows: 10 },
    { name: "Umbrella", tier: "standard", rows: 5 },
  ]);
  // A day later the daily automated snapshots hold the schema and the rows (available minutes later).
  await passTime(runtime, 24 * 3600_000 + 10 * 60_000);
  await takeWeeklySnapshots(runtime);
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

describe("backup verification", () => {
  it("verifies every tenant: policy, restore, data, restore time within the RTO, cleanup", async () => {
    const before = await productionState(SLUGS);

    const execution = await run(runtime, "backup-verification", { trigger: "manual" });

    const output = outputOf(execution);
    expect(output.outcome, JSON.stringify(output)).toBe("verified");
    expect(output.tenants.map((t) => t.slug).sort()).toEqual(SLUGS);
    for (const slug of SLUGS) {
      const tenant = tenantOf(output, slug);
      expect(tenant).toMatchObject({ outcome: "verified", failedChecks: [] });
      expect(tenant.restoreSeconds).toBeGreaterThanOrEqual(240);
      expect(tenant.restoreSeconds).toBeLessThanOrEqual(300);
    }
    const events = runtime.bus.events({ busName: "cplane" }).map((l) => l.event);
    const verified = events.filter(
      (e) =>
        e["detail-type"] === "Backup Verified" &&
        (e.detail as { executionArn: string }).executionArn === execution.executionArn,
    );
    expect(verified.map((e) => (e.detail as { slug: string }).slug).sort()).toEqual(SLUGS);
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);

  it("fails only the tenants whose restored data differs: row counts, checksum, schema version", async () => {
    // Prepare: acme's newest snapshot loses rows; globex's ledger moves on after its snapshot (0004);
    // hooli gets rows written before its snapshot's time that the snapshot does not hold.
    runtime.cloud.faults.corruptSnapshot(await newestSnapshot("acme"));
    await sql(
      "globex",
      "INSERT INTO cplane.schema_migrations (version, name) VALUES ('0004', 'late migration')",
    );
    await addRows(runtime, "hooli", 3, runtime.clock.now() - 48 * 3600_000);
    const before = await productionState(SLUGS);

    const output = outputOf(await run(runtime, "backup-verification", { trigger: "manual" }));

    expect(output.outcome).toBe("failed");
    expect(failedCheckNames(output, "acme"), JSON.stringify(tenantOf(output, "acme"))).toEqual(
      expect.arrayContaining(["checksum", "row-count"]),
    );
    expect(failedCheckNames(output, "globex")).toEqual(["checksum", "schema-version"]);
    expect(tenantOf(output, "globex").failedChecks).toContainEqual({
      check: "schema-version",
      values: { restored: "0003", ledger: "0004" },
    });
    expect(tenantOf(output, "hooli").failedChecks).toEqual([
      { check: "row-count", values: { table: "app.users", restored: 10, source: 13, tolerancePercent: 1 } },
      {
        check: "row-count",
        values: { table: "app.projects", restored: 10, source: 13, tolerancePercent: 1 },
      },
      {
        check: "row-count",
        values: { table: "app.audit_log", restored: 10, source: 13, tolerancePercent: 1 },
      },
    ]);
    expect(tenantOf(output, "umbrella")).toMatchObject({ outcome: "verified", failedChecks: [] });
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);

    await sql("globex", "DELETE FROM cplane.schema_migrations WHERE version = '0004'");
  }, 600_000);

  it("fails a tenant whose retention is not its tier's, and refuses unknown tenants before anything is restored", async () => {
    await rds().send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: "tenant-umbrella", BackupRetentionPeriod: 3 }),
    );
    const before = await productionState(SLUGS);

    const output = outputOf(
      await run(runtime, "backup-verification", {
        trigger: "manual",
        tenants: ["umbrella"],
        requestedBy: "test",
      }),
    );

    expect(output.tenants).toHaveLength(1);
    expect(tenantOf(output, "umbrella").failedChecks).toEqual([
      { check: "retention", values: { retentionDays: 3, requiredDays: 14 } },
    ]);
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
    await rds().send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: "tenant-umbrella", BackupRetentionPeriod: 14 }),
    );
    const reset = await productionState(SLUGS);

    const refused = await run(runtime, "backup-verification", {
      trigger: "manual",
      tenants: ["umbrella", "nobody"],
    });

    expect(refused.status).toBe("FAILED");
    expect(refused.error).toBe("UnknownTenantError");
    expect(refused.cause).toContain("nobody: not registered");
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(reset);
  }, 600_000);

  it("fails tenants whose latest automated snapshot is older than their tier allows", async () => {
    // Prepare: automated backups stop being taken (the next one is a month away), then two days pass.
    runtime.cloud.durations.automatedBackupInterval = 30 * 24 * 3600_000;
    await passTime(runtime, 25 * 3600_000);
    await passTime(runtime, 27 * 3600_000);
    const before = await productionState(SLUGS);

    const output = outputOf(
      await run(runtime, "backup-verification", { trigger: "manual", tenants: ["hooli", "umbrella"] }),
    );

    for (const slug of ["hooli", "umbrella"]) {
      const age = tenantOf(output, slug).failedChecks.find((c) => c.check === "snapshot-age");
      expect(age?.values).toMatchObject({ maxAgeHours: 26 });
      expect(Number(age?.values.ageHours)).toBeGreaterThan(26);
    }
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);
});
