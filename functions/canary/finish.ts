/**
 * The last step of every canary that got as far as a plan: announces the outcome (`Canary Promoted`,
 * or `Canary Rolled Back` with the breached gate and its values) and unregisters the service's running
 * canary, so signals no longer reach this execution.
 */
import { z } from "zod";
import { CanaryBreach, CanaryPromoted, CanaryRolledBack } from "../../events/operations.ts";
import { ReportSummary } from "../../events/report.ts";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { Plan } from "./lib/plan.ts";
import { unregisterCanary } from "./lib/signals.ts";

export const FinishInput = z.object({
  /** Null when the canary was refused before anything changed (no plan, or its lock held): nothing to announce. */
  plan: Plan.nullable(),
  outcome: z.enum(["promoted", "rolled-back", "aborted"]),
  stageIndex: z.number().int().min(0),
  reason: z.string().min(1),
  breach: CanaryBreach.nullish(),
  measured: z.record(z.string(), z.number()).nullish(),
  startedAt: z.string().min(1),
  report: ReportSummary.nullish(),
  executionArn: z.string().min(1),
});

export interface FinishResult {
  readonly eventId: string | null;
  /** The reason, for the failure path's cause. */
  readonly reason: string;
}

export const handler = defineStep(FinishInput, async (input): Promise<FinishResult> => {
  const { plan } = input;
  if (!plan) return { eventId: null, reason: input.reason };
  const report = input.report ? { report: input.report } : {};
  const weight = plan.stages[input.stageIndex]?.weight ?? 0;
  const eventId =
    input.outcome === "promoted"
      ? await publishEvent(CanaryPromoted, {
          service: plan.service,
          image: plan.image,
          previousImage: plan.stableImage,
          steps: plan.stages.filter((s) => !s.cohort).map((s) => s.weight),
          durationSeconds: Math.max(0, (awsNow() - Date.parse(input.startedAt)) / 1000),
          executionArn: input.executionArn,
          ...report,
        })
      : await publishEvent(CanaryRolledBack, {
          service: plan.service,
          image: plan.image,
          stableImage: plan.stableImage,
          atWeight: weight,
          reason: input.reason.slice(0, 1000),
          outcome: input.outcome,
          ...(input.breach ? { breach: input.breach } : {}),
          ...(input.measured ? { metrics: input.measured } : {}),
          executionArn: input.executionArn,
          ...report,
        });
  await unregisterCanary(plan.service, input.executionArn);
  return { eventId, reason: input.reason };
});
