/**
 * The copy schedule's step: one round of the cross-region copy pipeline for every active standard and
 * basic tenant. Each region's DR snapshots are listed once; tenants due a new snapshot whose cluster is
 * proven not to have written since their newest keep it (one batched metrics read per region), and the
 * proofs are stored for readiness and failover. The work of a round follows what changed, not the
 * number of tenants. A tenant whose regions do not answer is skipped this round and named.
 */
import type { DBClusterSnapshot } from "@aws-sdk/client-rds";
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { listTenantBriefs, type TenantBrief } from "../tenant/lib/registry.ts";
import { isOutage, otherRegion, regionPair } from "./lib/aws.ts";
import { type CopyRound, copyRound, drSnapshotsByTenant, snapshotDue } from "./lib/copies.ts";
import { type CopyProof, readCopyProofs, writeCopyProofs } from "./lib/copy-proofs.ts";
import { DR_PROFILES } from "./lib/dr-profiles.ts";
import { drNames } from "./lib/names.ts";
import { provenUnchanged, type WriteCheck } from "./lib/writes.ts";

export const CopySnapshotsInput = z.object({ executionArn: z.string().min(1) });

export interface CopySnapshotsResult {
  readonly tenants: number;
  readonly snapshotsStarted: number;
  /** Tenants due a snapshot whose cluster wrote nothing since their newest: none taken. */
  readonly unchanged: number;
  readonly copiesStarted: number;
  readonly pruned: number;
  readonly skipped: readonly { slug: string; reason: string }[];
}

type Listing = Map<string, DBClusterSnapshot[]> | Error;

export const handler = defineStep(CopySnapshotsInput, async (): Promise<CopySnapshotsResult> => {
  const tenants = (await listTenantBriefs()).filter(
    (t) => t.status === "active" && DR_PROFILES[t.tier].strategy === "snapshot-copy",
  );
  const now = awsNow();
  const regionsOf = (t: TenantBrief) => {
    const home = t.region || regionPair().home;
    return { home, target: otherRegion(home) };
  };
  const listings = new Map<string, Listing>();
  for (const region of new Set(tenants.flatMap((t) => Object.values(regionsOf(t))))) {
    listings.set(region, await drSnapshotsByTenant(region).catch(outageAsError));
  }
  const proofs = await readCopyProofs();

  // Which due tenants wrote nothing since their newest snapshot, asked once per home region.
  const checks = new Map<string, WriteCheck[]>();
  for (const tenant of tenants) {
    const { home } = regionsOf(tenant);
    const listing = listings.get(home);
    const newest = listing instanceof Map ? listing.get(tenant.slug)?.[0] : undefined;
    if (newest?.Status !== "available" || !snapshotDue(tenant.tier, [newest], now)) continue;
    const proof = proofs[tenant.slug];
    const from =
      proof && proof.snapshot === newest.DBClusterSnapshotIdentifier
        ? proof.provenTo
        : (newest.SnapshotCreateTime?.getTime() ?? now);
    const list = checks.get(home) ?? [];
    list.push({ key: tenant.slug, clusterIdentifier: drNames(tenant.slug).clusterIdentifier, from });
    checks.set(home, list);
  }
  const proven = new Map<string, number>();
  for (const [region, list] of checks) {
    // Metrics that do not answer prove nothing: the snapshots are taken.
    const found = await provenUnchanged(region, list, now).catch(outageAsError);
    if (found instanceof Map) for (const [slug, to] of found) proven.set(slug, to);
  }

  const rounds: CopyRound[] = [];
  const kept: Record<string, CopyProof> = {};
  const skipped: { slug: string; reason: string }[] = [];
  for (const tenant of tenants) {
    const { home, target } = regionsOf(tenant);
    const atHome = listings.get(home);
    const copies = listings.get(target);
    const down = [atHome, copies].find((listing) => listing instanceof Error);
    if (down instanceof Error || !(atHome instanceof Map) || !(copies instanceof Map)) {
      skipped.push({ slug: tenant.slug, reason: down?.message ?? "no listing" });
      continue;
    }
    const own = atHome.get(tenant.slug) ?? [];
    const newest = own[0]?.DBClusterSnapshotIdentifier;
    const provenTo = proven.get(tenant.slug);
    try {
      const round = await copyRound({
        tenant,
        home,
        target,
        atHome: own,
        copies: copies.get(tenant.slug) ?? [],
        unchanged: provenTo !== undefined,
      });
      rounds.push(round);
      const previous = proofs[tenant.slug];
      if (newest && provenTo !== undefined) kept[tenant.slug] = { snapshot: newest, provenTo };
      else if (newest && !round.snapshotStarted && previous?.snapshot === newest)
        kept[tenant.slug] = previous;
    } catch (error) {
      if (!isOutage(error)) throw error;
      skipped.push({ slug: tenant.slug, reason: (error as Error).message });
    }
  }
  // Written only when a proof changed: a fleet with nothing to prove writes nothing.
  if (JSON.stringify(kept) !== JSON.stringify(proofs))
    await writeCopyProofs(kept, new Date(now).toISOString());
  return {
    tenants: tenants.length,
    snapshotsStarted: rounds.filter((r) => r.snapshotStarted).length,
    unchanged: proven.size,
    copiesStarted: rounds.filter((r) => r.copyStarted).length,
    pruned: rounds.reduce((sum, r) => sum + r.pruned.length, 0),
    skipped,
  };
});

/** A region that does not answer, as a value; any other error is thrown. */
function outageAsError(error: unknown): Error {
  if (!isOutage(error)) throw error;
  return error as Error;
}
