/**
 * Moves traffic to a stage: scales the canary for its share first (a pod per started share of stable's
 * replicas), then sets the VirtualService's routes (weights, or the cohort's header match), while
 * holding the fleet lock shared so that no traffic changes during a failover. Past the first stage it
 * announces `Canary Step Promoted`. Both changes are whole-manifest server-side applies: a retry or a
 * redrive applies the same objects again.
 */
import { CanaryStepPromoted } from "../../events/operations.ts";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { publishEvent } from "../shared/publish.ts";
import { StableNotFoundError } from "./lib/errors.ts";
import { withFleetLock } from "./lib/fleet.ts";
import { canaryDeployment, deploymentRef, STABLE, virtualService } from "./lib/manifests.ts";
import { StageInput } from "./lib/plan.ts";

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
    const stable = await api.read(deploymentRef(plan, STABLE));
    if (!stable) throw new StableNotFoundError(`stable Deployment ${plan.service}-${STABLE} is gone`);
    const canary = canaryDeployment(stable, plan, stage.weight, executionArn);
    const shiftedAt = await withFleetLock(executionArn, async () => {
      await api.apply(canary);
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
      replicas: (canary.spec as { replicas: number }).replicas,
      shiftedAt,
    };
  },
);
