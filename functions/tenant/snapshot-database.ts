/**
 * Offboarding: take the tenant cluster's final snapshot (`tenant-<slug>-final`). A repeat finds the
 * snapshot already there; a tenant without a cluster (its onboarding failed early) has nothing to keep.
 * Taken where the tenant runs: after a failover, in the paired region.
 */
import { CreateDBClusterSnapshotCommand } from "@aws-sdk/client-rds";
import { z } from "zod";
import { TransientError } from "../shared/errors.ts";
import { defineStep } from "../shared/handler.ts";
import { assertOwnedBy, findCluster, rdsAt, TAG_TIER, tagValue, tenantTags } from "./lib/database.ts";
import { isAwsError } from "./lib/errors.ts";
import { TenantRef } from "./lib/inputs.ts";
import { tenantNames } from "./lib/slug.ts";

/** `region`: where the tenant runs (after a failover, the paired region); the stage's own when absent. */
export const SnapshotInput = TenantRef.extend({ region: z.string().min(1).optional() });

export interface SnapshotResult {
  /** The snapshot to wait for, or null when there is no cluster to snapshot. */
  readonly snapshotIdentifier: string | null;
  readonly clusterExists: boolean;
}

export const handler = defineStep(SnapshotInput, async (input): Promise<SnapshotResult> => {
  const names = tenantNames(input.slug);
  const cluster = await findCluster(names.clusterIdentifier, input.region);
  if (!cluster || cluster.Status === "deleting") return { snapshotIdentifier: null, clusterExists: false };
  assertOwnedBy(`DB cluster ${names.clusterIdentifier}`, cluster.TagList, input);
  try {
    await rdsAt(input.region).send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: names.clusterIdentifier,
        DBClusterSnapshotIdentifier: names.finalSnapshotIdentifier,
        Tags: tenantTags(input, {
          [TAG_TIER]: tagValue(cluster.TagList, TAG_TIER) ?? "unknown",
          "cplane:final-snapshot": "true",
        }),
      }),
    );
  } catch (error) {
    if (isAwsError(error, "InvalidDBClusterStateFault")) {
      throw new TransientError(`DB cluster ${names.clusterIdentifier} cannot be snapshotted right now`, {
        cause: error,
      });
    }
    if (!isAwsError(error, "DBClusterSnapshotAlreadyExistsFault")) throw error;
  }
  return { snapshotIdentifier: names.finalSnapshotIdentifier, clusterExists: true };
});
