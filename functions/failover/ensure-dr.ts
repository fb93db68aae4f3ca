/**
 * Onboarding's DR step: brings the tenant's DR into line with its tier (premium: global database with
 * a secondary in the paired region; standard and basic: the first DR snapshot, copied by the schedule).
 * Adopts what exists, says what it created, records it on the tenant.
 */
import { defineStep } from "../shared/handler.ts";
import { now, TenantWithTier } from "../tenant/lib/inputs.ts";
import { recordStep } from "../tenant/lib/registry.ts";
import { regionPair } from "./lib/aws.ts";
import { type EnsureDrResult, ensureDr } from "./lib/dr-setup.ts";

export const EnsureDrInput = TenantWithTier;

export const handler = defineStep(EnsureDrInput, async (input): Promise<EnsureDrResult> => {
  const { home, dr } = regionPair();
  const result = await ensureDr(input, input.tier, home, dr);
  await recordStep(input.slug, {
    at: now(),
    step: "ensure-dr",
    outcome: result.created.length > 0 ? "created" : "adopted",
    reason: `${result.strategy} to ${dr}${result.created.length > 0 ? `: ${result.created.join(", ")}` : ""}`,
    executionArn: input.executionArn,
  });
  return result;
});
