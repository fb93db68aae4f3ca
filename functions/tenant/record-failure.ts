/**
 * The end of a failed onboarding or offboarding: records the failed step and its reason in the registry
 * (onboarding: status `failed`; offboarding: the status stays and the failure joins the history) and
 * answers the request with `Tenant Onboarding Failed` / `Tenant Offboarding Failed`. Works also when the
 * request was refused before a tenant was registered.
 */
import { z } from "zod";
import { ReportSummary } from "../../events/report.ts";
import { TenantOffboardingFailed, TenantOnboardingFailed } from "../../events/tenants.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { TenantNotFoundError, TenantStateConflictError } from "./lib/errors.ts";
import { Failure, reasonOf } from "./lib/failure.ts";
import { now } from "./lib/inputs.ts";
import { getTenant, recordStep, transition } from "./lib/registry.ts";

export const RecordFailureInput = z.object({
  workflow: z.enum(["onboarding", "offboarding"]),
  executionArn: z.string().min(1),
  slug: z.string().min(1).nullish(),
  /** The requested name, when the request had one (it may be the invalid part of the request). */
  name: z
    .unknown()
    .optional()
    .transform((value) => (typeof value === "string" ? value : undefined)),
  failure: Failure,
  /** What compensation removed, or why it failed. */
  compensation: z.object({ removed: z.array(z.string()).optional(), error: z.string().optional() }).nullish(),
  /** The run report's summary (reports/record-report), carried by the failure event. */
  report: ReportSummary.nullish(),
});

export interface RecordFailureResult {
  readonly tenantId?: string;
  readonly slug?: string;
  readonly step: string;
  readonly error: string;
  readonly reason: string;
  readonly recorded: boolean;
}

export const handler = defineStep(RecordFailureInput, async (input): Promise<RecordFailureResult> => {
  const { failure, executionArn } = input;
  const reason = reasonOf(failure);
  const compensationNote = input.compensation?.error
    ? `; compensation failed: ${input.compensation.error}`
    : "";
  const tenant = input.slug ? await getTenant(input.slug) : undefined;
  const ours = tenant !== undefined && tenant.executionArn === executionArn;
  const entry = {
    at: now(),
    step: failure.step,
    outcome: "failed",
    reason: `${failure.error}: ${reason}${compensationNote}`,
    executionArn,
  };

  if (tenant && ours && input.workflow === "onboarding") {
    await transition({
      slug: tenant.slug,
      from: ["onboarding", "failed"],
      to: "failed",
      entry,
      set: { failure: { step: failure.step, error: failure.error, cause: reason } },
    }).catch((error: unknown) => {
      if (!(error instanceof TenantStateConflictError || error instanceof TenantNotFoundError)) throw error;
    });
  } else if (tenant && ours) {
    await recordStep(tenant.slug, entry);
  }

  const detail = {
    ...(tenant ? { tenantId: tenant.tenantId } : {}),
    ...(input.slug ? { slug: input.slug } : {}),
    step: failure.step,
    error: failure.error,
    reason,
    executionArn,
    ...(input.report ? { report: input.report } : {}),
  };
  if (input.workflow === "onboarding") {
    await publishEvent(TenantOnboardingFailed, {
      ...detail,
      ...(input.name ? { name: input.name } : {}),
    });
  } else {
    await publishEvent(TenantOffboardingFailed, detail);
  }
  return { ...detail, recorded: tenant !== undefined && ours };
});
