/**
 * One round of the cross-region copy pipeline for a snapshot-tier tenant: start a DR snapshot when the
 * newest is older than the tier's cadence and the cluster wrote since (a proven-unchanged cluster keeps
 * its snapshot: see writes.ts), copy the newest available one not yet in the paired region, and keep
 * only the newest copies there (and two snapshots at home). Each round moves each tenant one step;
 * nothing waits. The round's caller lists each region's DR snapshots once for every tenant.
 */
import {
  CopyDBClusterSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  type DBClusterSnapshot,
  DeleteDBClusterSnapshotCommand,
  paginateDescribeDBClusterSnapshots,
  type Tag,
} from "@aws-sdk/client-rds";
import { awsNow } from "../../shared/aws-clients.ts";
import { isAwsError } from "../../tenant/lib/errors.ts";
import type { Tier } from "../../tenant/lib/tiers.ts";
import { rdsIn } from "./aws.ts";
import { type CopyProof, dataAsOf } from "./copy-proofs.ts";
import { DR_PROFILES, TAG_DR } from "./dr-profiles.ts";
import { drSnapshotOwner, drSnapshots } from "./dr-setup.ts";
import { accountOfArn, defaultRdsKey, drNames, stamp } from "./names.ts";

export interface CopyRound {
  readonly slug: string;
  readonly snapshotStarted?: string;
  readonly copyStarted?: string;
  readonly pruned: readonly string[];
}

const time = (value: Date | undefined) => value?.getTime() ?? 0;
const newestFirst = (a: DBClusterSnapshot, b: DBClusterSnapshot) =>
  time(b.SnapshotCreateTime) - time(a.SnapshotCreateTime);

/**
 * Every tenant's DR snapshots in `region`, newest first, by tenant: one paged listing of the region's
 * manual cluster snapshots, instead of a call per tenant.
 */
export async function drSnapshotsByTenant(region: string): Promise<Map<string, DBClusterSnapshot[]>> {
  const out = new Map<string, DBClusterSnapshot[]>();
  const pages = paginateDescribeDBClusterSnapshots(
    { client: rdsIn(region), pageSize: 100 },
    { SnapshotType: "manual" },
  );
  for await (const page of pages) {
    for (const snapshot of page.DBClusterSnapshots ?? []) {
      const slug = drSnapshotOwner(snapshot);
      if (!slug) continue;
      const list = out.get(slug) ?? [];
      list.push(snapshot);
      out.set(slug, list);
    }
  }
  for (const list of out.values()) list.sort(newestFirst);
  return out;
}

/** Whether the tenant's newest DR snapshot at home is older than its tier's cadence (or missing). */
export function snapshotDue(tier: Tier, atHome: readonly DBClusterSnapshot[], now: number): boolean {
  const profile = DR_PROFILES[tier];
  if (profile.strategy !== "snapshot-copy") return false;
  const newest = atHome[0];
  return !newest || now - time(newest.SnapshotCreateTime) >= profile.snapshotEverySeconds * 1000;
}

export interface RoundInput {
  readonly tenant: { slug: string; tenantId: string; tier: Tier };
  readonly home: string;
  readonly target: string;
  /** The tenant's DR snapshots at home and in the target region, newest first. */
  readonly atHome: readonly DBClusterSnapshot[];
  readonly copies: readonly DBClusterSnapshot[];
  /** The cluster is proven not to have written since its newest snapshot: no new one is due. */
  readonly unchanged?: boolean;
}

export async function copyRound(input: RoundInput): Promise<CopyRound> {
  const { tenant, home, target, atHome, copies } = input;
  const profile = DR_PROFILES[tenant.tier];
  if (profile.strategy !== "snapshot-copy") return { slug: tenant.slug, pruned: [] };
  const names = drNames(tenant.slug);
  const now = awsNow();
  const copied = new Set(copies.map((c) => c.DBClusterSnapshotIdentifier));
  const tags: Tag[] = [
    { Key: "cplane:tenant", Value: tenant.slug },
    { Key: "cplane:tenant-id", Value: tenant.tenantId },
    { Key: TAG_DR, Value: "true" },
  ];
  const round: { snapshotStarted?: string; copyStarted?: string; pruned: string[] } = { pruned: [] };

  if (snapshotDue(tenant.tier, atHome, now) && !input.unchanged) {
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

/**
 * The newest available copy of the tenant's DR snapshots in `region`, with the time its data is
 * current to (its creation, or later when the copy pipeline proved the cluster unchanged since: `proof`)
 * and that data's age.
 */
export async function latestCopy(region: string, slug: string, now = awsNow(), proof?: CopyProof) {
  return newestCopy(await drSnapshots(region, slug), now, proof);
}

/** `latestCopy` of the tenant's DR snapshots in a region as already listed (lib/inventory.ts). */
export function newestCopy(snapshots: readonly DBClusterSnapshot[], now: number, proof?: CopyProof) {
  const copies = snapshots.filter((c) => c.Status === "available").sort(newestFirst);
  const newest = copies[0];
  if (!newest?.DBClusterSnapshotArn) return undefined;
  const snapshotIdentifier = newest.DBClusterSnapshotIdentifier ?? "";
  const asOf = dataAsOf({ snapshotIdentifier, createdAt: time(newest.SnapshotCreateTime) }, proof);
  return {
    snapshotArn: newest.DBClusterSnapshotArn,
    snapshotIdentifier,
    createdAt: new Date(time(newest.SnapshotCreateTime)).toISOString(),
    dataAsOf: new Date(asOf).toISOString(),
    ageSeconds: Math.max(0, Math.round((now - asOf) / 1000)),
  };
}
