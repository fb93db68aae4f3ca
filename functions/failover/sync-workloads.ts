/**
 * DR upkeep: mirrors the Deployments of the platform and of every active tenant from the region that
 * serves them to the standby one (lib/workloads.ts): a tenant's Deployment missing there is made at zero
 * replicas, and each records the replicas the serving region runs, which a failover scales up to when
 * the serving region no longer answers. A tenant whose namespace is not in the standby region yet is
 * left to readiness to report; a region that does not answer is skipped until the next run.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { type KubernetesClient, kubernetesClient } from "../shared/kubernetes.ts";
import { otherRegion, regionPair } from "./lib/aws.ts";
import { Inventory } from "./lib/inventory.ts";
import { activeTenants, platformWriterRegion } from "./lib/plan.ts";
import {
  clusterOf,
  isUnreachable,
  mirrorDeployments,
  platformSet,
  tenantSet,
  type WorkloadSet,
} from "./lib/workloads.ts";

export const SyncWorkloadsInput = z.object({ executionArn: z.string().min(1) });

export interface SyncWorkloadsResult {
  /** Deployments seen in the serving regions. */
  readonly mirrored: number;
  /** Mirrors made in a standby region, `region/namespace/name`. */
  readonly created: readonly string[];
  /** Sets left for the next run, with why. */
  readonly skipped: readonly string[];
}

export const handler = defineStep(SyncWorkloadsInput, async (): Promise<SyncWorkloadsResult> => {
  const { home } = regionPair();
  const sets: { set: WorkloadSet; serving: string }[] = [
    { set: platformSet(), serving: await platformWriterRegion() },
    ...(await activeTenants()).map((t) => ({ set: tenantSet(t.slug), serving: t.region || home })),
  ];
  let mirrored = 0;
  const created: string[] = [];
  const skipped: string[] = [];
  // Each cluster's namespaces and Deployments are listed once (lib/inventory.ts), whatever the sets.
  const inventory = new Inventory();
  const clients = new Map<string, Promise<KubernetesClient>>();
  const clusterIn = (cluster: string, region: string) => {
    const key = `${cluster}@${region}`;
    if (!clients.has(key)) clients.set(key, kubernetesClient(cluster, region));
    return { key, client: clients.get(key) as Promise<KubernetesClient> };
  };
  for (const { set, serving } of sets) {
    const standby = otherRegion(serving);
    try {
      const to = clusterIn(clusterOf(set, standby), standby);
      const target = await to.client;
      if (!(await inventory.namespaces(to.key, target)).has(set.namespace)) {
        skipped.push(`${set.subject}: no namespace ${set.namespace} in ${standby}`);
        continue;
      }
      const from = clusterIn(clusterOf(set, serving), serving);
      const source = await from.client;
      const result = await mirrorDeployments(source, target, set, serving, {
        serving: (await inventory.deployments(from.key, source)).get(set.namespace) ?? [],
        standby: (await inventory.deployments(to.key, target)).get(set.namespace) ?? [],
      });
      mirrored += result.recorded;
      created.push(...result.created.map((name) => `${standby}/${name}`));
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      skipped.push(`${set.subject}: ${serving} or ${standby} does not answer`);
    }
  }
  return { mirrored, created, skipped };
});
