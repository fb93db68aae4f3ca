/**
 * A tenant's secret replicated again once a lost region answers: an unplanned failover promoted the
 * replica in the region that serves now to a standalone secret (lib/secret-endpoint.ts), and the old
 * primary, stale, is still in the region that came back. The serving one is replicated over it
 * (`ForceOverwriteReplicaSecret`, only when the stale one is the same tenant's), so that both regions
 * read one value again and the next move writes it in one place. Nothing to do while the secret in
 * the serving region is a replica or is replicated already.
 */
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  ReplicateSecretToRegionsCommand,
} from "@aws-sdk/client-secrets-manager";
import { awsNow } from "../../shared/aws-clients.ts";
import { TAG_TENANT, tagValue } from "../../tenant/lib/database.ts";
import { isAwsError } from "../../tenant/lib/errors.ts";
import { tenantNames } from "../../tenant/lib/slug.ts";
import { otherRegion } from "./aws.ts";
import { secretsIn } from "./dr-space.ts";
import type { Inventory } from "./inventory.ts";

async function describeIn(region: string, name: string): Promise<DescribeSecretCommandOutput | undefined> {
  return secretsIn(region)
    .send(new DescribeSecretCommand({ SecretId: name }))
    .catch((error: unknown) => {
      if (isAwsError(error, "ResourceNotFoundException")) return undefined;
      throw error;
    });
}

/** How far ListSecrets may lag behind a change. */
const LISTING_LAG_MS = 5 * 60_000;

/**
 * Whether the listings (lib/inventory.ts) already show nothing to do: no secret where the tenant
 * serves, or a replica there, or a replica of it in the other region. False means "look closer".
 */
export async function secretInLine(inventory: Inventory, slug: string, serving: string): Promise<boolean> {
  const name = tenantNames(slug).secretName;
  const here = (await inventory.secrets(serving)).get(name);
  // ListSecrets may not show changes of the last five minutes (its API reference): a secret changed
  // since (a promotion) is looked at by name.
  const changed = here?.LastChangedDate?.getTime() ?? 0;
  if (awsNow() - changed < LISTING_LAG_MS) return false;
  if (!here || (here.PrimaryRegion ?? serving) !== serving) return true;
  return (await inventory.secrets(otherRegion(serving))).get(name)?.PrimaryRegion === serving;
}

/** Replicates the tenant's secret from `serving` to `other` when it is standalone there; says what it did. */
export async function reestablishReplica(
  slug: string,
  serving: string,
  other: string,
): Promise<string | undefined> {
  const name = tenantNames(slug).secretName;
  const here = await describeIn(serving, name);
  if (!here || here.DeletedDate || (here.PrimaryRegion ?? serving) !== serving) return undefined;
  if ((here.ReplicationStatus ?? []).some((r) => r.Region === other)) return undefined;
  const stale = await describeIn(other, name);
  if (stale && tagValue(stale.Tags, TAG_TENANT) !== slug) return undefined; // not ours to overwrite
  await secretsIn(serving).send(
    new ReplicateSecretToRegionsCommand({
      SecretId: name,
      AddReplicaRegions: [{ Region: other }],
      ForceOverwriteReplicaSecret: stale !== undefined,
    }),
  );
  return stale
    ? `secret replicated from ${serving} over the stale one in ${other}`
    : `secret replicated to ${other}`;
}
