/**
 * Backup verification when things go wrong, end to end on the local runtime: no snapshot to restore,
 * RDS refusing the restore for a quota (retried, then failed, cleaned up), a restore stuck past its
 * deadline, a cleanup that fails once, a run cut off mid-way (its scratch removed by the sweeper's
 * schedule) and a region outage during a run. After each: nothing scratch is left, and no tenant
 * (production) cluster was changed by the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../local/runtime.ts";
import {
  backupRuntime,
  expectNoScratch,
  failedCheckNames,
  onboard,
  outputOf,
  passTime,
  productionState,
  run,
  scratchLeft,
  settle,
  statesEntered,
  takeWeeklySnapshots,
  taskFailures,
  tenantOf,
} from "./backup-support.ts";

let runtime: Runtime;
const SLUGS = ["globex", "hooli"];

beforeAll(async () => {
  runtime = await backupRuntime();
  // The sweeper's hourly schedule stays: the crash test relies on it. Runs are started by the tests.
  for (const name of ["nightly-backup-verification", "weekly-backup-snapshots"])
    runtime.scheduler.deleteSchedule({ Name: name });
  await onboard(runtime, [
    { name: "Globex", tier: "standard", rows: 12 },
    { name: "Hooli", tier: "basic", rows: 8 },
  ]);
  await passTime(runtime, 24 * 3600_000 + 10 * 60_000);
  await takeWeeklySnapshots(runtime);
}, 600_000);
afterAll(async () => {
  await runtime?.close();
});

/** Holds the instant clock still until released: what happens meanwhile happens at one simulated moment. */
function holdClock(): () => void {
  let release = () => {};
  void runtime.clock.track(new Promise<void>((resolve) => (release = resolve)));
  return release;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts a run of globex and hooli and waits, the clock held, until both wait for their scratch restore. */
async function startAndWaitForRestores(): Promise<{ executionArn: string; release: () => void }> {
  const release = holdClock();
  const { executionArn } = runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn("backup-verification"),
    input: JSON.stringify({ trigger: "manual", tenants: SLUGS }),
  });
  await until(
    () => statesEntered(runtime, executionArn).filter((s) => s === "WaitForRestore").length === 2,
    "both restores to be asked for",
  );
  return { executionArn, release };
}

