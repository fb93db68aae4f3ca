/**
 * Rolls a canary back: the VirtualService sends every request to stable at once (the first call), then
 * the canary Deployment this execution made is removed. Safe to repeat (a retry, a redrive, the
 * failure path after a rollback that already ran). With no plan (the failure came before one), there
 * is nothing on the cluster to undo.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { Plan } from "./lib/plan.ts";
import { type Retired, retireCanary } from "./lib/retire.ts";

export const RollbackInput = z.object({ plan: Plan.nullable(), executionArn: z.string().min(1) });

export type RollbackResult = Retired | { readonly nothingToUndo: true };

export const handler = defineStep(RollbackInput, async ({ plan, executionArn }): Promise<RollbackResult> => {
  if (!plan) return { nothingToUndo: true };
  return retireCanary(await kubernetesClient(plan.cluster, plan.region), plan, executionArn, true);
});
