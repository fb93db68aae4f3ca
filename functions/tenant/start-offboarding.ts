/**
 * Step 1 of offboarding: find the tenant and move it to `offboarding` (from `active` or `failed`, or
 * again when an earlier offboarding stopped halfway). Refuses a tenant still onboarding. A tenant
 * already offboarded is reported as such and nothing is changed.
 */
import { namesTenant, TenantOffboardingFields } from "../../events/tenants.ts";
import { awsRegion } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { TenantNotFoundError, TenantStillOnboardingError } from "./lib/errors.ts";
import { ExecutionArn, now } from "./lib/inputs.ts";
import { requireTenant, slugOfTenant, type TenantRecord, transition } from "./lib/registry.ts";
import { tenantNames } from "./lib/slug.ts";

/** The `Tenant Offboarding Requested` contract (the tenant by slug or by id) plus the execution ARN. */
export const StartOffboardingInput = TenantOffboardingFields.extend({
  executionArn: ExecutionArn,
}).superRefine(namesTenant);

export interface StartOffboardingResult {
  readonly tenantId: string;
  readonly slug: string;
  readonly tier: TenantRecord["tier"];
  readonly clusterIdentifier: string;
  readonly finalSnapshotIdentifier: string;
  readonly secretName: string;
  /** Where the tenant runs: the stage's region, or the paired one after a failover moved it. */
  readonly region: string;
  /** When this offboarding started (the registry's clock). */
  readonly startedAt: string;
  readonly alreadyOffboarded: boolean;
}

export const handler = defineStep(StartOffboardingInput, async (input): Promise<StartOffboardingResult> => {
  const slug = input.slug ?? (await slugOfTenant(input.tenantId ?? ""));
  if (!slug) throw new TenantNotFoundError(`no tenant has the id "${input.tenantId}"`);
  const tenant = await requireTenant(slug);
  if (input.tenantId && tenant.tenantId !== input.tenantId) {
    throw new TenantNotFoundError(`tenant "${slug}" does not have the id "${input.tenantId}"`);
  }
  const names = tenantNames(tenant.slug);
  const result = {
    tenantId: tenant.tenantId,
    slug: tenant.slug,
    tier: tenant.tier,
    clusterIdentifier: names.clusterIdentifier,
    finalSnapshotIdentifier: names.finalSnapshotIdentifier,
    secretName: names.secretName,
    region: tenant.region || awsRegion(),
    startedAt: now(),
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
      ...(input.reason || input.requestedBy
        ? {
            reason: [input.reason, input.requestedBy && `requested by ${input.requestedBy}`]
              .filter(Boolean)
              .join("; "),
          }
        : {}),
      executionArn: input.executionArn,
    },
    set: { executionArn: input.executionArn },
  });
  return { ...result, alreadyOffboarded: false };
});
