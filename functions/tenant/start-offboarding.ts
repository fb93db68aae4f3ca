/**
 * Step 1 of offboarding: find the tenant and move it to `offboarding` (from `active` or `failed`, or
 * again when an earlier offboarding stopped halfway). Refuses a tenant still onboarding. A tenant
 * already offboarded is reported as such and nothing is changed.
 */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { TenantStillOnboardingError } from "./lib/errors.ts";
import { ExecutionArn, now } from "./lib/inputs.ts";
import { requireTenant, type TenantRecord, transition } from "./lib/registry.ts";
import { tenantNames } from "./lib/slug.ts";

export const StartOffboardingInput = z.object({
  slug: z.string().min(1),
  reason: z.string().max(500).optional(),
  executionArn: ExecutionArn,
});

export interface StartOffboardingResult {
  readonly tenantId: string;
  readonly slug: string;
  readonly tier: TenantRecord["tier"];
  readonly clusterIdentifier: string;
  readonly finalSnapshotIdentifier: string;
  readonly secretName: string;
  readonly alreadyOffboarded: boolean;
}

export const handler = defineStep(StartOffboardingInput, async (input): Promise<StartOffboardingResult> => {
  const tenant = await requireTenant(input.slug);
  const names = tenantNames(tenant.slug);
  const result = {
    tenantId: tenant.tenantId,
    slug: tenant.slug,
    tier: tenant.tier,
    clusterIdentifier: names.clusterIdentifier,
    finalSnapshotIdentifier: names.finalSnapshotIdentifier,
    secretName: names.secretName,
  };
  if (tenant.status === "offboarded") return { ...result, alreadyOffboarded: true };
  if (tenant.status === "onboarding") {
    throw new TenantStillOnboardingError(
      `tenant "${tenant.slug}" is still onboarding (${tenant.executionArn}); offboard it once that ends`,
    );
  }
  await transition({
    slug: tenant.slug,
    from: ["active", "failed", "offboarding"],
    to: "offboarding",
    entry: {
      at: now(),
      step: "start-offboarding",
      outcome: "offboarding",
      ...(input.reason ? { reason: input.reason } : {}),
      executionArn: input.executionArn,
    },
    set: { executionArn: input.executionArn },
  });
  return { ...result, alreadyOffboarded: false };
});
