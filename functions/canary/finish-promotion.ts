/** Stable runs the new image and is ready: every request to it, and the canary Deployment removed. */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { Plan } from "./lib/plan.ts";
import { type Retired, retireCanary } from "./lib/retire.ts";

export const FinishPromotionInput = z.object({ plan: Plan, executionArn: z.string().min(1) });

export const handler = defineStep(
  FinishPromotionInput,
  async ({ plan, executionArn }): Promise<Retired> =>
    retireCanary(await kubernetesClient(plan.cluster, plan.region), plan, executionArn, false),
);
