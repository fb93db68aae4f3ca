/**
 * Onboarding's DR step: brings the tenant's DR into line with its tier (premium: global database with
 * a secondary in the paired region; standard and basic: the first DR snapshot, copied by the schedule),
 * and makes what the tenant needs to run there (lib/dr-space.ts: its namespace on the paired region's
 * tenant cluster, the Pod Identity association, its secret's replica). Adopts what exists, says what it
 * created, records it on the tenant.
 */
import { defineStep } from "../shared/handler.ts";
import { kubernetesClient } from "../shared/kubernetes.ts";
import { now, TenantWithTier } from "../tenant/lib/inputs.ts";
import { clusterSettings } from "../tenant/lib/namespace.ts";
import { recordStep } from "../tenant/lib/registry.ts";
import { regionPair } from "./lib/aws.ts";
import { type EnsureDrResult, ensureDr } from "./lib/dr-setup.ts";
import { ensureDrSpace } from "./lib/dr-space.ts";

export const EnsureDrInput = TenantWithTier;

export const handler = defineStep(EnsureDrInput, async (input): Promise<EnsureDrResult> => {
  const { home, dr } = regionPair();
  const database = await ensureDr(input, input.tier, home, dr);
  const settings = clusterSettings();
  const kubernetes = await kubernetesClient(settings.clusterName, dr);
  const space = await ensureDrSpace(kubernetes, settings, input, { home, dr });
  const result = { ...database, created: [...database.created, ...space] };
  await recordStep(input.slug, {
    at: now(),
    step: "ensure-dr",
    outcome: result.created.length > 0 ? "created" : "adopted",
    reason: `${result.strategy} to ${dr}, namespace and secret replica there${result.created.length > 0 ? `: ${result.created.join(", ")}` : ""}`,
    executionArn: input.executionArn,
  });
  return result;
});
