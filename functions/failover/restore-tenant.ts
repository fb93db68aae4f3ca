/**
 * Restores a snapshot-tier tenant in the target region from its latest cross-region copy: the cluster
 * under the tenant's own identifier (identifiers are per region) and its writer instance, tagged for
 * the tenant and this execution. Adopts a cluster of the tenant already there (a retry, a redrive).
 * The RPO is the copy's age when the region was lost (the signal), not when its restore started.
 */
import { CreateDBInstanceCommand, RestoreDBClusterFromSnapshotCommand } from "@aws-sdk/client-rds";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { ENGINE, TAG_EXECUTION, TAG_TENANT, TAG_TIER, tagValue, tenantTags } from "../tenant/lib/database.ts";
import { isAwsError, ResourceOwnedByAnotherTenantError } from "../tenant/lib/errors.ts";
import { TIERS, Tier } from "../tenant/lib/tiers.ts";
import { rdsIn } from "./lib/aws.ts";
import { findClusterIn } from "./lib/dr-setup.ts";
import { NoRecoveryPointError } from "./lib/errors.ts";
import { drNames } from "./lib/names.ts";

export const RestoreTenantInput = z.object({
  subject: z.string().min(1),
  tenantId: z.string().min(1),
  tier: Tier,
  region: z.string().min(1),
  snapshotArn: z.string().nullable(),
  copyCreatedAt: z.string().nullable(),
  /** The time the copy's data is current to, when the copy pipeline proved it later than its creation. */
  copyDataAsOf: z.string().nullable().optional(),
  /** When the region was lost: the data the copy lacks is what was written from its data's time to then. */
  signalAt: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface RestoreResult {
  readonly clusterIdentifier: string;
  readonly created: boolean;
  readonly rpoSeconds: number | null;
  readonly startedAt: string;
}

export const handler = defineStep(RestoreTenantInput, async (input): Promise<RestoreResult> => {
  if (!input.snapshotArn)
    throw new NoRecoveryPointError(`tenant ${input.subject} has no copy in ${input.region} to restore from`);
  const names = drNames(input.subject);
  const now = awsNow();
  const rds = rdsIn(input.region);
  const owner = { slug: input.subject, tenantId: input.tenantId };
  const tags = tenantTags(owner, { [TAG_TIER]: input.tier, [TAG_EXECUTION]: input.executionArn });
  let cluster = await findClusterIn(input.region, names.clusterIdentifier);
  if (cluster && tagValue(cluster.TagList, TAG_TENANT) !== input.subject)
    throw new ResourceOwnedByAnotherTenantError(
      `DB cluster ${names.clusterIdentifier} in ${input.region} is not tagged for ${input.subject}`,
    );
  const created = !cluster;
  if (!cluster) {
    cluster = (
      await rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: names.clusterIdentifier,
          SnapshotIdentifier: input.snapshotArn,
          Engine: ENGINE,
          DeletionProtection: true,
          CopyTagsToSnapshot: true,
          Tags: tags,
        }),
      )
    ).DBCluster;
  }
  await rds
    .send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: names.writerIdentifier,
        DBClusterIdentifier: names.clusterIdentifier,
        Engine: ENGINE,
        DBInstanceClass: TIERS[input.tier].instanceClass,
        Tags: tags,
      }),
    )
    .catch((error: unknown) => {
      if (!isAwsError(error, "DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault")) throw error;
    });
  const asOf = input.copyDataAsOf ?? input.copyCreatedAt;
  const copyAt = asOf ? Date.parse(asOf) : Number.NaN;
  return {
    clusterIdentifier: cluster?.DBClusterIdentifier ?? names.clusterIdentifier,
    created,
    rpoSeconds: Number.isNaN(copyAt)
      ? null
      : Math.max(0, Math.round((Date.parse(input.signalAt) - copyAt) / 1000)),
    startedAt: new Date(now).toISOString(),
  };
});
