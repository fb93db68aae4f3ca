/**
 * Step 2 of onboarding: the tenant's Aurora PostgreSQL cluster and its instances (a writer, and a
 * reader for premium), encrypted, deletion-protected, RDS-managed master secret, Data API on. An
 * existing cluster tagged for this tenant is adopted; one tagged for another tenant is refused.
 * Returns at once; the state machine waits for the cluster (check-database).
 */
import { defineStep } from "../shared/handler.ts";
import { assertOwnedBy, findCluster, TAG_EXECUTION, TAG_TIER, tagValue, tenantTags } from "./lib/database.ts";
import { now, TenantWithTier } from "./lib/inputs.ts";
import { createCluster, ensureInstances } from "./lib/provisioning.ts";
import { recordStep } from "./lib/registry.ts";
import { tenantNames } from "./lib/slug.ts";
import { TIERS } from "./lib/tiers.ts";

export const ProvisionInput = TenantWithTier;

export interface ProvisionResult {
  readonly clusterIdentifier: string;
  readonly clusterArn: string;
  /** True when this execution created the cluster (its tag `cplane:execution` says so), false when adopted. */
  readonly created: boolean;
  readonly instances: readonly string[];
  /** Instances this execution created (in an adopted cluster, only these are compensated). */
  readonly createdInstances: readonly string[];
}

export const handler = defineStep(ProvisionInput, async (input): Promise<ProvisionResult> => {
  const names = tenantNames(input.slug);
  const tags = tenantTags(input, { [TAG_TIER]: input.tier, [TAG_EXECUTION]: input.executionArn });

  const cluster =
    (await findCluster(names.clusterIdentifier)) ??
    (await createCluster(names.clusterIdentifier, input.tier, tags));
  assertOwnedBy(`DB cluster ${names.clusterIdentifier}`, cluster.TagList, input);
  const created = tagValue(cluster.TagList, TAG_EXECUTION) === input.executionArn;

  const wanted = [names.writerIdentifier, ...(TIERS[input.tier].readers > 0 ? [names.readerIdentifier] : [])];
  const createdInstances = await ensureInstances(names.clusterIdentifier, wanted, input.tier, tags);

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
