/**
 * The plan of one canary promotion, made once by `canary/resolve-plan` from the input and the
 * service's configuration, then carried by the state machine (`$plan`) to every step: each step
 * reads what it needs from it and nothing else, so a redrive or a retry acts on the same plan.
 */
import { z } from "zod";
import { CanaryServiceName, ImageWithTag } from "../../../events/workflows.ts";

/** One stage of the rollout: the canary's share of traffic, or of a cohort's traffic only. */
export const Stage = z.object({
  weight: z.number().int().min(1).max(100),
  /** Set for a cohort stage: only requests whose header matches go to the canary (all of them). */
  cohort: z
    .object({
      header: z.string().min(1),
      values: z.array(z.string().min(1)).min(1),
      /** `tier basic`, `tenants acme, globex`: for events and the report. */
      label: z.string().min(1),
    })
    .optional(),
});
export type Stage = z.infer<typeof Stage>;

export const Gates = z.object({
  maxErrorRatePercent: z.number().positive(),
  maxP99Ms: z.number().positive(),
  maxBusinessSuccessDropPoints: z.number().nonnegative(),
  minRequests: z.number().int().positive(),
  minTransactions: z.number().int().positive(),
});
export type Gates = z.infer<typeof Gates>;

/**
 * Stable's business success over the last step that had stable traffic (its whole bake): what a bake at
 * 100 %, with no stable traffic left, holds the canary's business success rate against.
 */
export const Baseline = z.object({
  stageIndex: z.number().int().min(0),
  weight: z.number().int().min(0).max(100),
  transactions: z.number().nonnegative(),
  successes: z.number().nonnegative(),
  businessSuccessPercent: z.number().nullable(),
});
export type Baseline = z.infer<typeof Baseline>;

export const Plan = z.object({
  service: CanaryServiceName,
  region: z.string().min(1),
  cluster: z.string().min(1),
  namespace: z.string().min(1),
  image: ImageWithTag,
  stableImage: z.string().min(1),
  stableReplicas: z.number().int().min(1),
  stages: z.array(Stage).min(1),
  bakeSeconds: z.number().int().positive(),
  /** The bake at 100 % before stable is replaced (0: none, stable is replaced as the canary takes 100 %). */
  fullBakeSeconds: z.number().int().nonnegative(),
  analysisIntervalSeconds: z.number().int().positive(),
  progressDeadlineSeconds: z.number().int().positive(),
  gates: Gates,
  approvalBeforeFull: z.boolean(),
});
export type Plan = z.infer<typeof Plan>;

/** Canary pods for a share of traffic: a pod per started share of the stable replicas (1 at 10 %, 2 at 25 %, 3 at 50 %, all at 100 % for 6). */
export function replicasFor(weight: number, stableReplicas: number): number {
  return Math.max(1, Math.ceil((stableReplicas * weight) / 100));
}

/** A stage at 100 % of all traffic (not a cohort's): no stable traffic is left to compare with. */
export function isFull(stage: Stage | undefined): boolean {
  return stage !== undefined && stage.weight === 100 && stage.cohort === undefined;
}

/** The step payload every traffic step takes: the plan, which stage, and the execution. */
export const StageInput = z.object({
  plan: Plan,
  stageIndex: z.number().int().min(0),
  executionArn: z.string().min(1),
});
