/**
 * Offboarding's DR step, repeated by the state machine until it says done. A tenant running at home:
 * detaches and deletes its global secondary and its global database (the writer stays for offboarding
 * to snapshot and delete), deletes its DR snapshots and copies in both regions, and takes its DR space
 * away (namespace and Pod Identity association in the paired region, the secret's replica, which must
 * go before the secret's deletion is scheduled). A tenant a failover moved to the paired region:
 * lib/moved-removal.ts (the home region cleared, or recorded as a leftover while it does not answer).
 */

import { z } from "zod";
import type { Leftover } from "../../events/tenants.ts";
import { requireEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { TenantRef } from "../tenant/lib/inputs.ts";
import { regionPair } from "./lib/aws.ts";
import { removeDr } from "./lib/dr-setup.ts";
import { removeDrSpace } from "./lib/dr-space.ts";
import { removeMovedDr } from "./lib/moved-removal.ts";

export const RemoveDrInput = TenantRef.extend({
  /** Where the tenant runs (the registry's `region`); the stage's region when absent. */
  region: z.string().min(1).optional(),
  /** When the offboarding started: a `-stale-` snapshot older than this is not kept in place of a new one. */
  startedAt: z.iso.datetime().optional(),
});

export interface RemoveDrOutput {
  readonly done: boolean;
  readonly removed: readonly string[];
  /** What sits in a region that did not answer, or is held until it does. */
  readonly leftovers: readonly Leftover[];
  /** The writer stays a member of its global database: offboarding snapshots it but cannot delete it. */
  readonly writerHeld: boolean;
}

export const handler = defineStep(RemoveDrInput, async (input): Promise<RemoveDrOutput> => {
  const regions = regionPair();
  if (input.region && input.region !== regions.home)
    return removeMovedDr(input, input.region, regions.home, input.startedAt ?? new Date(0).toISOString());
  const { removed, pending } = await removeDr(input, regions);
  const clusterName = requireEnv("EKS_CLUSTER_NAME");
  const kubernetes = await kubernetesClient(clusterName, regions.dr);
  const space = await removeDrSpace(kubernetes, clusterName, input, regions);
  return { done: !pending, removed: [...removed, ...space], leftovers: [], writerHeld: false };
});
