/**
 * The EKS access entries a function's catalog entry asks for, as both runtimes make them: one per
 * cluster and region, placeholders filled in (`${region}` in a cluster's name is the entry's region).
 */
import { type FunctionSpec, kubernetesAccessOf } from "../functions/shared/catalog.ts";
import { type DeployContext, fillPlaceholders } from "./context.ts";

export interface KubernetesAccessEntry {
  readonly clusterName: string;
  readonly region: string;
  readonly policyArn: string;
}

export function kubernetesAccessEntries(spec: FunctionSpec, ctx: DeployContext): KubernetesAccessEntry[] {
  const entries = new Map<string, KubernetesAccessEntry>();
  for (const access of kubernetesAccessOf(spec)) {
    for (const where of access.regions ?? ["${region}"]) {
      const region = fillPlaceholders(where, ctx);
      const inRegion = { ...ctx, region };
      const entry = {
        clusterName: fillPlaceholders(access.cluster, inRegion),
        region,
        policyArn: fillPlaceholders(access.accessPolicy, ctx),
      };
      entries.set(`${entry.region}/${entry.clusterName}`, entry);
    }
  }
  return [...entries.values()];
}