describe("backup verification failures", () => {
  it("fails a tenant with no snapshot to restore, restoring nothing", async () => {
    // Prepare: a tenant whose snapshots never become available.
    runtime.cloud.durations.clusterSnapshot = 30 * 24 * 3600_000;
    await onboard(runtime, [{ name: "Initech", tier: "basic", rows: 3 }]);
    runtime.cloud.durations.clusterSnapshot = 4 * 60_000;
    const before = await productionState([...SLUGS, "initech"]);

    const execution = await run(runtime, "backup-verification", { trigger: "manual", tenants: ["initech"] });

    const output = outputOf(execution);
    expect(tenantOf(output, "initech")).toMatchObject({ outcome: "failed", restoreSeconds: null });
    expect(tenantOf(output, "initech").failedChecks).toContainEqual({
      check: "latest-snapshot",
      values: { available: 0 },
    });
    expect(failedCheckNames(output, "initech")).toEqual(["latest-snapshot", "weekly-snapshot"]);
    expect(statesEntered(runtime, execution.executionArn)).not.toContain("RestoreScratch");
    await expectNoScratch(runtime);
    expect(await productionState([...SLUGS, "initech"])).toEqual(before);
  }, 600_000);

  it("retries a restore RDS refuses for a quota, then fails the tenant and removes what it made", async () => {
    const fault = runtime.cloud.faults.fail({
      service: "RDS",
      operation: "CreateDBInstance",
      error: "InstanceQuotaExceeded",
      message: "DB instance quota exceeded",
    });
    const before = await productionState(SLUGS);

    const execution = await run(runtime, "backup-verification", { trigger: "manual", tenants: ["globex"] });
    runtime.cloud.faults.remove(fault);

    const output = outputOf(execution);
    expect(tenantOf(output, "globex").failedChecks).toEqual([
      expect.objectContaining({
        check: "restore",
        values: expect.objectContaining({ step: "restore-scratch", error: "RestoreQuotaExceededError" }),
      }),
    ]);
    // The first attempt and every retry of the standard Retry (6).
    expect(taskFailures(runtime, execution.executionArn, "RestoreQuotaExceededError")).toBe(7);
    expect(statesEntered(runtime, execution.executionArn)).toContain("Cleanup");
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);

  it("retries a cleanup that fails once; the tenant is verified and nothing is left", async () => {
    runtime.cloud.faults.fail({
      service: "RDS",
      operation: "DeleteDBCluster",
      error: "InvalidDBClusterStateFault",
      message: "DB cluster is busy",
      times: 1,
    });
    const before = await productionState(SLUGS);

    const execution = await run(runtime, "backup-verification", { trigger: "manual", tenants: ["hooli"] });

    expect(tenantOf(outputOf(execution), "hooli")).toMatchObject({ outcome: "verified", failedChecks: [] });
    expect(taskFailures(runtime, execution.executionArn, "ScratchBusyError")).toBe(1);
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);

  it("fails a restore stuck past its deadline; what cleanup could not remove yet, the sweeper does", async () => {
    runtime.cloud.durations.restoreFromSnapshot = 4 * 3600_000;
    const before = await productionState(SLUGS);

    const execution = await run(runtime, "backup-verification", { trigger: "manual", tenants: ["hooli"] });
    runtime.cloud.durations.restoreFromSnapshot = 4 * 60_000;

    const tenant = tenantOf(outputOf(execution), "hooli");
    expect(tenant.failedChecks).toContainEqual(
      expect.objectContaining({
        check: "restore",
        values: expect.objectContaining({ error: "RestoreTimedOutError" }),
      }),
    );
    expect(tenant.failedChecks).toContainEqual(
      expect.objectContaining({
        check: "cleanup",
        values: expect.objectContaining({ error: "ScratchBusyError" }),
      }),
    );
    expect(scratchLeft(runtime).some((id) => id.startsWith("scratch-hooli-"))).toBe(true);

    // The restore ends hours later; the hourly sweeper removes the cluster once it is 6 hours old.
    await passTime(runtime, 7 * 3600_000);
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);

  it("removes the scratch clusters of a run cut off mid-way, with the sweeper's schedule", async () => {
    const before = await productionState(SLUGS);
    const { executionArn, release } = await startAndWaitForRestores();

    runtime.engine.stopExecution(executionArn, { error: "Crashed", cause: "the test cut the run off" });
    release();
    await settle(runtime, executionArn);
    await passTime(runtime, 30 * 60_000);
    expect(scratchLeft(runtime).filter((id) => !id.endsWith("-1")).length).toBe(2);

    await passTime(runtime, 7 * 3600_000);

    await expectNoScratch(runtime);
    const sweeps = runtime.engine.listExecutions({
      stateMachineArn: runtime.stateMachineArn("backup-sweeper"),
      maxResults: 1000,
    }).executions;
    const removed = sweeps
      .map((e) => runtime.engine.describeExecution(e.executionArn))
      .flatMap((e) => (JSON.parse(e.output ?? "{}") as { removed?: { cluster: string }[] }).removed ?? [])
      .map((r) => r.cluster);
    expect(
      removed.filter((id) => id.startsWith("scratch-globex-") || id.startsWith("scratch-hooli-")).length,
    ).toBeGreaterThanOrEqual(2);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);

  it("fails every tenant of a region that goes down during the run; their scratch goes once it is back", async () => {
    const before = await productionState(SLUGS);
    const { executionArn, release } = await startAndWaitForRestores();

    runtime.cloud.faults.regionDown(runtime.region);
    release();
    const execution = await settle(runtime, executionArn);
    runtime.cloud.faults.regionUp(runtime.region);

    const output = outputOf(execution);
    expect(output.outcome).toBe("failed");
    for (const slug of SLUGS) expect(tenantOf(output, slug).outcome).toBe("failed");
    await passTime(runtime, 7 * 3600_000);
    await expectNoScratch(runtime);
    expect(await productionState(SLUGS)).toEqual(before);
  }, 600_000);
});
