/**
 * What the backup verification end-to-end tests share: a runtime with a few onboarded tenants holding
 * rows, runs of the backup workflows to their end, and the two invariants every test asserts after a
 * run: nothing scratch is left in the local cloud, and no tenant (production) cluster was changed.
 */
import { DescribeDBClusterSnapshotsCommand, DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { expect } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { createClock } from "../../local/clock/clock.ts";
import type { ExecutionDescription } from "../../local/engine/index.ts";
import { createRuntime, type Runtime } from "../../local/runtime.ts";

export const rds = (region?: string) =>
  createAwsClient(RDSClient, { trace: false, ...(region ? { region } : {}) });
const data = () => createAwsClient(RDSDataClient, { trace: false });

/**
 * Restores shortened to fit premium's 5-minute RTO (the defaults, 12 minutes, never do: the report
 * says so), clusters created faster so that onboarding a few tenants stays quick.
 */
export const TEST_DURATIONS = {
  restoreFromSnapshot: 4 * 60_000,
  auroraInstanceCreate: 3 * 60_000,
};

export async function backupRuntime(durations: Record<string, number> = {}): Promise<Runtime> {
  return createRuntime({
    clock: createClock({ mode: { kind: "instant" } }),
    durations: { ...TEST_DURATIONS, ...durations },
  });
}

/** Runs a workflow to its end (wall-time bound, for a loaded machine). */
export async function run(
  runtime: Runtime,
  workflow: string,
  input: unknown,
  name?: string,
): Promise<ExecutionDescription> {
  const { executionArn } = runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn(workflow),
    input: JSON.stringify(input),
    ...(name ? { name } : {}),
  });
  return settle(runtime, executionArn);
}

