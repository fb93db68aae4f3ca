/**
 * Sizes the canary for the next stage before any traffic moves to it (a pod per started share of
 * stable's replicas: 2 at 25 %, 3 at 50 %, all at 100 % for 6): the state machine then waits for the
 * new pods to be ready (`canary/check-rollout`, within the progress deadline) and only then shifts the
 * routes (`canary/shift-traffic`) and starts the bake. A whole-manifest apply, so a retry or a redrive
 * applies the same object again; a canary Deployment another execution made is never touched.
 */
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { CanaryOwnedByAnotherExecutionError, StableNotFoundError } from "./lib/errors.ts";
import { CANARY, canaryDeployment, deploymentRef, EXECUTION_ANNOTATION, STABLE } from "./lib/manifests.ts";
import { StageInput } from "./lib/plan.ts";

export interface ScaleCanaryResult {
  readonly stageIndex: number;
  readonly weight: number;
  readonly replicas: number;
}

export const handler = defineStep(
  StageInput,
  async ({ plan, stageIndex, executionArn }): Promise<ScaleCanaryResult> => {
    const stage = plan.stages[stageIndex];
    if (!stage) throw new StableNotFoundError(`the plan has no stage ${stageIndex}`);
    const api = await kubernetesClient(plan.cluster, plan.region);
    const canary = await api.read(deploymentRef(plan, CANARY));
    const owner = canary?.metadata?.annotations?.[EXECUTION_ANNOTATION];
    if (owner !== executionArn)
      throw new CanaryOwnedByAnotherExecutionError(
        `Deployment ${plan.namespace}/${plan.service}-${CANARY} is ${canary ? `${owner ?? "nobody we know"}'s` : "gone"}, not this execution's: not scaled`,
      );
    const stable = await api.read(deploymentRef(plan, STABLE));
    if (!stable) throw new StableNotFoundError(`stable Deployment ${plan.service}-${STABLE} is gone`);
    const manifest = canaryDeployment(stable, plan, stage.weight, executionArn);
    await api.apply(manifest);
    return { stageIndex, weight: stage.weight, replicas: (manifest.spec as { replicas: number }).replicas };
  },
);
