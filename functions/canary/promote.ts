/**
 * The canary becomes stable: all traffic to the canary (scaled to stable's size), then stable's pods
 * roll to the new image. The state machine waits for stable's rollout (`canary/check-rollout`), then
 * `canary/finish-promotion` moves traffic back to stable and removes the canary. Holds the fleet lock
 * shared for the traffic change.
 */
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { StableNotFoundError } from "./lib/errors.ts";
import { withFleetLock } from "./lib/fleet.ts";
import { canaryDeployment, deploymentRef, STABLE, stableWithImage, virtualService } from "./lib/manifests.ts";
import { StageInput } from "./lib/plan.ts";

export interface PromoteResult {
  readonly stableImage: string;
  readonly previousImage: string;
}

export const handler = defineStep(StageInput, async ({ plan, executionArn }): Promise<PromoteResult> => {
  const api = await kubernetesClient(plan.cluster, plan.region);
  const stable = await api.read(deploymentRef(plan, STABLE));
  if (!stable) throw new StableNotFoundError(`stable Deployment ${plan.service}-${STABLE} is gone`);
  await withFleetLock(executionArn, async () => {
    await api.apply(canaryDeployment(stable, plan, 100, executionArn));
    await api.apply(virtualService(plan, { weight: 100 }));
    await api.apply(stableWithImage(stable, plan, plan.image, executionArn));
  });
  return { stableImage: plan.image, previousImage: plan.stableImage };
});
