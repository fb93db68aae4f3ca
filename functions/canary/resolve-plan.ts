/**
 * Step 1 of a canary promotion: turns the input (a push to main, or a service and an image) into the
 * plan every later step follows, from the service's configuration (lib/services.ts) and its stable
 * Deployment. Refuses, with a named error and before anything changes, a service that is not
 * configured, a region it does not deploy to, or an image of another repository; skips (changing
 * nothing) a push to a repository that deploys no service, and an image stable already runs.
 */
import { z } from "zod";
import { CanaryPromotionInput } from "../../events/workflows.ts";
import { awsRegion } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import {
  ImageRepositoryMismatchError,
  StableNotFoundError,
  UnknownServiceError,
  UnsupportedCanaryRegionError,
} from "./lib/errors.ts";
import { CANARY, deploymentRef, destinationRuleRef, mainContainer, STABLE } from "./lib/manifests.ts";
import type { Plan, Stage } from "./lib/plan.ts";
import { CANARY_SERVICES, type CanaryServiceConfig } from "./lib/services.ts";

export const ResolvePlanInput = z.intersection(
  CanaryPromotionInput,
  z.object({ executionArn: z.string().min(1) }),
);

export type ResolvePlanResult =
  | ({ readonly skipped: false } & Plan)
  | { readonly skipped: true; readonly reason: string; readonly service?: string };

const repositoryOf = (image: string) => image.slice(0, image.lastIndexOf(":"));

function stagesOf(config: CanaryServiceConfig, steps: readonly number[]): Stage[] {
  const cohorts: Stage[] = (config.cohorts?.stages ?? []).map((stage) => {
    const byTier = stage.tiers !== undefined;
    const values = stage.tiers ?? stage.tenants ?? [];
    return {
      weight: 100,
      cohort: {
        header: byTier ? (config.cohorts?.tierHeader ?? "") : (config.cohorts?.tenantHeader ?? ""),
        values,
        label: `${byTier ? "tier" : "tenants"} ${values.join(", ")}`,
      },
    };
  });
  return [...cohorts, ...steps.map((weight) => ({ weight }))];
}

export const handler = defineStep(ResolvePlanInput, async (input): Promise<ResolvePlanResult> => {
  let service: string;
  let image: string;
  if (input.trigger === "git-push") {
    const found = Object.entries(CANARY_SERVICES).find(([, c]) => c.repository === input.repository);
    if (!found)
      return { skipped: true, reason: `repository ${input.repository} deploys no configured service` };
    service = found[0];
    image = `${found[1].imageRepository}:${input.commit.slice(0, 12)}`;
  } else {
    service = input.service;
    image = input.image;
  }
  const config = CANARY_SERVICES[service];
  if (!config)
    throw new UnknownServiceError(
      `service ${service} is not configured for canaries (configured: ${Object.keys(CANARY_SERVICES).join(", ")})`,
    );
  if (repositoryOf(image) !== config.imageRepository)
    throw new ImageRepositoryMismatchError(
      `image ${image} is not of ${service}'s repository ${config.imageRepository}`,
    );
  const own = awsRegion();
  const region = (input.trigger === "git-push" ? undefined : input.region) ?? config.regions?.[0] ?? own;
  if (!(config.regions ?? [own]).includes(region))
    throw new UnsupportedCanaryRegionError(
      `service ${service} deploys to ${(config.regions ?? [own]).join(", ")}, not ${region}`,
    );
  const plan = {
    service,
    region,
    cluster: config.cluster.replaceAll("{region}", region),
    namespace: config.namespace,
  };
  const api = await kubernetesClient(plan.cluster, plan.region);
  const stable = await api.read(deploymentRef(plan, STABLE));
  const stableImage = stable ? mainContainer(stable, service)?.image : undefined;
  if (!stable || !stableImage)
    throw new StableNotFoundError(
      `no stable Deployment ${service}-${STABLE} with an image in ${plan.namespace}`,
    );
  const rule = await api.read(destinationRuleRef(plan));
  const subsets = (
    (rule as { spec?: { subsets?: { name?: string }[] } } | undefined)?.spec?.subsets ?? []
  ).map((s) => s.name);
  if (!subsets.includes(STABLE) || !subsets.includes(CANARY))
    throw new StableNotFoundError(
      `DestinationRule ${plan.namespace}/${service} needs the subsets ${STABLE} and ${CANARY} (has ${subsets.join(", ") || "none"})`,
    );
  if (stableImage === image) return { skipped: true, reason: `stable already runs ${image}`, service };
  const manual = input.trigger === "git-push" ? undefined : input;
  return {
    skipped: false,
    ...plan,
    image,
    stableImage,
    stableReplicas: Math.max(1, Number((stable as { spec?: { replicas?: number } }).spec?.replicas ?? 1)),
    stages: stagesOf(config, manual?.steps ?? config.steps),
    bakeSeconds: (manual?.bakeMinutes ?? config.bakeMinutes) * 60,
    // A bake time given by hand is every bake's, the one at 100 % included.
    fullBakeSeconds: config.fullBake
      ? (manual?.bakeMinutes ?? config.fullBake.minutes ?? config.bakeMinutes) * 60
      : 0,
    analysisIntervalSeconds: config.analysisIntervalSeconds,
    progressDeadlineSeconds: config.progressDeadlineSeconds,
    gates: config.gates,
    approvalBeforeFull: config.approval.beforeFull,
  };
});
