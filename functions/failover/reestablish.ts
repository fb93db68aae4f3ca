/**
 * Re-establishing DR once a lost region answers again (run before each readiness check). Global
 * databases need nothing: the old writer stays a member and becomes a secondary again when its region
 * is back. Snapshot-tier tenants restored elsewhere left their old cluster behind, stale since the
 * outage: it is snapshotted (`tenant-<slug>-stale-<time>`, kept for reconciling the writes the copy
 * lacked), then deleted, so that a planned switchback can restore there again. Copies resume by
 * themselves, from the tenant's new region. Two passes: the snapshot first, the deletion once it is
 * available. Every tenant's secret, promoted to a standalone secret where it serves now, is replicated
 * again over the stale one (lib/secret-replication.ts). A region still down is left for the next run.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { TAG_TENANT, tagValue } from "../tenant/lib/database.ts";
import { isAwsError } from "../tenant/lib/errors.ts";
import { now } from "../tenant/lib/inputs.ts";
import { listTenantBriefs, recordStep } from "../tenant/lib/registry.ts";
import { isOutage, otherRegion, regionPair } from "./lib/aws.ts";
import { retireCluster } from "./lib/cluster-retirement.ts";
import { DR_PROFILES, TAG_DR } from "./lib/dr-profiles.ts";
import { findClusterIn } from "./lib/dr-setup.ts";
import { Inventory } from "./lib/inventory.ts";
import { drNames } from "./lib/names.ts";
import { reestablishReplica, secretInLine } from "./lib/secret-replication.ts";

export const ReestablishInput = z.object({ executionArn: z.string().min(1) });

export interface ReestablishResult {
  readonly snapshotted: readonly string[];
  readonly removed: readonly string[];
  readonly waiting: readonly string[];
  /** Tenants whose secret was replicated again, with what was done. */
  readonly secrets: readonly string[];
}

export const handler = defineStep(ReestablishInput, async (input): Promise<ReestablishResult> => {
  const result = {
    snapshotted: [] as string[],
    removed: [] as string[],
    waiting: [] as string[],
    secrets: [] as string[],
  };
  const active = (await listTenantBriefs()).filter((t) => t.status === "active");
  // Who needs a closer look, from one listing per region (lib/inventory.ts); those are read again.
  const inventory = new Inventory();
  for (const tenant of active) {
    const serving = tenant.region || regionPair().home;
    try {
      if (await secretInLine(inventory, tenant.slug, serving)) continue;
      const done = await reestablishReplica(tenant.slug, serving, otherRegion(serving));
      if (done) result.secrets.push(`${tenant.slug}: ${done}`);
    } catch (error) {
      if (!isOutage(error)) throw error;
    }
  }
  const tenants = active.filter((t) => DR_PROFILES[t.tier].strategy === "snapshot-copy");
  for (const tenant of tenants) {
    const home = tenant.region || regionPair().home;
    const old = otherRegion(home);
    const names = drNames(tenant.slug);
    try {
      // The listing names the candidates; what is acted on is read again.
      if (!(await inventory.cluster(old, names.clusterIdentifier))) continue;
      const stale = await findClusterIn(old, names.clusterIdentifier);
      if (!stale || stale.Status === "deleting" || stale.GlobalClusterIdentifier) continue;
      if (tagValue(stale.TagList, TAG_TENANT) !== tenant.slug || tagValue(stale.TagList, TAG_DR) === "true")
        continue;
      // Only a snapshot taken since this cluster was made is its kept copy (an earlier `-stale-` one is
      // of the cluster an earlier failover left here).
      const retired = await retireCluster(old, stale, tenant, {
        after: new Date(stale.ClusterCreateTime ?? 0).toISOString(),
        final: false,
      });
      if (retired.state === "snapshotting") {
        result.snapshotted.push(`${old}/${retired.snapshot}`);
        continue;
      }
      if (retired.state === "waiting") {
        result.waiting.push(tenant.slug);
        continue;
      }
      result.removed.push(`${old}/${names.clusterIdentifier}`);
      await recordStep(tenant.slug, {
        at: now(),
        step: "reestablish-dr",
        outcome: "removed",
        reason: `stale cluster in ${old} removed after its snapshot ${retired.kept}; copies now go from ${home} to ${old}`,
        executionArn: input.executionArn,
      });
    } catch (error) {
      if (isOutage(error)) continue;
      if (
        isAwsError(
          error,
          "InvalidDBClusterStateFault",
          "InvalidDBInstanceState",
          "InvalidDBInstanceStateFault",
        )
      ) {
        result.waiting.push(tenant.slug);
        continue;
      }
      throw error;
    }
  }
  return result;
});
