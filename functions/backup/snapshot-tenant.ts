/**
 * The weekly manual snapshot of one tenant (workflow backup-snapshots): `weekly-<cluster>-<date>`,
 * tagged `cplane:weekly` and with its retention (`cplane:retention-days` = 30), adopted when a retry
 * finds it made; then the tenant's weekly snapshots older than their retention are deleted (only
 * manual snapshots tagged weekly: final snapshots and others are never touched).
 */
import {
  CreateDBClusterSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { Target } from "./lib/inputs.ts";
import { tagValue } from "./lib/names.ts";
import { WEEKLY_SNAPSHOT_RETENTION_DAYS } from "./lib/policy.ts";
import { isAwsError, rdsIn } from "./lib/rds.ts";
import { TAG_RETENTION, TAG_WEEKLY, weeklySnapshotId, weeklyTags } from "./lib/weekly.ts";

export const SnapshotTenantInput = z.object({ target: Target, executionArn: z.string().min(1) });

export interface SnapshotTenantResult {
  readonly snapshot: string;
  readonly created: boolean;
  readonly pruned: readonly string[];
}

export const handler = defineStep(SnapshotTenantInput, async ({ target }): Promise<SnapshotTenantResult> => {
  const rds = rdsIn(target.region);
  const now = awsNow();
  const id = weeklySnapshotId(target.clusterIdentifier, new Date(now));
  let created = true;
  try {
    await rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: target.clusterIdentifier,
        DBClusterSnapshotIdentifier: id,
        Tags: weeklyTags(target.slug),
      }),
    );
  } catch (error) {
    if (!isAwsError(error, "DBClusterSnapshotAlreadyExistsFault")) throw error;
    created = false;
  }
  const { DBClusterSnapshots = [] } = await rds.send(
    new DescribeDBClusterSnapshotsCommand({
      DBClusterIdentifier: target.clusterIdentifier,
      SnapshotType: "manual",
      Filters: [{ Name: `tag:${TAG_WEEKLY}`, Values: ["true"] }],
    }),
  );
  const pruned: string[] = [];
  for (const snapshot of DBClusterSnapshots) {
    const keepDays = Number(tagValue(snapshot.TagList, TAG_RETENTION) ?? WEEKLY_SNAPSHOT_RETENTION_DAYS);
    const age = now - (snapshot.SnapshotCreateTime?.getTime() ?? now);
    if (snapshot.Status !== "available" || age <= keepDays * 86_400_000) continue;
    await rds.send(
      new DeleteDBClusterSnapshotCommand({
        DBClusterSnapshotIdentifier: snapshot.DBClusterSnapshotIdentifier,
      }),
    );
    pruned.push(snapshot.DBClusterSnapshotIdentifier ?? "");
  }
  return { snapshot: id, created, pruned };
});
