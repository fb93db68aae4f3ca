/** Deleting a tenant's Aurora cluster: protection off, instances, then the cluster. */
import { DeleteDBClusterCommand, DeleteDBInstanceCommand, ModifyDBClusterCommand } from "@aws-sdk/client-rds";
import { TransientError } from "../../shared/errors.ts";
import { assertOwnedBy, clusterInstances, findCluster, type Owner, rdsAt } from "./database.ts";
import { isAwsError } from "./errors.ts";

/** Deletes the given instances; ones already gone or going are skipped. */
export async function deleteInstances(identifiers: readonly string[], region?: string): Promise<string[]> {
  const rds = rdsAt(region);
  const removed: string[] = [];
  for (const identifier of identifiers) {
    try {
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: identifier }));
      removed.push(`db-instance:${identifier}`);
    } catch (error) {
      if (isAwsError(error, "DBInstanceNotFoundFault")) continue;
      if (isAwsError(error, "InvalidDBInstanceStateFault")) {
        throw new TransientError(`DB instance ${identifier} cannot be deleted in its current state`, {
          cause: error,
        });
      }
      throw error;
    }
  }
  return removed;
}

/**
 * Deletes the tenant's cluster and its instances, after checking it is the tenant's, without an RDS
 * final snapshot (offboarding takes its own first). Deletion protection is turned off here, so callers
 * must only call this once any snapshot they need is available. In `region` (the stage's by default).
 */
export async function deleteCluster(identifier: string, owner: Owner, region?: string): Promise<string[]> {
  const rds = rdsAt(region);
  const cluster = await findCluster(identifier, region);
  if (!cluster || cluster.Status === "deleting") return [];
  assertOwnedBy(`DB cluster ${identifier}`, cluster.TagList, owner);
  const removed: string[] = [];
  if (cluster.DeletionProtection) {
    await rds
      .send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: identifier,
          DeletionProtection: false,
          ApplyImmediately: true,
        }),
      )
      .catch((error: unknown) => {
        if (isAwsError(error, "InvalidDBClusterStateFault")) {
          throw new TransientError(`DB cluster ${identifier} cannot be modified in its current state`, {
            cause: error,
          });
        }
        throw error;
      });
  }
  const instances = (await clusterInstances(identifier, region))
    .filter((instance) => instance.DBInstanceStatus !== "deleting")
    .map((instance) => instance.DBInstanceIdentifier ?? "")
    .filter((id) => id !== "");
  removed.push(...(await deleteInstances(instances, region)));
  try {
    await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: identifier, SkipFinalSnapshot: true }));
    removed.push(`db-cluster:${identifier}`);
  } catch (error) {
    if (isAwsError(error, "DBClusterNotFoundFault")) return removed;
    if (isAwsError(error, "InvalidDBClusterStateFault")) {
      throw new TransientError(`DB cluster ${identifier} cannot be deleted in its current state`, {
        cause: error,
      });
    }
    throw error;
  }
  return removed;
}
