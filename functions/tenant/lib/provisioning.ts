/** Creating a tenant's Aurora cluster and its instances, each call safe to repeat. */
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  type DBCluster,
  type Tag,
} from "@aws-sdk/client-rds";
import { optionalEnv } from "../../shared/env.ts";
import { clusterInstances, DATABASE_NAME, ENGINE, findCluster, rds } from "./database.ts";
import { DatabaseNotReadyError, isAwsError } from "./errors.ts";
import { TIERS, type Tier } from "./tiers.ts";

/** Creates the cluster, or returns the one another execution created in between. */
export async function createCluster(identifier: string, tier: Tier, tags: Tag[]): Promise<DBCluster> {
  const subnetGroup = optionalEnv("DB_SUBNET_GROUP", "");
  const securityGroups = optionalEnv("DB_SECURITY_GROUP_IDS", "");
  try {
    const { DBCluster } = await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: identifier,
        Engine: ENGINE,
        EngineVersion: optionalEnv("DB_ENGINE_VERSION", "16.6"),
        DatabaseName: DATABASE_NAME,
        MasterUsername: "cplane_admin",
        ManageMasterUserPassword: true,
        StorageEncrypted: true,
        DeletionProtection: true,
        BackupRetentionPeriod: TIERS[tier].backupRetentionDays,
        EnableHttpEndpoint: true,
        CopyTagsToSnapshot: true,
        ...(subnetGroup ? { DBSubnetGroupName: subnetGroup } : {}),
        ...(securityGroups ? { VpcSecurityGroupIds: securityGroups.split(",") } : {}),
        Tags: tags,
      }),
    );
    if (DBCluster) return DBCluster;
  } catch (error) {
    if (!isAwsError(error, "DBClusterAlreadyExistsFault")) throw error;
  }
  const cluster = await findCluster(identifier);
  if (!cluster) throw new DatabaseNotReadyError(`DB cluster ${identifier} is not visible yet`);
  return cluster;
}

/**
 * Creates the wanted instances the cluster does not have yet, the first as writer (promotion tier 0);
 * returns the ones it created.
 */
export async function ensureInstances(
  clusterIdentifier: string,
  wanted: readonly string[],
  tier: Tier,
  tags: Tag[],
): Promise<string[]> {
  const existing = new Set((await clusterInstances(clusterIdentifier)).map((i) => i.DBInstanceIdentifier));
  const created: string[] = [];
  for (const [index, identifier] of wanted.entries()) {
    if (existing.has(identifier)) continue;
    try {
      await rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          DBClusterIdentifier: clusterIdentifier,
          Engine: ENGINE,
          DBInstanceClass: TIERS[tier].instanceClass,
          PromotionTier: index,
          Tags: tags,
        }),
      );
      created.push(identifier);
    } catch (error) {
      if (!isAwsError(error, "DBInstanceAlreadyExistsFault")) throw error;
    }
  }
  return created;
}
