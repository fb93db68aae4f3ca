/**
 * Cleanup, per tenant, on every path: deletes this execution's scratch instance and cluster (no final
 * snapshot). Only what is tagged `cplane:scratch` by this execution is touched; anything else with the
 * name is refused. Nothing there is fine (the restore never started). A cluster still being created
 * cannot be deleted yet: `ScratchBusyError`, retried by the state machine.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { deleteScratch } from "./lib/cleanup.ts";

export const DeleteScratchInput = z.object({
  slug: z.string().min(1),
  region: z.string().min(1),
  executionArn: z.string().min(1),
});

export interface DeleteScratchResult {
  readonly removed: readonly string[];
}

export const handler = defineStep(
  DeleteScratchInput,
  async (input): Promise<DeleteScratchResult> => ({
    removed: await deleteScratch(input.region, input.slug, input.executionArn),
  }),
);
