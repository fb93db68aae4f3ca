/**
 * Step 1 of onboarding: validate the request, derive the slug, and register the tenant with a
 * conditional write. A repeated request for the same tenant joins it (`joined: true`) instead of
 * creating a second one; a tenant whose onboarding failed is taken over by the new execution.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { TenantRequestFields } from "../../events/tenants.ts";
import { awsRegion, optionalEnv } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { TenantRequestConflictError, TenantSlugTakenError, UnsupportedRegionError } from "./lib/errors.ts";
import { isExecutionRunning } from "./lib/executions.ts";
import { ExecutionArn, now } from "./lib/inputs.ts";
import { getTenant, putNewTenant, putTenantAlias, type TenantRecord, transition } from "./lib/registry.ts";
import { resolveSlug } from "./lib/slug.ts";

/**
 * The `Tenant Requested` contract plus the execution ARN. The slug rules the contract checks
 * (`resolveSlug`) are applied again below, where they throw InvalidSlugError or ReservedSlugError by
 * name; the home region's format is checked here, whether the deployment serves it below.
 */
export const RegisterInput = TenantRequestFields.extend({ executionArn: ExecutionArn });
export type RegisterInput = z.infer<typeof RegisterInput>;

export interface RegisterResult extends TenantRecord {
  /** True when the request joined a tenant another execution is onboarding or has onboarded. */
  readonly joined: boolean;
}

/**
 * The home regions tenants may have: where this control plane provisions their clusters and
 * namespaces (`TENANT_REGIONS`, comma-separated; default the function's own region).
 */
function tenantRegions(): string[] {
  return optionalEnv("TENANT_REGIONS", awsRegion())
    .split(",")
    .map((region) => region.trim())
    .filter(Boolean);
}

export async function register(input: RegisterInput): Promise<RegisterResult> {
  const slug = resolveSlug(input.name, input.slug);
  const regions = tenantRegions();
  const region = input.region ?? regions[0] ?? awsRegion();
  if (!regions.includes(region)) {
    throw new UnsupportedRegionError(`region ${region} is not a tenant home region`, [
      `region: must be one of ${regions.join(", ")}`,
    ]);
  }
  const at = now();
  const tenant: TenantRecord = {
    tenantId: randomUUID(),
    slug,
    name: input.name,
    tier: input.tier,
    adminEmail: input.adminEmail,
    region,
    status: "onboarding",
    executionArn: input.executionArn,
    createdAt: at,
    updatedAt: at,
    history: [{ at, step: "register", outcome: "registered", executionArn: input.executionArn }],
  };
  if (await putNewTenant(tenant)) {
    await putTenantAlias(tenant.tenantId, slug);
    return { ...tenant, joined: false };
  }

  const existing = await getTenant(slug);
  if (!existing) return register(input); // deleted in between: try again
  if (existing.executionArn === input.executionArn) {
    await putTenantAlias(existing.tenantId, slug); // a retry may have stopped between the two writes
    return { ...existing, joined: false };
  }
  if (existing.name !== input.name) {
    throw new TenantSlugTakenError(`slug "${slug}" belongs to another tenant ("${existing.name}")`);
  }
  if (existing.status === "onboarding" || existing.status === "active") {
    // A repeat of the same request joins it; a different one must not be answered with what exists.
    const differences = conflicts(existing, input, region);
    if (differences.length > 0) {
      throw new TenantRequestConflictError(
        `tenant "${slug}" already exists (${existing.status}: ${existing.tier}, ${existing.adminEmail}, ${existing.region}); this request differs in ${differences.join(", ")}. Offboard it first, or repeat the request as it was`,
      );
    }
    // Join only an operation that an execution still drives: one whose owner is gone is taken over.
    if (existing.status === "active" || (await isExecutionRunning(existing.executionArn)))
      return { ...existing, joined: true };
    const tookOver = await transition({
      slug,
      from: ["onboarding"],
      to: "onboarding",
      entry: {
        at,
        step: "register",
        outcome: "taken-over",
        reason: `the execution that was onboarding it (${existing.executionArn}) no longer runs`,
        executionArn: input.executionArn,
      },
      set: { executionArn: input.executionArn },
    });
    return { ...tookOver, joined: false };
  }
  if (existing.status === "failed") {
    const retried = await transition({
      slug,
      from: ["failed"],
      to: "onboarding",
      entry: {
        at,
        step: "register",
        outcome: "retrying",
        reason: "onboarding requested again",
        executionArn: input.executionArn,
      },
      set: { executionArn: input.executionArn, tier: input.tier, adminEmail: input.adminEmail },
    });
    return { ...retried, joined: false };
  }
  throw new TenantSlugTakenError(
    `slug "${slug}" belonged to a tenant that is ${existing.status}; it is not reused`,
  );
}

/** What a repeated request asks differently from the tenant that exists (tier, admin, region). */
function conflicts(existing: TenantRecord, input: RegisterInput, region: string): string[] {
  const differences: string[] = [];
  if (existing.tier !== input.tier) differences.push(`tier (${input.tier})`);
  if (existing.adminEmail !== input.adminEmail) differences.push(`adminEmail (${input.adminEmail})`);
  if (input.region !== undefined && existing.region !== region) differences.push(`region (${region})`);
  return differences;
}

export const handler = defineStep(RegisterInput, register);
