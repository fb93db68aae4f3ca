/**
 * Measures the run (lib/measure.ts), records on each moved tenant the region it now runs in, puts
 * RTO and RPO per tier in CloudWatch (`cplane/DR`, in the region that serves now), and returns the
 * workflow's output with the figures and decisions for its run report.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { now } from "../tenant/lib/inputs.ts";
import { type Measured, measure } from "./lib/measure.ts";
import { putFigures } from "./lib/metrics.ts";
import { moveTenant } from "./lib/store.ts";
import { tierDecisions } from "./lib/tier-decisions.ts";

const Item = z.object({
  subject: z.string().min(1),
  tier: z.string().min(1),
  tenantId: z.string().nullable(),
  ok: z.boolean(),
  error: z.string().nullable().optional(),
  rpoSeconds: z.number().nullable(),
  at: z.string().nullable(),
  rtoTargetSeconds: z.number(),
  rpoTargetSeconds: z.number(),
});

export const SummarizeInput = z.object({
  mode: z.enum(["failover", "switchover", "drill"]),
  fromRegion: z.string().min(1),
  toRegion: z.string().min(1),
  signalAt: z.string().min(1),
  items: z.array(Item),
  trafficAt: z.string().nullable(),
  /** Drills move nothing for good: they fail back. */
  moveTenants: z.boolean(),
  executionArn: z.string().min(1),
});

export interface Summary extends Measured {
  readonly outcome: "succeeded" | "partial";
  readonly mode: "failover" | "switchover" | "drill";
  readonly fromRegion: string;
  readonly toRegion: string;
  readonly reason: string;
  readonly figures: { name: string; value: number; unit: string; subject?: string; key?: boolean }[];
  /** Each tier's RTO and RPO against its targets, for the run report. */
  readonly decisions: ReturnType<typeof tierDecisions>;
}

export const handler = defineStep(SummarizeInput, async (input): Promise<Summary> => {
  const measured = measure(input.items, input.signalAt, input.trafficAt);
  if (input.moveTenants) {
    for (const item of input.items) {
      if (!item.ok || item.tier === "platform") continue;
      await moveTenant(item.subject, input.toRegion, {
        at: now(),
        step: input.mode,
        outcome: "moved",
        reason: `${input.mode} from ${input.fromRegion} to ${input.toRegion}`,
        executionArn: input.executionArn,
      });
    }
  }
  const figures: Summary["figures"] = [];
  for (const [tier, recovery] of Object.entries(measured.perTier)) {
    if (recovery.rtoSeconds !== null)
      figures.push({
        name: `RTO ${tier}`,
        value: recovery.rtoSeconds,
        unit: "s",
        key: tier === "platform" || tier === "premium",
      });
    if (recovery.rpoSeconds !== null)
      figures.push({
        name: `RPO ${tier}`,
        value: recovery.rpoSeconds,
        unit: "s",
        key: tier === "platform" || tier === "premium",
      });
  }
  for (const subject of measured.subjects) {
    if (subject.rtoSeconds !== null)
      figures.push({ name: "RTO", value: subject.rtoSeconds, unit: "s", subject: subject.subject });
    if (subject.rpoSeconds !== null)
      figures.push({ name: "RPO", value: subject.rpoSeconds, unit: "s", subject: subject.subject });
  }
  await putFigures(
    input.toRegion,
    Object.entries(measured.perTier).flatMap(([tier, recovery]) =>
      (["rtoSeconds", "rpoSeconds"] as const)
        .filter((key) => recovery[key] !== null)
        .map((key) => ({
          MetricName: key === "rtoSeconds" ? "RtoSeconds" : "RpoSeconds",
          Dimensions: [
            { Name: "Tier", Value: tier },
            { Name: "Mode", Value: input.mode },
          ],
          Value: recovery[key] ?? 0,
          Unit: "Seconds" as const,
        })),
    ),
  );
  const missed = measured.missedTargets.length;
  return {
    ...measured,
    outcome: missed === 0 ? "succeeded" : "partial",
    mode: input.mode,
    fromRegion: input.fromRegion,
    toRegion: input.toRegion,
    reason:
      `${input.mode} to ${input.toRegion}: RTO ${measured.rtoSeconds}s, RPO ${measured.rpoSeconds}s` +
      (missed > 0
        ? `; ${missed} missed a target (${measured.missedTargets
            .slice(0, 3)
            .map((m) => m.subject)
            .join(", ")}${missed > 3 ? ", ..." : ""})`
        : "; every target met"),
    figures,
    decisions: tierDecisions(measured.perTier),
  };
});
