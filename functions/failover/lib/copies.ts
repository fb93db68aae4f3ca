/**
 * One round of the cross-region copy pipeline for a snapshot-tier tenant: start a DR snapshot when the
 * newest is older than the tier's cadence, copy the newest available one not yet in the paired region,
 * and keep only the newest copies there (and two snapshots at home). Each round moves each tenant one
 * step; nothing waits. A region that does not answer skips the tenant this round.
 */
import {
  CopyDBClusterSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  type Tag,
} from "@aws-sdk/client-rds";
import { awsNow } from "../../shared/aws-clients.ts";
import { isAwsError } from "../../tenant/lib/errors.ts";
import type { Tier } from "../../tenant/lib/tiers.ts";
import { rdsIn } from "./aws.ts";
import { DR_PROFILES, TAG_DR } from "./dr-profiles.ts";
import { drSnapshots } from "./dr-setup.ts";
import { accountOfArn, defaultRdsKey, drNames, stamp } from "./names.ts";

export interface CopyRound {
  readonly slug: string;
  readonly snapshotStarted?: string;
  readonly copyStarted?: string;
  readonly pruned: readonly string[];
}

const time = (value: Date | undefined) => value?.getTime() ?? 0;

export async function copyRound(
  tenant: { slug: string; tenantId: string; tier: Tier },
  home: string,
  target: string,
): Promise<CopyRound> {
  const profile = DR_PROFILES[tenant.tier];
  if (profile.strategy !== "snapshot-copy") return { slug: tenant.slug, pruned: [] };
  const names = drNames(tenant.slug);
  const now = awsNow();
  const atHome = (await drSnapshots(home, tenant.slug)).sort(
    (a, b) => time(b.SnapshotCreateTime) - time(a.SnapshotCreateTime),
  );
  const copies = (await drSnapshots(target, tenant.slug)).sort(
    (a, b) => time(b.SnapshotCreateTime) - time(a.SnapshotCreateTime),
  );
  const copied = new Set(copies.map((c) => c.DBClusterSnapshotIdentifier));
  const tags: Tag[] = [
    { Key: "cplane:tenant", Value: tenant.slug },
    { Key: "cplane:tenant-id", Value: tenant.tenantId },
    { Key: TAG_DR, Value: "true" },
  ];
  const round: { snapshotStarted?: string; copyStarted?: string; pruned: string[] } = { pruned: [] };

  const newest = atHome[0];
  if (!newest || now - time(newest.SnapshotCreateTime) >= profile.snapshotEverySeconds * 1000) {
    const id = `${names.snapshotPrefix}${stamp(now)}`;
    await rdsIn(home)
      .send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: names.clusterIdentifier,
          DBClusterSnapshotIdentifier: id,
          Tags: tags,
        }),
      )
      .then(
        () => (round.snapshotStarted = id),
        (error: unknown) => {
          // A cluster busy (backing up, modifying) or the same second's snapshot: next round.
          if (!isAwsError(error, "InvalidDBClusterStateFault", "DBClusterSnapshotAlreadyExistsFault"))
            throw error;
        },
      );
  }

  const toCopy = atHome.find((s) => s.Status === "available");
  if (toCopy?.DBClusterSnapshotArn && !copied.has(toCopy.DBClusterSnapshotIdentifier)) {
    await rdsIn(target)
      .send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: toCopy.DBClusterSnapshotArn,
          TargetDBClusterSnapshotIdentifier: toCopy.DBClusterSnapshotIdentifier,
          KmsKeyId: defaultRdsKey(target, accountOfArn(toCopy.DBClusterSnapshotArn)),
          Tags: tags,
        }),
      )
      .then(
        () => (round.copyStarted = toCopy.DBClusterSnapshotIdentifier),
        (error: unknown) => {
          if (!isAwsError(error, "DBClusterSnapshotAlreadyExistsFault")) throw error;
        },
      );
  }

  // Keep the newest copies that are available (never the last good one), and two snapshots at home.
  const available = copies.filter((c) => c.Status === "available");
  for (const old of available.slice(profile.keepCopies)) {
    await deleteSnapshot(target, old.DBClusterSnapshotIdentifier);
    round.pruned.push(`${target}/${old.DBClusterSnapshotIdentifier}`);
  }
  for (const old of atHome.filter((s) => s.Status === "available").slice(2)) {
    if (!copied.has(old.DBClusterSnapshotIdentifier)) continue;
    await deleteSnapshot(home, old.DBClusterSnapshotIdentifier);
    round.pruned.push(`${home}/${old.DBClusterSnapshotIdentifier}`);
  }
  return { slug: tenant.slug, ...round };
}

async function deleteSnapshot(region: string, identifier: string | undefined): Promise<void> {
  await rdsIn(region)
    .send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: identifier }))
    .catch((error: unknown) => {
      if (!isAwsError(error, "DBClusterSnapshotNotFoundFault", "InvalidDBClusterSnapshotStateFault"))
        throw error;
    });
}

/** The newest available copy of the tenant's DR snapshots in `region`, with its data's age. */
export async function latestCopy(region: string, slug: string, now = awsNow()) {
  const copies = (await drSnapshots(region, slug))
    .filter((c) => c.Status === "available")
    .sort((a, b) => time(b.SnapshotCreateTime) - time(a.SnapshotCreateTime));
  const newest = copies[0];
  if (!newest?.DBClusterSnapshotArn) return undefined;
  return {
    snapshotArn: newest.DBClusterSnapshotArn,
    snapshotIdentifier: newest.DBClusterSnapshotIdentifier ?? "",
    createdAt: new Date(time(newest.SnapshotCreateTime)).toISOString(),
    ageSeconds: Math.max(0, Math.round((now - time(newest.SnapshotCreateTime)) / 1000)),
  };
}