export async function settle(runtime: Runtime, executionArn: string): Promise<ExecutionDescription> {
  const deadline = Date.now() + 400_000;
  while (Date.now() < deadline) {
    const execution = runtime.engine.describeExecution(executionArn);
    if (execution.status !== "RUNNING") return execution;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${executionArn} did not end`);
}

export interface TenantSpec {
  readonly name: string;
  readonly tier: "premium" | "standard" | "basic";
  readonly rows: number;
}

/** Onboards the tenants (the real workflow) and gives each `rows` users and projects and audit rows. */
export async function onboard(runtime: Runtime, tenants: readonly TenantSpec[]): Promise<void> {
  // One at a time: several at once on a loaded 2-core machine starve the handlers past their timeouts.
  for (const t of tenants) {
    const execution = await run(runtime, "tenant-onboarding", {
      name: t.name,
      tier: t.tier,
      adminEmail: `ops@${t.name.toLowerCase()}.example`,
    });
    expect(execution.status, execution.cause).toBe("SUCCEEDED");
  }
  for (const t of tenants) await addRows(runtime, t.name.toLowerCase(), t.rows);
}

/** Rows written now, by the cloud's clock (the Data API's now() is the wall clock's). */
export async function addRows(
  runtime: Runtime,
  slug: string,
  rows: number,
  at = runtime.clock.now(),
): Promise<void> {
  const stamp = new Date(at).toISOString();
  await sql(
    slug,
    `INSERT INTO app.users (email, display_name, created_at) SELECT 'u' || g || '-' || md5(random()::text) || '@${slug}.example', 'User ' || g, '${stamp}'::timestamptz FROM generate_series(1, ${rows}) g;
     INSERT INTO app.projects (owner_id, name, created_at) SELECT id, 'Project of ' || display_name, '${stamp}'::timestamptz FROM app.users WHERE created_at = '${stamp}'::timestamptz;
     INSERT INTO app.audit_log (actor, action, at) SELECT 'seed', 'created ' || g, '${stamp}'::timestamptz FROM generate_series(1, ${rows}) g`,
  );
}

export async function sql(
  slug: string,
  statement: string,
  region?: string,
): Promise<Record<string, unknown>[]> {
  const { DBClusters } = await rds(region).send(
    new DescribeDBClustersCommand({ DBClusterIdentifier: `tenant-${slug}` }),
  );
  const cluster = DBClusters?.[0];
  const out = await data().send(
    new ExecuteStatementCommand({
      resourceArn: cluster?.DBClusterArn,
      secretArn: cluster?.MasterUserSecret?.SecretArn,
      sql: statement,
      formatRecordsAs: "JSON",
    }),
  );
  return JSON.parse(out.formattedRecords ?? "[]") as Record<string, unknown>[];
}

/** Scratch clusters and instances the local cloud holds now, in any region. */
export function scratchLeft(runtime: Runtime): string[] {
  const rdsState = runtime.cloud.describe().RDS ?? {};
  return Object.values(rdsState).flatMap((byKind) =>
    [...((byKind.clusters ?? []) as { id: string }[]), ...((byKind.instances ?? []) as { id: string }[])]
      .map((r) => r.id)
      .filter((id) => id.startsWith("scratch-")),
  );
}

/** Waits (on the instant clock, deletions take their simulated minutes) until nothing scratch is left. */
export async function expectNoScratch(runtime: Runtime): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (scratchLeft(runtime).length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  expect(scratchLeft(runtime)).toEqual([]);
}

/** What a production cluster is: settings, tags and data. A verification must change none of it. */
export async function productionState(slugs: readonly string[]): Promise<unknown> {
  const state: Record<string, unknown> = {};
  for (const slug of slugs) {
    const { DBClusters } = await rds().send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: `tenant-${slug}` }),
    );
    const c = DBClusters?.[0];
    const counts = await sql(
      slug,
      "SELECT (SELECT count(*) FROM app.users)::int AS users, (SELECT count(*) FROM app.projects)::int AS projects, (SELECT count(*) FROM app.audit_log)::int AS audit, (SELECT string_agg(version, ',' ORDER BY version) FROM cplane.schema_migrations) AS versions",
    );
    state[slug] = {
      status: c?.Status,
      retention: c?.BackupRetentionPeriod,
      deletionProtection: c?.DeletionProtection,
      encrypted: c?.StorageEncrypted,
      dataApi: c?.HttpEndpointEnabled,
      engine: c?.EngineVersion,
      tags: c?.TagList,
      data: counts,
    };
  }
  return state;
}

export interface RunOutput {
  readonly outcome: "verified" | "failed";
  readonly tenants: readonly {
    readonly slug: string;
    readonly outcome: "verified" | "failed";
    readonly restoreSeconds: number | null;
    readonly failedChecks: readonly { readonly check: string; readonly values: Record<string, unknown> }[];
  }[];
}

export function outputOf(execution: ExecutionDescription): RunOutput {
  expect(execution.status, execution.cause).toBe("SUCCEEDED");
  return JSON.parse(execution.output ?? "{}") as RunOutput;
}

export function tenantOf(output: RunOutput, slug: string) {
  const tenant = output.tenants.find((t) => t.slug === slug);
  if (!tenant) throw new Error(`no tenant ${slug} in ${JSON.stringify(output)}`);
  return tenant;
}

/** The schedules would start runs of their own as the tests move the clock: these tests start every run. */
export function withoutSchedules(runtime: Runtime): void {
  for (const name of [
    "nightly-backup-verification",
    "weekly-backup-snapshots",
    "backup-scratch-sweeper",
    "monthly-dr-drill",
    // The DR pipeline's own schedules (every 5 and 30 minutes) would run hundreds of times while these
    // tests move the clock a day: they are tested in the failover tests.
    "nightly-dr-drill",
    "dr-readiness",
    "dr-snapshot-copies",
  ]) {
    try {
      runtime.scheduler.deleteSchedule({ Name: name });
    } catch {
      // not loaded in this runtime
    }
  }
}

/** Every history event of an execution (all pages). */
export function historyOf(runtime: Runtime, executionArn: string) {
  const events = [];
  let nextToken: string | undefined;
  do {
    const page = runtime.engine.getExecutionHistory(executionArn, {
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The states an execution entered, in order (Map iterations included). */
export function statesEntered(runtime: Runtime, executionArn: string): string[] {
  return historyOf(runtime, executionArn)
    .filter((e) => e.type.endsWith("StateEntered"))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
}

export function failedCheckNames(output: RunOutput, slug: string): string[] {
  return [...new Set(tenantOf(output, slug).failedChecks.map((c) => c.check))].sort();
}

/** Task failures with this error name in the execution's history (each retry attempt is one). */
export function taskFailures(runtime: Runtime, executionArn: string, error: string): number {
  return historyOf(runtime, executionArn).filter(
    (e) => e.type === "TaskFailed" && JSON.stringify(e).includes(error),
  ).length;
}

/** The id of the newest available snapshot of the tenant's cluster (what a run restores). */
export async function newestSnapshot(slug: string): Promise<string> {
  const { DBClusterSnapshots = [] } = await rds().send(
    new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: `tenant-${slug}` }),
  );
  const newest = DBClusterSnapshots.filter((s) => s.Status === "available").sort(
    (a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0),
  )[0];
  if (!newest?.DBClusterSnapshotIdentifier) throw new Error(`no snapshot of ${slug}`);
  return newest.DBClusterSnapshotIdentifier;
}

/**
 * Lets `ms` of simulated time pass the way the instant clock passes it: jumping from timer to timer
 * only while nothing tracked runs, so that what fires on the way (schedules, their executions) ends
 * before time moves on (`clock.advance` would race past them).
 */
/**
 * Takes every tenant's weekly snapshot (backup-snapshots starts them and returns) and lets half an
 * hour pass, as the schedules do before the night's verification: a snapshot is available minutes after
 * it starts, and a verification started at once could find the weekly one still creating.
 */
export async function takeWeeklySnapshots(runtime: Runtime): Promise<void> {
  const weekly = await run(runtime, "backup-snapshots", { trigger: "manual" });
  expect(weekly.status, weekly.cause).toBe("SUCCEEDED");
  await passTime(runtime, 30 * 60_000);
}

export function passTime(runtime: Runtime, ms: number): Promise<void> {
  return new Promise((resolve) => {
    runtime.clock.setTimer(ms, () => resolve());
  });
}
