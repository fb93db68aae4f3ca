/**
 * What each tier gets for disaster recovery, keyed by `Tier` (the recovery targets themselves are the
 * tier's, in functions/tenant/lib/tiers.ts). Premium: the tenant cluster is the writer of an Aurora
 * global database with a secondary cluster in the paired region (RPO seconds, RTO minutes). Standard and
 * basic: cross-region copies of snapshots taken at a cadence that keeps the copy's data within the RPO
 * (the snapshot and the copy take time of their own), restored on failover (RTO tens of minutes).
 */
import { TIERS, type Tier } from "../../tenant/lib/tiers.ts";

export type DrProfile =
  | {
      readonly strategy: "global-secondary";
      /** Replication lag above which the secondary no longer keeps the RPO (readiness turns red). */
      readonly maxLagSeconds: number;
    }
  | {
      readonly strategy: "snapshot-copy";
      /** A new DR snapshot once the newest is this old: RPO minus the time a snapshot and its copy take. */
      readonly snapshotEverySeconds: number;
      /** Copies kept in the paired region (the newest first); older ones are deleted. */
      readonly keepCopies: number;
    };

/** How long a snapshot and its cross-region copy take before the copy can be restored (AWS: minutes). */
export const COPY_PIPELINE_SECONDS = 10 * 60;

const snapshotCopy = (tier: Tier, keepCopies: number): DrProfile => ({
  strategy: "snapshot-copy",
  snapshotEverySeconds: Math.max(300, TIERS[tier].recovery.rpoSeconds - COPY_PIPELINE_SECONDS),
  keepCopies,
});

export const DR_PROFILES: Readonly<Record<Tier, DrProfile>> = {
  premium: { strategy: "global-secondary", maxLagSeconds: TIERS.premium.recovery.rpoSeconds },
  standard: snapshotCopy("standard", 3),
  basic: snapshotCopy("basic", 2),
};

/** Tag on DR snapshots and their copies: which tenant's DR they serve (pruning removes only these). */
export const TAG_DR = "cplane:dr";
