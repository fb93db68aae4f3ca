/**
 * Step 2 of onboarding: the tenant's Aurora PostgreSQL cluster and its instances (a writer, and a
 * reader for premium), encrypted, deletion-protected, RDS-managed master secret, Data API on. An
 * existing cluster tagged for this tenant is adopted; one tagged for another tenant is refused.
 * Returns at once; the state machine waits for the cluster (check-database).
 */
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  type DBCluster,
  type Tag,
} from "@aws-sdk/client-rds";
import { optionalEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import {
  assertOwnedBy,
  clusterInstances,
  DATABASE_NAME,
  ENGINE,
  findCluster,
  rds,
  TAG_EXECUTION,
  TAG_TIER,
  tagValue,
  tenantTags,
} from "./lib/database.ts";
import { DatabaseNotReadyError, isAwsError } from "./lib/errors.ts";
import { now, TenantWithTier } from "./lib/inputs.ts";
import { recordStep } from "./lib/registry.ts";
import { tenantNames } from "./lib/slug.ts";
import { TIERS } from "./lib/tiers.ts";

export const ProvisionInput = TenantWithTier;

export interface ProvisionResult {
  readonly clusterIdentifier: string;
  readonly clusterArn: string;
  /** True when this execution created the cluster (compensation may delete it), false when adopted. */
  readonly created: boolean;
  readonly instances: readonly string[];
  /** Instances this execution created (in an adopted cluster, only these are compensated). */
  readonly createdInstances: readonly string[];
}

export const handler = defineStep(ProvisionInput, async (input): Promise<ProvisionResult> => {
  const names = tenantNames(input.slug);
  const profile = TIERS[input.tier];
  const tags = tenantTags(input, { [TAG_TIER]: input.tier, [TAG_EXECUTION]: input.executionArn });

  let cluster = await findCluster(names.clusterIdentifier);
  if (!cluster) cluster = await createCluster(names.clusterIdentifier, input.tier, tags);
  assertOwnedBy(`DB cluster ${names.clusterIdentifier}`, cluster.TagList, input);
  const created = tagValue(cluster.TagList, TAG_EXECUTION) === input.executionArn;

  const wanted = [names.writerIdentifier, ...(profile.readers > 0 ? [names.readerIdentifier] : [])];
  const existing = new Set(
    (await clusterInstances(names.clusterIdentifier)).map((i) => i.DBInstanceIdentifier),
  );
  const createdInstances: string[] = [];
  for (const [index, identifier] of wanted.entries()) {
    if (existing.has(identifier)) continue;
    try {
      await rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: identifier,
          DBClusterIdentifier: names.clusterIdentifier,
          Engine: ENGINE,
          DBInstanceClass: profile.instanceClass,
          PromotionTier: index,
          Tags: tags,
        }),
      );
      createdInstances.push(identifier);
    } catch (error) {
      if (!isAwsError(error, "DBInstanceAlreadyExistsFault")) throw error;
    }
  }

  await recordStep(input.slug, {
    at: now(),
    step: "provision-database",
    outcome: created ? "created" : "adopted",
    reason: `cluster ${names.clusterIdentifier}, instances ${wanted.join(", ")}`,
    executionArn: input.executionArn,
  });
  return {
    clusterIdentifier: names.clusterIdentifier,
    clusterArn: cluster.DBClusterArn ?? "",
    created,
    instances: wanted,
    createdInstances: created ? wanted : createdInstances,
  };
});

async function createCluster(identifier: string, tier: keyof typeof TIERS, tags: Tag[]): Promise<DBCluster> {
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
