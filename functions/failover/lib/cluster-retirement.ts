/**
 * A tenant cluster that goes while its data may hold writes no copy has: the stale cluster a failover
 * left behind (reestablish.ts), or the cluster of a leaving tenant in a region offboarding could not
 * reach (lib/region-clearing.ts). A snapshot of it is kept first (`<cluster>-stale-<time>`, or the
 * tenant's final snapshot where the caller says offboarding took one), then deletion protection goes
 * off and its instances and the cluster are deleted, as offboarding deletes one (tenant/lib/deletion.ts).
 * One step per call, as far as it can go now, saying where it stands.
 */
import {
  CreateDBClusterSnapshotCommand,
  type DBCluster,
  DescribeDBClusterSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { awsNow } from "../../shared/aws-clients.ts";
import { TransientError } from "../../shared/errors.ts";
import { assertOwnedBy, type Owner, TAG_TENANT, tagValue } from "../../tenant/lib/database.ts";
import { deleteCluster } from "../../tenant/lib/deletion.ts";
import { rdsIn } from "./aws.ts";
import { drNames, stamp } from "./names.ts";

/** Which snapshot counts as the copy kept of the cluster before it goes. */
export interface KeptCopy {
  /**
   * ISO time: a `-stale-` snapshot taken before this is not this cluster's kept copy (one taken long
   * before, of an earlier cluster of the same identifier, lacks everything written since).
   */
  readonly after: string;
  /** The tenant's final snapshot counts too (offboarding took it of this cluster). */
  readonly final: boolean;
}

export type Retirement =
  /** No kept copy yet: its snapshot was started. */
  | { readonly state: "snapshotting"; readonly snapshot: string }
  /** The snapshot or the cluster is still busy, or the instances are still going: call again. */
  | { readonly state: "waiting"; readonly reason: string }
  /** Deleted (or on its way), after `kept`. */
  | { readonly state: "removed"; readonly removed: readonly string[]; readonly kept: string };

/**
 * Takes `cluster` (as described in `region`, in no global database) one step further out of `region`.
 * Refuses a cluster tagged for another tenant before anything changes.
 */
export async function retireCluster(
  region: string,
  cluster: DBCluster,
  owner: Owner,
  keep: KeptCopy,
): Promise<Retirement> {
  const identifier = cluster.DBClusterIdentifier ?? "";
  assertOwnedBy(`DB cluster ${identifier} in ${region}`, cluster.TagList, owner);
  const kept = await keptSnapshot(region, cluster, keep);
  if (!kept) {
    const snapshot = `${identifier}-stale-${stamp(awsNow())}`;
    await rdsIn(region).send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: identifier,
        DBClusterSnapshotIdentifier: snapshot,
        Tags: cluster.TagList,
      }),
    );
    return { state: "snapshotting", snapshot };
  }
  const keptId = kept.DBClusterSnapshotIdentifier ?? "";
  if (kept.Status !== "available")
    return { state: "waiting", reason: `snapshot ${keptId} is ${kept.Status}` };
  if (cluster.Status !== "available")
    return { state: "waiting", reason: `${identifier} in ${region} is ${cluster.Status}` };
  // The cluster is refused while its instances are still going: the next call deletes it.
  try {
    return { state: "removed", removed: await deleteCluster(identifier, owner, region), kept: keptId };
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    return { state: "waiting", reason: `${identifier} in ${region}: ${error.message}` };
  }
}

async function keptSnapshot(region: string, cluster: DBCluster, keep: KeptCopy) {
  const identifier = cluster.DBClusterIdentifier ?? "";
  const { DBClusterSnapshots } = await rdsIn(region).send(
    new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: identifier, SnapshotType: "manual" }),
  );
  const final = drNames(tagValue(cluster.TagList, TAG_TENANT) ?? "").finalSnapshotIdentifier;
  return (DBClusterSnapshots ?? []).find(
    (s) =>
      (keep.final && s.DBClusterSnapshotIdentifier === final) ||
      (s.DBClusterSnapshotIdentifier?.startsWith(`${identifier}-stale-`) &&
        (s.SnapshotCreateTime?.getTime() ?? 0) >= Date.parse(keep.after)),
  );
}
