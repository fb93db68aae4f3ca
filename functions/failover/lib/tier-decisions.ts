/**
 * The run report's decision per tier: the tier's measured RTO and RPO (the worst of its members) held
 * to the tier's targets, under the same names (`inputs.rtoSeconds` against `thresholds.rtoSeconds`), so
 * that a reader (the console, `cplane reports show`) sees each tier's recovery against what it promised.
 */
import type { z } from "zod";
import type { TierRecovery } from "../../../events/operations.ts";
import type { Decision } from "../../reports/lib/report.ts";
import { TIER_ORDER } from "./measure.ts";

export function tierDecisions(perTier: Record<string, z.infer<typeof TierRecovery>>): Decision[] {
  const tiers = [
    ...TIER_ORDER.filter((tier) => perTier[tier]),
    ...Object.keys(perTier).filter((tier) => !(TIER_ORDER as readonly string[]).includes(tier)),
  ];
  return tiers.flatMap((tier) => {
    const recovery = perTier[tier];
    if (!recovery) return [];
    const missed: string[] = [];
    if (recovery.failed > 0) missed.push(`${recovery.failed} not recovered`);
    if (recovery.rtoSeconds === null) missed.push("no RTO measured (traffic never verified healthy)");
    else if (recovery.rtoSeconds > recovery.rtoTargetSeconds)
      missed.push(`RTO ${recovery.rtoSeconds}s > ${recovery.rtoTargetSeconds}s`);
    if (recovery.rpoSeconds !== null && recovery.rpoSeconds > recovery.rpoTargetSeconds)
      missed.push(`RPO ${recovery.rpoSeconds}s > ${recovery.rpoTargetSeconds}s`);
    const counted = `${recovery.recovered} recovered, ${recovery.failed} failed`;
    return [
      {
        name: "tier-recovery",
        subject: tier,
        outcome: missed.length === 0 ? "met" : "missed",
        reason: missed.length === 0 ? `${counted}; within both targets` : `${counted}; ${missed.join("; ")}`,
        inputs: { rtoSeconds: recovery.rtoSeconds, rpoSeconds: recovery.rpoSeconds },
        thresholds: { rtoSeconds: recovery.rtoTargetSeconds, rpoSeconds: recovery.rpoTargetSeconds },
      },
    ];
  });
}
