/**
 * Offboarding's DR step, repeated by the state machine until it says done. It reads where the tenant
 * runs from the registry itself, after offboarding holds its locks (a failover that held the fleet
 * meanwhile may have moved it), and says so for the steps after it. A tenant running at home: detaches
 * and deletes its global secondary and its global database (the writer stays for offboarding to
 * snapshot and delete), deletes its DR snapshots and copies in both regions, and takes its DR space
 * away (namespace and Pod Identity association in the paired region, the secret's replica, which must
 * go before the secret's deletion is scheduled); a region of the pair that does not answer stops it,
 * by name, before anything changes there. A tenant a failover moved to the paired region:
 * lib/moved-removal.ts (the home region cleared, or recorded as a leftover while it does not answer).
 */
import { z } from "zod";
import type { Leftover } from "../../events/tenants.ts";
import { requireEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { TenantRef } from "../tenant/lib/inputs.ts";
import { requireTenant } from "../tenant/lib/registry.ts";
import { regionPair } from "./lib/aws.ts";
import { removeDr } from "./lib/dr-setup.ts";
import { removeDrSpace } from "./lib/dr-space.ts";
import { RegionUnreachableError } from "./lib/errors.ts";
import { removeMovedDr } from "./lib/moved-removal.ts";
import { isUnreachable } from "./lib/region-clearing.ts";

export const RemoveDrInput = TenantRef.extend({
  /** When the offboarding started: a `-stale-` snapshot older than this is not kept in place of a new one. */
  startedAt: z.iso.datetime().optional(),
});

export interface RemoveDrOutput {
  readonly done: boolean;
  readonly removed: readonly string[];
  /** Where the tenant runs (the registry's `region`): the later steps act there. */
  readonly region: string;
  /** What sits in a region that did not answer, or is held until it does. */
  readonly leftovers: readonly Leftover[];
  /** The writer stays a member of its global database: offboarding snapshots it but cannot delete it. */
  readonly writerHeld: boolean;
}

export const handler = defineStep(RemoveDrInput, async (input): Promise<RemoveDrOutput> => {
  const regions = regionPair();
  const region = (await requireTenant(input.slug)).region || regions.home;
  const clusterName = requireEnv("EKS_CLUSTER_NAME");
  if (region !== regions.home) {
    const moved = await removeMovedDr(
      input,
      region,
      regions.home,
      input.startedAt ?? new Date(0).toISOString(),
      (where) => kubernetesClient(clusterName, where),
    );
    return { ...moved, region };
  }
  try {
    const { removed, pending } = await removeDr(input, regions);
    const kubernetes = await kubernetesClient(clusterName, regions.dr);
    const space = await removeDrSpace(kubernetes, clusterName, input, regions);
    return { done: !pending, removed: [...removed, ...space], region, leftovers: [], writerHeld: false };
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    throw new RegionUnreachableError(
      `tenant ${input.slug} runs in ${regions.home}, and its DR reaches ${regions.dr}: one of them does not answer, so its DR cannot be taken away nor its final snapshot taken; offboard it once both answer (or once a failover has moved it)`,
      { cause: error },
    );
  }
});
