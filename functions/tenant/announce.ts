/**
 * Last step of onboarding: mark the tenant `active` and publish `Tenant Created` with the secret's ARN
 * and the endpoints (never a password). A repeat finds the tenant active and publishes again
 * (consumers of events are idempotent; EventBridge delivers at least once anyway).
 */
import { z } from "zod";
import type { DetailOf } from "../../events/define.ts";
import { ReportSummary } from "../../events/report.ts";
import { TenantCreated } from "../../events/tenants.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { now, TenantRef } from "./lib/inputs.ts";
import { transition } from "./lib/registry.ts";

export const AnnounceInput = TenantRef.extend({
  secretArn: z.string().min(1),
  endpoint: z.string().min(1),
  hostname: z.string().min(1),
  /** The run report's summary (reports/record-report), carried by Tenant Created. */
  report: ReportSummary.nullish(),
});

export type AnnounceResult = DetailOf<typeof TenantCreated> & { readonly status: "active" };

export const handler = defineStep(AnnounceInput, async (input): Promise<AnnounceResult> => {
  const tenant = await transition({
    slug: input.slug,
    from: ["onboarding", "active"],
    to: "active",
    entry: { at: now(), step: "announce", outcome: "active", executionArn: input.executionArn },
    set: { secretArn: input.secretArn, endpoint: input.endpoint, hostname: input.hostname },
  });
  const detail: DetailOf<typeof TenantCreated> = {
    tenantId: tenant.tenantId,
    slug: tenant.slug,
    tier: tenant.tier,
    region: tenant.region,
    secretArn: input.secretArn,
    endpoint: input.endpoint,
    hostname: input.hostname,
    ...(input.report ? { report: input.report } : {}),
  };
  await publishEvent(TenantCreated, detail);
  return { ...detail, status: "active" };
});
