/**
 * What a failover would run on a standby cluster: each Deployment of the moving sets there at the
 * replicas it would be scaled up to (as `scaleUp` decides without the serving region: the larger of its
 * own and what the DR upkeep recorded the serving region runs), each pod requesting what its
 * containers request.
 */
import type { KubernetesObject } from "../../shared/kubernetes.ts";
import { type DeploymentDemand, podRequests } from "./capacity.ts";
import { ANNOTATION_DR_REPLICAS, type WorkloadSet } from "./workloads.ts";

type DeploymentObject = {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: { resources?: { requests?: Record<string, unknown> } }[] } };
  };
};

export function standbyDemand(
  /** The standby cluster's Deployments by namespace (lib/inventory.ts). */
  deployments: ReadonlyMap<string, readonly KubernetesObject[]>,
  sets: readonly WorkloadSet[],
): (DeploymentDemand & { declared: boolean })[] {
  const out: (DeploymentDemand & { declared: boolean })[] = [];
  for (const set of sets) {
    for (const object of deployments.get(set.namespace) ?? []) {
      const d = object as DeploymentObject;
      const current = Number(d.spec?.replicas ?? 1);
      const recorded = Number(d.metadata?.annotations?.[ANNOTATION_DR_REPLICAS] ?? Number.NaN);
      const replicas = Math.max(current, Number.isFinite(recorded) ? recorded : current);
      const pod = podRequests(d.spec?.template?.spec?.containers ?? []);
      out.push({ name: `${set.namespace}/${d.metadata?.name ?? ""}`, replicas, ...pod });
    }
  }
  return out;
}
