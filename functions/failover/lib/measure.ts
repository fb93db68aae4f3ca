/**
 * The run's measured recovery, from what each branch reports: per subject (the platform, each tenant)
 * RTO = from the signal to the later of its own recovery and healthy traffic in the new region, RPO =
 * replication lag or copy age at promotion; per tier the worst of its members against the tier's
 * targets; and who missed a target or was not recovered, with the reason.
 */
import type { z } from "zod";
import type { MissedTarget, TierRecovery } from "../../../events/operations.ts";

export interface ItemOutcome {
  readonly subject: string;
  readonly tier: string;
  readonly tenantId: string | null;
  readonly ok: boolean;
  readonly error?: string | null;
  readonly rpoSeconds: number | null;
  /** When it was recovered (promotion done, restore available). */
  readonly at: string | null;
  readonly rtoTargetSeconds: number;
  readonly rpoTargetSeconds: number;
}

export interface Measured {
  readonly rtoSeconds: number;
  readonly rpoSeconds: number;
  readonly perTier: Record<string, z.infer<typeof TierRecovery>>;
  readonly missedTargets: z.infer<typeof MissedTarget>[];
  readonly subjects: {
    subject: string;
    tier: string;
    rtoSeconds: number | null;
    rpoSeconds: number | null;
  }[];
}

export const TIER_ORDER = ["platform", "premium", "standard", "basic"] as const;

export function measure(items: readonly ItemOutcome[], signalAt: string, trafficAt: string | null): Measured {
  const signal = Date.parse(signalAt);
  const traffic = trafficAt ? Date.parse(trafficAt) : Number.NaN;
  const subjects = items.map((item) => {
    const at = item.ok && item.at ? Date.parse(item.at) : Number.NaN;
    const end = Number.isNaN(traffic) ? Number.NaN : Math.max(at, traffic);
    return {
      item,
      rtoSeconds: Number.isNaN(end) ? null : Math.max(0, Math.round((end - signal) / 1000)),
      rpoSeconds: item.rpoSeconds === null ? null : Math.round(item.rpoSeconds * 10) / 10,
    };
  });
  const missedTargets: z.infer<typeof MissedTarget>[] = [];
  for (const { item, rtoSeconds, rpoSeconds } of subjects) {
    const reasons: string[] = [];
    if (!item.ok) reasons.push(item.error ?? "not recovered");
    else {
      if (rtoSeconds === null) reasons.push("traffic never verified healthy");
      else if (rtoSeconds > item.rtoTargetSeconds)
        reasons.push(`RTO ${rtoSeconds}s > ${item.rtoTargetSeconds}s`);
      if (rpoSeconds !== null && rpoSeconds > item.rpoTargetSeconds)
        reasons.push(`RPO ${rpoSeconds}s > ${item.rpoTargetSeconds}s`);
    }
    if (reasons.length > 0)
      missedTargets.push({
        subject: item.subject,
        tier: item.tier,
        reason: reasons.join("; "),
        rtoSeconds,
        rpoSeconds,
      });
  }
  const perTier: Record<string, z.infer<typeof TierRecovery>> = {};
  for (const tier of TIER_ORDER) {
    const of = subjects.filter((s) => s.item.tier === tier);
    if (of.length === 0) continue;
    const recovered = of.filter((s) => s.item.ok);
    const worst = (values: (number | null)[]) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length > 0 ? Math.max(...known) : null;
    };
    perTier[tier] = {
      rtoSeconds: worst(recovered.map((s) => s.rtoSeconds)),
      rpoSeconds: worst(recovered.map((s) => s.rpoSeconds)),
      rtoTargetSeconds: of[0]?.item.rtoTargetSeconds ?? 0,
      rpoTargetSeconds: of[0]?.item.rpoTargetSeconds ?? 0,
      recovered: recovered.length,
      failed: of.length - recovered.length,
    };
  }
  const all = Object.values(perTier);
  return {
    rtoSeconds: Math.max(0, ...all.map((t) => t.rtoSeconds ?? 0)),
    rpoSeconds: Math.max(0, ...all.map((t) => t.rpoSeconds ?? 0)),
    perTier,
    missedTargets,
    subjects: subjects.map((s) => ({
      subject: s.item.subject,
      tier: s.item.tier,
      rtoSeconds: s.rtoSeconds,
      rpoSeconds: s.rpoSeconds,
    })),
  };
}
