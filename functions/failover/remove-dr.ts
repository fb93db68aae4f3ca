/**
 * Offboarding's DR step, repeated by the state machine until it says done: detaches and deletes the
 * tenant's global secondary and its global database (the writer stays for offboarding to snapshot and
 * delete), and deletes its DR snapshots and copies in both regions.
 */
import { defineStep } from "../shared/handler.ts";
import { TenantRef } from "../tenant/lib/inputs.ts";
import { regionPair } from "./lib/aws.ts";
import { removeDr } from "./lib/dr-setup.ts";

export const RemoveDrInput = TenantRef;

export interface RemoveDrOutput {
  readonly done: boolean;
  readonly removed: readonly string[];
}

export const handler = defineStep(RemoveDrInput, async (input): Promise<RemoveDrOutput> => {
  const { removed, pending } = await removeDr(input, regionPair());
  return { done: !pending, removed };
});
