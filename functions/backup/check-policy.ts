/**
 * Step 2, per tenant: the backup policy of its tier (lib/policy.ts), checked against RDS: the latest
 * automated snapshot (present, age), automated retention, encryption of the cluster and the snapshot,
 * and the weekly manual snapshot (present, at most 7 days old). Says what to restore from: the newest
 * available snapshot (automated or weekly), or the cluster at the point in time asked for. Changes nothing.
 */
import { DescribeDBClusterSnapshotsCommand } from "@aws-sdk/client-rds";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { SourceClusterNotFoundError } from "./lib/errors.ts";
import { type CheckResult, type RestoreSource, Target } from "./lib/inputs.ts";
import { BACKUP_POLICY, WEEKLY_SNAPSHOT_MAX_AGE_DAYS } from "./lib/policy.ts";
import { findCluster, rdsIn } from "./lib/rds.ts";
import { TAG_WEEKLY } from "./lib/weekly.ts";

export const CheckPolicyInput = z.object({
  target: Target,
  pointInTime: z.iso.datetime({ offset: true }).nullable(),
  executionArn: z.string().min(1),
});

export interface CheckPolicyResult {
  readonly checks: readonly CheckResult[];
  /** Null when there is nothing to restore from (no available snapshot). */
  readonly restoreFrom: RestoreSource | null;
  readonly source: { readonly clusterArn: string; readonly masterSecretArn: string };
}

const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;

export const handler = defineStep(
  CheckPolicyInput,
  async ({ target, pointInTime }): Promise<CheckPolicyResult> => {
    const policy = BACKUP_POLICY[target.tier];
    const rds = rdsIn(target.region);
    const cluster = await findCluster(target.region, target.clusterIdentifier);
    if (!cluster)
      throw new SourceClusterNotFoundError(`DB cluster ${target.clusterIdentifier} does not exist`);
    const now = awsNow();
    const available = async (type: "automated" | "manual", filters = {}) =>
      (
        (
          await rds.send(
            new DescribeDBClusterSnapshotsCommand({
              DBClusterIdentifier: target.clusterIdentifier,
              SnapshotType: type,
              ...filters,
            }),
          )
        ).DBClusterSnapshots ?? []
      )
        .filter((s) => s.Status === "available" && s.SnapshotCreateTime)
        .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0));
    const automated = await available("automated");
    const weekly = await available("manual", { Filters: [{ Name: `tag:${TAG_WEEKLY}`, Values: ["true"] }] });
    const latest = automated[0];
    const latestWeekly = weekly[0];

    const checks: CheckResult[] = [];
    checks.push({
      check: "latest-snapshot",
      ok: latest !== undefined,
      values: { available: automated.length },
    });
    if (latest?.SnapshotCreateTime) {
      const ageHours = hours(now - latest.SnapshotCreateTime.getTime());
      checks.push({
        check: "snapshot-age",
        ok: ageHours <= policy.maxSnapshotAgeHours,
        values: {
          snapshotId: latest.DBClusterSnapshotIdentifier ?? "",
          ageHours,
          maxAgeHours: policy.maxSnapshotAgeHours,
        },
      });
    }
    const retention = cluster.BackupRetentionPeriod ?? 0;
    checks.push({
      check: "retention",
      ok: retention >= policy.retentionDays,
      values: { retentionDays: retention, requiredDays: policy.retentionDays },
    });
    const snapshotEncrypted = latest ? latest.StorageEncrypted === true : null;
    checks.push({
      check: "encryption",
      ok: cluster.StorageEncrypted === true && snapshotEncrypted !== false,
      values: { cluster: cluster.StorageEncrypted === true, snapshot: snapshotEncrypted },
    });
    const weeklyAgeDays = latestWeekly?.SnapshotCreateTime
      ? Math.round(((now - latestWeekly.SnapshotCreateTime.getTime()) / 86_400_000) * 10) / 10
      : null;
    checks.push({
      check: "weekly-snapshot",
      ok: weeklyAgeDays !== null && weeklyAgeDays <= WEEKLY_SNAPSHOT_MAX_AGE_DAYS,
      values: {
        snapshotId: latestWeekly?.DBClusterSnapshotIdentifier ?? null,
        ageDays: weeklyAgeDays,
        maxAgeDays: WEEKLY_SNAPSHOT_MAX_AGE_DAYS,
      },
    });

    // The newest snapshot of either kind is what a restore after a disaster would use.
    const newest = [latest, latestWeekly]
      .filter((snapshot) => snapshot?.SnapshotCreateTime !== undefined)
      .sort((x, y) => (y?.SnapshotCreateTime?.getTime() ?? 0) - (x?.SnapshotCreateTime?.getTime() ?? 0))[0];
    const restoreFrom: RestoreSource | null =
      pointInTime !== null
        ? { kind: "point-in-time", asOf: pointInTime }
        : newest?.SnapshotCreateTime
          ? {
              kind: "snapshot",
              snapshotIdentifier: newest.DBClusterSnapshotIdentifier ?? "",
              snapshotArn: newest.DBClusterSnapshotArn ?? "",
              asOf: newest.SnapshotCreateTime.toISOString(),
            }
          : null;
    return {
      checks,
      restoreFrom,
      source: {
        clusterArn: cluster.DBClusterArn ?? "",
        masterSecretArn: cluster.MasterUserSecret?.SecretArn ?? "",
      },
    };
  },
);
