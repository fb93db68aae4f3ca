/**
 * Moves traffic to a stage, once the canary's pods for it are ready (`canary/scale-canary`, then the
 * state machine's readiness wait): sets the VirtualService's routes (weights, or the cohort's header
 * match), while holding the fleet lock shared so that no traffic changes during a failover. Past the
 * first stage it announces `Canary Step Promoted`. A whole-manifest server-side apply: a retry or a
 * redrive applies the same object again.
 */
import { CanaryStepPromoted } from "../../events/operations.ts";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { publishEvent } from "../shared/publish.ts";
import { StableNotFoundError } from "./lib/errors.ts";
import { withFleetLock } from "./lib/fleet.ts";
import { virtualService } from "./lib/manifests.ts";
import { replicasFor, StageInput } from "./lib/plan.ts";

export interface ShiftTrafficResult {
  readonly stageIndex: number;
  readonly weight: number;
  readonly cohort?: string;
  readonly replicas: number;
  /** When the routes took effect (epoch ms, the cloud's clock): the step's analysis window starts here. */
  readonly shiftedAt: number;
}

export const handler = defineStep(
  StageInput,
  async ({ plan, stageIndex, executionArn }): Promise<ShiftTrafficResult> => {
    const stage = plan.stages[stageIndex];
    if (!stage) throw new StableNotFoundError(`the plan has no stage ${stageIndex}`);
    const api = await kubernetesClient(plan.cluster, plan.region);
    const shiftedAt = await withFleetLock(executionArn, async () => {
      await api.apply(virtualService(plan, stage));
      return awsNow();
    });
    if (stageIndex > 0)
      await publishEvent(CanaryStepPromoted, {
        service: plan.service,
        image: plan.image,
        weight: stage.weight,
        step: stageIndex + 1,
        of: plan.stages.length,
        ...(stage.cohort ? { cohort: stage.cohort.label } : {}),
        executionArn,
      });
    return {
      stageIndex,
      weight: stage.weight,
      ...(stage.cohort ? { cohort: stage.cohort.label } : {}),
      replicas: replicasFor(stage.weight, plan.stableReplicas),
      shiftedAt,
    };
  },
);
