/**
 * A tenant whose tier changed, brought into line with its new tier's DR profile (there is no tier-change
 * workflow: the registry's tier is the truth, and the readiness run reconciles what DR has with it).
 * To a global-secondary tier: the global database and its secondary are made (lib/dr-setup.ts ensureDr),
 * then, once the secondary is available, the DR snapshots and copies of the old profile go. To a
 * snapshot-copy tier: the secondary and the global database go (the writer stays), over as many runs as
 * the deletions take, then the first DR snapshot is taken and the copy schedule takes it from there.
 * Safe to repeat: a tenant in line is left alone.
 */
import { tagValue } from "../../tenant/lib/database.ts";
import type { TenantBrief } from "../../tenant/lib/registry.ts";
import { DR_PROFILES, TAG_DR } from "./dr-profiles.ts";
import { drSnapshots, ensureDr, findClusterIn, findGlobal, removeDr } from "./dr-setup.ts";
import { DrResourceBusyError } from "./errors.ts";
import type { Inventory } from "./inventory.ts";
import { drNames } from "./names.ts";

export interface Reconciled {
  readonly subject: string;
  readonly tier: string;
  /** What DR had and what it gets: `snapshot-copy → global-secondary`. */
  readonly change: string;
  /** `done`, or `pending` (the next run goes on). */
  readonly state: "done" | "pending";
  readonly reason: string;
}

/**
 * Whether the tenant's DR matches its tier by what was listed (lib/inventory.ts), the same tests
 * `reconcileTenant` makes: true means there is nothing to do. False is not a verdict, only "look
 * closer": `reconcileTenant` reads the tenant again before it changes anything.
 */
export async function drInLine(
  inventory: Inventory,
  tenant: TenantBrief,
  regions: { readonly home: string; readonly dr: string },
): Promise<boolean> {
  const names = drNames(tenant.slug);
  const globals = await inventory.globals([regions.home]);
  if (!globals) return false; // the home region does not answer: reconcileTenant will say so
  const global = globals.get(names.globalClusterIdentifier);
  const secondary = await inventory.cluster(regions.dr, names.clusterIdentifier);
  if (DR_PROFILES[tenant.tier].strategy === "global-secondary") {
    const leftovers =
      ((await inventory.drSnapshots(regions.home)).get(tenant.slug)?.length ?? 0) +
      ((await inventory.drSnapshots(regions.dr)).get(tenant.slug)?.length ?? 0);
    return global !== undefined && Boolean(secondary?.GlobalClusterIdentifier) && leftovers === 0;
  }
  return !global && tagValue(secondary?.TagList, TAG_DR) !== "true";
}

/** What the tenant's DR needs to match its tier, done as far as it can go now; undefined when in line. */
export async function reconcileTenant(
  tenant: TenantBrief,
  regions: { readonly home: string; readonly dr: string },
  executionArn: string,
): Promise<Reconciled | undefined> {
  const owner = { slug: tenant.slug, tenantId: tenant.tenantId, executionArn };
  const profile = DR_PROFILES[tenant.tier];
  const global = await findGlobal(regions.home, drNames(tenant.slug).globalClusterIdentifier);
  const base = { subject: tenant.slug, tier: tenant.tier };
  try {
    if (profile.strategy === "global-secondary") {
      const names = drNames(tenant.slug);
      const secondary = await findClusterIn(regions.dr, names.clusterIdentifier);
      const leftovers = [
        ...(await drSnapshots(regions.home, tenant.slug)),
        ...(await drSnapshots(regions.dr, tenant.slug)),
      ];
      if (global && secondary?.GlobalClusterIdentifier && leftovers.length === 0) return undefined;
      const change = "snapshot-copy → global-secondary";
      if (!global || !secondary) {
        const made = await ensureDr(owner, tenant.tier, regions.home, regions.dr);
        return {
          ...base,
          change,
          state: "pending",
          reason: `tier ${tenant.tier}: joining global database ${names.globalClusterIdentifier} (${made.created.join(", ") || "already there"})`,
        };
      }
      if (secondary.Status !== "available")
        return {
          ...base,
          change,
          state: "pending",
          reason: `tier ${tenant.tier}: secondary in ${regions.dr} is ${secondary.Status}`,
        };
      const removed = await removeDr(owner, regions, { only: "snapshots" });
      return {
        ...base,
        change,
        state: removed.pending ? "pending" : "done",
        reason: `tier ${tenant.tier}: in global database ${names.globalClusterIdentifier}; snapshot copies removed (${removed.removed.length})`,
      };
    }
    // A secondary detached by an earlier run may still be deleting: the global database is gone by then.
    const detached = await findClusterIn(regions.dr, drNames(tenant.slug).clusterIdentifier);
    if (!global && tagValue(detached?.TagList, TAG_DR) !== "true") return undefined;
    const change = "global-secondary → snapshot-copy";
    const removed = await removeDr(owner, regions, { only: "global" });
    if (removed.pending)
      return {
        ...base,
        change,
        state: "pending",
        reason: `tier ${tenant.tier}: leaving global database ${drNames(tenant.slug).globalClusterIdentifier} (${removed.removed.join(", ") || "secondary deleting"})`,
      };
    const made = await ensureDr(owner, tenant.tier, regions.home, regions.dr);
    return {
      ...base,
      change,
      state: "done",
      reason: `tier ${tenant.tier}: left global database ${drNames(tenant.slug).globalClusterIdentifier}; snapshot copies to ${regions.dr} (${made.created.join(", ") || "first snapshot there"})`,
    };
  } catch (error) {
    if (!(error instanceof DrResourceBusyError)) throw error;
    return {
      ...base,
      change:
        profile.strategy === "global-secondary"
          ? "snapshot-copy → global-secondary"
          : "global-secondary → snapshot-copy",
      state: "pending",
      reason: `tier ${tenant.tier}: ${error.message}`,
    };
  }
}
