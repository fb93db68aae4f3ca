/**
 * Step 3, per tenant: restore into a scratch cluster with one scratch instance, named after the tenant
 * and this execution (a retry or redrive adopts what it made before), tagged `cplane:scratch` with the
 * execution's ARN, deletion protection off, in the isolated subnet group and security group, never
 * publicly accessible. From the latest snapshot or to a point in time. Returns at once; the state
 * machine waits for the cluster (check-scratch). A quota refusal is retried, then fails the tenant.
 */
import {
  CreateDBInstanceCommand,
  type DBCluster,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { z } from "zod";
import { optionalEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { TIERS } from "../tenant/lib/tiers.ts";
import { RestoreQuotaExceededError, ScratchNotOursError } from "./lib/errors.ts";
import { now, RestoreSource, Target } from "./lib/inputs.ts";
import { isOurScratch, scratchNames, scratchTags, TAG_CREATED, tagValue } from "./lib/names.ts";
import { findCluster, instancesOf, isAwsError, rdsIn } from "./lib/rds.ts";

export const RestoreScratchInput = z.object({
  target: Target,
  restoreFrom: RestoreSource,
  executionArn: z.string().min(1),
});

export interface RestoreScratchResult {
  readonly clusterIdentifier: string;
  readonly clusterArn: string;
  readonly instanceIdentifier: string;
  /** When the restore was asked for: restore time counts from here. */
  readonly requestedAt: string;
  /** False when this execution's scratch cluster existed already (a retry) and was adopted. */
  readonly created: boolean;
}

/** RDS's quota refusals (account limits on clusters, instances, storage). */
const QUOTA_ERRORS = ["DBClusterQuotaExceededFault", "InstanceQuotaExceeded", "StorageQuotaExceeded"];

/** Where scratch clusters live: a subnet group and security group that reach nothing but the Data API. */
const isolation = () => {
  const subnetGroup = optionalEnv("SCRATCH_DB_SUBNET_GROUP", "");
  const securityGroups = optionalEnv("SCRATCH_SECURITY_GROUP_IDS", "");
  return {
    ...(subnetGroup ? { DBSubnetGroupName: subnetGroup } : {}),
    ...(securityGroups ? { VpcSecurityGroupIds: securityGroups.split(",") } : {}),
  };
};

async function quotaChecked<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (isAwsError(error, ...QUOTA_ERRORS))
      throw new RestoreQuotaExceededError(`${what}: ${error.name}: ${error.message}`, { cause: error });
    throw error;
  }
}

export const handler = defineStep(RestoreScratchInput, async (input): Promise<RestoreScratchResult> => {
  const { target, restoreFrom, executionArn } = input;
  const rds = rdsIn(target.region);
  const names = scratchNames(target.slug, executionArn);
  let cluster: DBCluster | undefined = await findCluster(target.region, names.cluster);
  const created = cluster === undefined;
  if (cluster && !isOurScratch(cluster.TagList, executionArn))
    throw new ScratchNotOursError(`DB cluster ${names.cluster} exists and is not this execution's scratch`);
  const requestedAt = cluster ? (tagValue(cluster.TagList, TAG_CREATED) ?? now()) : now();
  if (!cluster) {
    const common = {
      DBClusterIdentifier: names.cluster,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      Tags: scratchTags(target.slug, executionArn, requestedAt),
      ...isolation(),
    };
    const restored =
      restoreFrom.kind === "snapshot"
        ? rds.send(
            new RestoreDBClusterFromSnapshotCommand({
              ...common,
              SnapshotIdentifier: restoreFrom.snapshotIdentifier,
              Engine: "aurora-postgresql",
            }),
          )
        : rds.send(
            new RestoreDBClusterToPointInTimeCommand({
              ...common,
              SourceDBClusterIdentifier: target.clusterIdentifier,
              RestoreToTime: new Date(restoreFrom.asOf),
            }),
          );
    cluster = (await quotaChecked(restored, `restore of ${target.clusterIdentifier}`)).DBCluster;
  }
  const instances = await instancesOf(target.region, names.cluster);
  if (!instances.some((i) => i.DBInstanceIdentifier === names.instance)) {
    await quotaChecked(
      rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: names.instance,
          DBClusterIdentifier: names.cluster,
          Engine: "aurora-postgresql",
          DBInstanceClass: TIERS[target.tier].instanceClass,
          PubliclyAccessible: false,
          Tags: scratchTags(target.slug, executionArn, requestedAt),
        }),
      ),
      `scratch instance ${names.instance}`,
    );
  }
  return {
    clusterIdentifier: names.cluster,
    clusterArn: cluster?.DBClusterArn ?? "",
    instanceIdentifier: names.instance,
    requestedAt,
    created,
  };
});
