/**
 * The copy schedule's step: one round of the cross-region copy pipeline for every active standard and
 * basic tenant (a DR snapshot at the tier's cadence, its copy to the paired region, old copies pruned).
 * A tenant whose region does not answer is skipped this round and named.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { listTenants } from "../tenant/lib/registry.ts";
import { isOutage, otherRegion, regionPair } from "./lib/aws.ts";
import { type CopyRound, copyRound } from "./lib/copies.ts";
import { DR_PROFILES } from "./lib/dr-profiles.ts";

export const CopySnapshotsInput = z.object({ executionArn: z.string().min(1) });

export interface CopySnapshotsResult {
  readonly tenants: number;
  readonly snapshotsStarted: number;
  readonly copiesStarted: number;
  readonly pruned: number;
  readonly skipped: readonly { slug: string; reason: string }[];
}

export const handler = defineStep(CopySnapshotsInput, async (): Promise<CopySnapshotsResult> => {
  const tenants = (await listTenants()).filter(
    (t) => t.status === "active" && DR_PROFILES[t.tier].strategy === "snapshot-copy",
  );
  const rounds: CopyRound[] = [];
  const skipped: { slug: string; reason: string }[] = [];
  for (const tenant of tenants) {
    const home = tenant.region || regionPair().home;
    try {
      rounds.push(await copyRound(tenant, home, otherRegion(home)));
    } catch (error) {
      if (!isOutage(error)) throw error;
      skipped.push({ slug: tenant.slug, reason: (error as Error).message });
    }
  }
  return {
    tenants: tenants.length,
    snapshotsStarted: rounds.filter((r) => r.snapshotStarted).length,
    copiesStarted: rounds.filter((r) => r.copyStarted).length,
    pruned: rounds.reduce((sum, r) => sum + r.pruned.length, 0),
    skipped,
  };
});
