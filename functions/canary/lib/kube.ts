/** The Kubernetes client of the cluster a plan deploys to (in the plan's region). */
import { type KubernetesClient, kubernetesClient } from "../../shared/kubernetes.ts";
import type { Plan } from "./plan.ts";

export function clusterOf(plan: Pick<Plan, "cluster" | "region">): Promise<KubernetesClient> {
  return kubernetesClient(plan.cluster, plan.region);
}
