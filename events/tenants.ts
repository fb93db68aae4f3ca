/** Tenant lifecycle: each request is answered by a success or a failure event. */
import { z } from "zod";
import { defineEvent } from "./define.ts";
import { reportField } from "./report.ts";
import { SOURCES } from "./sources.ts";

const Tier = z.enum(["premium", "standard", "basic"]);
const ExecutionArn = z.string().min(1);

export const TenantRequested = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Requested",
  description: "The admin API asks for a new tenant; starts tenant-onboarding.",
  detail: z.object({
    name: z.string().min(1).max(100),
    tier: Tier,
    adminEmail: z.email(),
    slug: z.string().min(1).max(63).optional(),
    region: z.string().min(1).optional(),
  }),
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

export const TenantOffboardingRequested = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Offboarding Requested",
  description: "The admin API asks to offboard a tenant; starts tenant-offboarding.",
  // The tenant by slug or by id, as tenant-offboarding takes it: the admin API knows both.
  detail: z
    .object({
      slug: z.string().min(1).optional(),
      tenantId: z.string().min(1).optional(),
      requestedBy: z.string().min(1).optional(),
      reason: z.string().optional(),
    })
    .refine((detail) => detail.slug !== undefined || detail.tenantId !== undefined, {
      message: "give the tenant's slug or tenantId",
      path: ["slug"],
    }),
});

export const TenantOffboarded = defineEvent({
  source: SOURCES.tenants,
  detailType: "Tenant Offboarded",
  description: "A tenant is gone; its final snapshot is kept.",
  detail: z.object({
    tenantId: z.string().min(1),
    slug: z.string().min(1),
    finalSnapshotId: z.string().min(1).nullable(),
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
