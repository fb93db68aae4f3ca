/**
 * Gives back every lease an execution holds (or the ones named): the last step of every end path, and
 * of the clean-up that follows an execution stopped or timed out from outside. Releasing what is not
 * held is fine, so it is safe to run twice.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { LockName } from "./acquire-locks.ts";
import { leasesOf, releaseLease } from "./lib/leases.ts";

export const ReleaseLocksInput = z.object({
  executionArn: z.string().min(1),
  /** Only these; all the execution holds when absent. */
  locks: z.array(LockName).optional(),
});

export interface ReleaseLocksResult {
  readonly released: readonly string[];
}

export const handler = defineStep(ReleaseLocksInput, async (input): Promise<ReleaseLocksResult> => {
  const names = input.locks ?? (await leasesOf(input.executionArn));
  const released: string[] = [];
  for (const name of names) if (await releaseLease(name, input.executionArn)) released.push(name);
  return { released };
});
