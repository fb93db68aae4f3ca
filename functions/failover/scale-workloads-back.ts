/**
 * A drill's way back for the Deployments it scaled up in the region it visited: each set to the size it
 * had before (`from`), so that the standby region is a pilot light again.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { type KubernetesClient, kubernetesClient } from "../shared/kubernetes.ts";
import { CheckWorkloadsInput } from "./check-workloads.ts";
import { scaleTo } from "./lib/workloads.ts";

export const ScaleWorkloadsBackInput = CheckWorkloadsInput.pick({ region: true, deployments: true }).extend({
  executionArn: z.string().min(1),
});

export const handler = defineStep(ScaleWorkloadsBackInput, async (input): Promise<{ scaled: number }> => {
  const byCluster = new Map<string, typeof input.deployments>();
  for (const d of input.deployments) byCluster.set(d.cluster, [...(byCluster.get(d.cluster) ?? []), d]);
  let scaled = 0;
  for (const [cluster, deployments] of byCluster) {
    const client: KubernetesClient = await kubernetesClient(cluster, input.region);
    await scaleTo(client, deployments, (d) => d.from);
    scaled += deployments.filter((d) => d.from !== d.to).length;
  }
  return { scaled };
});
