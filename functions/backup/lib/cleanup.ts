/** Deleting scratch resources: instances first, then the cluster, only ours, without a final snapshot. */
import { type DBCluster, DeleteDBClusterCommand, DeleteDBInstanceCommand } from "@aws-sdk/client-rds";
import { ScratchBusyError, ScratchNotOursError } from "./errors.ts";
import { isOurScratch, scratchNames, TAG_SCRATCH, tagValue } from "./names.ts";
import { findCluster, instancesOf, isAwsError, rdsIn } from "./rds.ts";

/** Statuses in which RDS accepts DeleteDBCluster (once the instances are going). */
const DELETABLE = new Set([
  "available",
  "stopped",
  "incompatible-restore",
  "failed",
  "inaccessible-encryption-credentials",
]);

/** Deletes this execution's scratch cluster for the tenant; returns what it removed. */
export async function deleteScratch(region: string, slug: string, executionArn: string): Promise<string[]> {
  const names = scratchNames(slug, executionArn);
  const cluster = await findCluster(region, names.cluster);
  if (!cluster) return [];
  if (!isOurScratch(cluster.TagList, executionArn))
    throw new ScratchNotOursError(`DB cluster ${names.cluster} is not this execution's scratch; left alone`);
  return removeScratchCluster(region, cluster);
}

/**
 * Deletes a scratch cluster (tagged `cplane:scratch`, whoever made it: the sweeper's case) and its
 * scratch instances. Returns the identifiers removed; throws ScratchBusyError while the cluster cannot go yet.
 */
export async function removeScratchCluster(region: string, cluster: DBCluster): Promise<string[]> {
  const id = cluster.DBClusterIdentifier ?? "";
  if (tagValue(cluster.TagList, TAG_SCRATCH) !== "true")
    throw new ScratchNotOursError(`DB cluster ${id} is not tagged scratch; left alone`);
  const rds = rdsIn(region);
  const removed: string[] = [];
  for (const instance of await instancesOf(region, id)) {
    if (instance.DBInstanceStatus === "deleting") continue;
    if (tagValue(instance.TagList, TAG_SCRATCH) !== "true")
      throw new ScratchNotOursError(
        `DB instance ${instance.DBInstanceIdentifier} in ${id} is not tagged scratch`,
      );
    try {
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instance.DBInstanceIdentifier }));
      removed.push(instance.DBInstanceIdentifier ?? "");
    } catch (error) {
      if (!isAwsError(error, "DBInstanceNotFound", "DBInstanceNotFoundFault")) throw error;
    }
  }
  if (cluster.Status === "deleting") return removed;
  if (!DELETABLE.has(cluster.Status ?? ""))
    throw new ScratchBusyError(
      `DB cluster ${id} is ${cluster.Status}; it can be deleted once the restore ends`,
    );
  try {
    await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }));
    removed.push(id);
  } catch (error) {
    if (isAwsError(error, "DBClusterNotFoundFault")) return removed;
    if (isAwsError(error, "InvalidDBClusterStateFault"))
      throw new ScratchBusyError(`DB cluster ${id} cannot be deleted yet: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
  return removed;
}
