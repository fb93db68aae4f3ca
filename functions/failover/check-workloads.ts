/**
 * Whether the Deployments a failover scaled (or a drill scaled back) run their replicas, ready, in the
 * region: the poll the workflow repeats until every one is, or its deadline passes.
 */
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { type KubernetesClient, kubernetesClient } from "../shared/kubernetes.ts";
import { isReady } from "./lib/workloads.ts";

export const CheckWorkloadsInput = z.object({
  region: z.string().min(1),
  deployments: z.array(
    z.object({
      subject: z.string(),
      cluster: z.string().min(1),
      namespace: z.string().min(1),
      name: z.string().min(1),
      from: z.number().int().nonnegative(),
      to: z.number().int().nonnegative(),
    }),
  ),
  /** Which size to wait for: `to` after scaling up, `from` after a drill scaled them back. */
  want: z.enum(["to", "from"]).default("to"),
  executionArn: z.string().min(1),
});

export interface WorkloadsStatus {
  readonly ready: boolean;
  readonly status: string;
  /** The Deployments not ready yet (at most 10), `namespace/name ready/wanted`. */
  readonly waiting: readonly string[];
  readonly at: string;
}

export const handler = defineStep(CheckWorkloadsInput, async (input): Promise<WorkloadsStatus> => {
  const clients = new Map<string, Promise<KubernetesClient>>();
  const clientOf = (cluster: string) => {
    let client = clients.get(cluster);
    if (!client) {
      client = kubernetesClient(cluster, input.region);
      clients.set(cluster, client);
    }
    return client;
  };
  const waiting: string[] = [];
  for (const d of input.deployments) {
    const want = d[input.want];
    const object = await (await clientOf(d.cluster)).read({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: d.name, namespace: d.namespace },
    });
    if (isReady(object, want)) continue;
    const ready = (object as { status?: { readyReplicas?: number } } | undefined)?.status?.readyReplicas ?? 0;
    waiting.push(`${d.namespace}/${d.name} ${ready}/${want}`);
  }
  return {
    ready: waiting.length === 0,
    status: `${input.deployments.length - waiting.length}/${input.deployments.length} Deployments ready in ${input.region}`,
    waiting: waiting.slice(0, 10),
    at: new Date(awsNow()).toISOString(),
  };
});
