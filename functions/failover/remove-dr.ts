/**
 * Offboarding's DR step, repeated by the state machine until it says done: detaches and deletes the
 * tenant's global secondary and its global database (the writer stays for offboarding to snapshot and
 * delete), deletes its DR snapshots and copies in both regions, and takes its DR space away (namespace
 * and Pod Identity association in the paired region, the secret's replica, which must go before the
 * secret's deletion is scheduled).
 */

import { requireEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { TenantRef } from "../tenant/lib/inputs.ts";
import { regionPair } from "./lib/aws.ts";
import { removeDr } from "./lib/dr-setup.ts";
import { removeDrSpace } from "./lib/dr-space.ts";

export const RemoveDrInput = TenantRef;

export interface RemoveDrOutput {
  readonly done: boolean;
  readonly removed: readonly string[];
}

export const handler = defineStep(RemoveDrInput, async (input): Promise<RemoveDrOutput> => {
  const regions = regionPair();
  const { removed, pending } = await removeDr(input, regions);
  const clusterName = requireEnv("EKS_CLUSTER_NAME");
  const kubernetes = await kubernetesClient(clusterName, regions.dr);
  const space = await removeDrSpace(kubernetes, clusterName, input, regions);
  return { done: !pending, removed: [...removed, ...space] };
});
