/**
 * A drill's way back for the Deployments it scaled up in the region it visited: each one this
 * execution marked when it scaled it goes back to the size it had before, so that the standby region is
 * a pilot light again. It reads the marks in the cluster, not the run's record: a drill that failed
 * half-way lost that record with the branch that failed.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { clusterOf, type ScaledDeployment, scaleBack } from "./lib/workloads.ts";
import { WorkloadSetSchema } from "./scale-workloads.ts";

export const ScaleWorkloadsBackInput = z.object({
  region: z.string().min(1),
  workloads: z.array(WorkloadSetSchema),
  executionArn: z.string().min(1),
});

export const handler = defineStep(
  ScaleWorkloadsBackInput,
  async (input): Promise<{ deployments: ScaledDeployment[] }> => {
    const deployments: ScaledDeployment[] = [];
    for (const set of input.workloads) {
      const cluster = clusterOf(set, input.region);
      const client = await kubernetesClient(cluster, input.region);
      deployments.push(...(await scaleBack(client, set, cluster, input.executionArn)));
    }
    return { deployments };
  },
);
