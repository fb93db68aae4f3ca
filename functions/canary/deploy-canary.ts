/**
 * Creates (or, on a retry or redrive, re-applies) the canary Deployment `<service>-canary`: stable's
 * pod spec with the new image, sized for the first stage, with no traffic yet (the VirtualService is
 * not touched). Registers the execution as the service's running canary, so signals reach it, and
 * announces `Canary Started`. A canary Deployment made by another execution is never touched.
 */
import { CanaryStarted } from "../../events/operations.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { publishEvent } from "../shared/publish.ts";
import { CanaryOwnedByAnotherExecutionError, StableNotFoundError } from "./lib/errors.ts";
import { CANARY, canaryDeployment, deploymentRef, EXECUTION_ANNOTATION, STABLE } from "./lib/manifests.ts";
import { StageInput } from "./lib/plan.ts";
import { registerCanary } from "./lib/signals.ts";

export interface DeployCanaryResult {
  readonly deployment: string;
  readonly replicas: number;
  /** True when this call created it; false when it re-applied this execution's own. */
  readonly created: boolean;
}

export const handler = defineStep(
  StageInput,
  async ({ plan, stageIndex, executionArn }): Promise<DeployCanaryResult> => {
    const api = await kubernetesClient(plan.cluster, plan.region);
    const existing = await api.read(deploymentRef(plan, CANARY));
    const owner = existing?.metadata?.annotations?.[EXECUTION_ANNOTATION];
    if (existing && owner !== executionArn)
      throw new CanaryOwnedByAnotherExecutionError(
        `Deployment ${plan.namespace}/${plan.service}-${CANARY} belongs to ${owner ?? "nobody we know"}; remove it or wait for that canary`,
      );
    const stable = await api.read(deploymentRef(plan, STABLE));
    if (!stable) throw new StableNotFoundError(`stable Deployment ${plan.service}-${STABLE} is gone`);
    const weight = plan.stages[stageIndex]?.weight ?? 0;
    const manifest = canaryDeployment(stable, plan, weight, executionArn);
    await registerCanary(plan.service, executionArn, plan);
    await api.apply(manifest);
    if (!existing)
      await publishEvent(CanaryStarted, {
        service: plan.service,
        image: plan.image,
        stableImage: plan.stableImage,
        region: plan.region,
        steps: plan.stages.filter((s) => !s.cohort).map((s) => s.weight),
        bakeMinutes: plan.bakeSeconds / 60,
        executionArn,
      });
    return {
      deployment: `${plan.service}-${CANARY}`,
      replicas: (manifest.spec as { replicas: number }).replicas,
      created: !existing,
    };
  },
);
