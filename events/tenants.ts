/**
 * Tenant lifecycle: each request is answered by a success or a failure event. A request's detail is
 * also the input of the workflow it starts and, with the execution ARN added, of that workflow's
 * first step: one contract, checked with the rules that step applies (`resolveSlug` is the step's
 * own function), so that a request is refused before anything starts rather than at step 1.
 */
import { z } from "zod";
import { InvalidInputError } from "../functions/shared/errors.ts";
import { isValidSlug, MAX_SLUG_LENGTH, resolveSlug, SLUG } from "../functions/tenant/lib/slug.ts";
import { Tier } from "../functions/tenant/lib/tiers.ts";
import { defineEvent } from "./define.ts";
import { AwsRegion, ExecutionArn } from "./fields.ts";
import { reportField } from "./report.ts";
import { SOURCES } from "./sources.ts";

const SLUG_RULE = `lowercase letters, digits and single hyphens, starting with a letter, at most ${MAX_SLUG_LENGTH} characters`;
/** What the JSON Schema (events/schemas) says of a slug; the zod checks are the step's own functions. */
const SLUG_SCHEMA = { pattern: SLUG.source, maxLength: MAX_SLUG_LENGTH } as const;

/**
 * A tenant request field by field. The first step's input extends these (it applies the slug rules
 * itself, throwing the named errors its Catch records); everything else uses `TenantRequest`.
 */
export const TenantRequestFields = z.object({
  name: z.string().trim().min(1).max(100),
  tier: Tier,
  adminEmail: z.email(),
  slug: z
    .string()
    .meta({
      ...SLUG_SCHEMA,
      description: `Derived from the name when absent; ${SLUG_RULE}; not a reserved name (admin, kube-*, ...).`,
    })
    .optional(),
  region: AwsRegion.optional().describe(
    "The tenant's home region; registration also checks that the deployment provisions tenants there (TENANT_REGIONS).",
  ),
});

/** Adds an issue for each reason the first step's `resolveSlug` would refuse the request. */
function slugRules(request: { name: unknown; slug?: unknown }, ctx: z.RefinementCtx): void {
  if (typeof request.name !== "string" || !(request.slug === undefined || typeof request.slug === "string"))
    return; // the field checks already said why
  try {
    resolveSlug(request.name, request.slug);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    for (const issue of error.issues.length > 0 ? error.issues : [error.message]) {
      const [, field, reason] = /^(\w+): ([\s\S]*)$/.exec(issue) ?? [];
      if (field === "slug" && request.slug === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["name"],
          message: `the slug derived from the name is refused (${reason}); give a slug explicitly`,
        });
      } else ctx.addIssue({ code: "custom", path: field ? [field] : [], message: reason ?? issue });
    }
  }
}

/** What `Tenant Requested` carries, what tenant-onboarding takes, and what its first step checks. */
export const TenantRequest = TenantRequestFields.superRefine(slugRules);
export type TenantRequest = z.infer<typeof TenantRequest>;

export const TenantRequested = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Requested",
  description: "The admin API asks for a new tenant; starts tenant-onboarding.",
  detail: TenantRequest,
});

export const TenantCreated = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Created",
  description: "A tenant is active: its database, secret and namespace exist. Never carries a password.",
  detail: z.object({
    tenantId: z.string().min(1),
    slug: z.string().min(1),
    tier: Tier,
    region: z.string().min(1),
    secretArn: z.string().min(1),
    endpoint: z.string().min(1),
    hostname: z.string().min(1),
    ...reportField,
  }),
});

const Failure = {
  step: z.string().min(1),
  error: z.string().min(1),
  reason: z.string(),
  executionArn: ExecutionArn,
};

export const TenantOnboardingFailed = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Onboarding Failed",
  description: "Onboarding stopped at a step; what it created was compensated.",
  detail: z.object({
    tenantId: z.string().min(1).optional(),
    slug: z.string().min(1).optional(),
    name: z.string().optional(),
    ...Failure,
    ...reportField,
  }),
});

/** An offboarding request field by field; the first step's input extends these. */
export const TenantOffboardingFields = z.object({
  slug: z.string().refine(isValidSlug, `is not a tenant slug (${SLUG_RULE})`).meta(SLUG_SCHEMA).optional(),
  tenantId: z.string().min(1).optional(),
  requestedBy: z.string().min(1).optional(),
  reason: z.string().max(500).optional(),
});

/** The tenant by slug (CLI) or by id (the admin API): one of them is needed. */
export function namesTenant(request: { slug?: unknown; tenantId?: unknown }, ctx: z.RefinementCtx): void {
  if (request.slug === undefined && request.tenantId === undefined) {
    ctx.addIssue({ code: "custom", path: ["slug"], message: "give the tenant's slug or tenantId" });
  }
}

/** What `Tenant Offboarding Requested` carries, what tenant-offboarding takes, and what its first step checks. */
export const TenantOffboardingRequest = TenantOffboardingFields.superRefine(namesTenant);
export type TenantOffboardingRequest = z.infer<typeof TenantOffboardingRequest>;

export const TenantOffboardingRequested = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Offboarding Requested",
  description: "The admin API asks to offboard a tenant; starts tenant-offboarding.",
  detail: TenantOffboardingRequest,
});

/**
 * What an offboarding could not take away: in a region that did not answer (a regional outage after a
 * failover), or held by AWS until that region answers (a global database's writer, detached last). The
 * DR readiness run removes it once the region answers (functions/failover/sweep-offboarded.ts).
 */
export const Leftover = z.object({
  region: AwsRegion,
  resource: z.string().min(1),
  reason: z.string().min(1),
});
export type Leftover = z.infer<typeof Leftover>;

export const TenantOffboarded = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Offboarded",
  description:
    "A tenant is gone; its final snapshot is kept. What sits in a region that did not answer is listed in `leftovers`, removed when it answers.",
  detail: z.object({
    tenantId: z.string().min(1),
    slug: z.string().min(1),
    finalSnapshotId: z.string().min(1).nullable(),
    /** The region the final snapshot is in (the one the tenant ran in: after a failover, the DR region). */
    finalSnapshotRegion: AwsRegion.optional(),
    leftovers: z.array(Leftover).optional(),
    executionArn: ExecutionArn,
    ...reportField,
  }),
});

export const TenantOffboardingFailed = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Offboarding Failed",
  description: "Offboarding stopped at a step.",
  detail: z.object({
    tenantId: z.string().min(1).optional(),
    slug: z.string().min(1).optional(),
    ...Failure,
    ...reportField,
  }),
});

export const tenantEvents = [
  TenantRequested,
  TenantCreated,
  TenantOnboardingFailed,
  TenantOffboardingRequested,
  TenantOffboarded,
  TenantOffboardingFailed,
] as const;
