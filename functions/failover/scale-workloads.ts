/**
 * Scales the Deployments that move with a failover up in the region it goes to: the platform's and
 * each moving tenant's (the plan's `workloads`), each to the replicas the region left runs (read there
 * when it answers, else what the DR upkeep recorded: lib/workloads.ts). Never scales down. Returns every
 * Deployment with its size before and after, for the readiness check and a drill's way back.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { clusterOf, type ScaledDeployment, scaleUp } from "./lib/workloads.ts";

export const WorkloadSetSchema = z.object({
  subject: z.string().min(1),
  kind: z.enum(["platform", "tenant"]),
  namespace: z.string().min(1),
});

export const ScaleWorkloadsInput = z.object({
  fromRegion: z.string().min(1),
  toRegion: z.string().min(1),
  workloads: z.array(WorkloadSetSchema),
  executionArn: z.string().min(1),
});

export interface ScaleWorkloadsResult {
  readonly deployments: readonly ScaledDeployment[];
}

export const handler = defineStep(ScaleWorkloadsInput, async (input): Promise<ScaleWorkloadsResult> => {
  const deployments: ScaledDeployment[] = [];
  for (const set of input.workloads) {
    const cluster = clusterOf(set, input.toRegion);
    const target = await kubernetesClient(cluster, input.toRegion);
    const source = () => kubernetesClient(clusterOf(set, input.fromRegion), input.fromRegion);
    deployments.push(...(await scaleUp(target, source, set, cluster, input.executionArn)));
  }
  return { deployments };
});
