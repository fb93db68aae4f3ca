/** Last step of offboarding: mark the tenant `offboarded`, keeping the final snapshot id; publish `Tenant Offboarded`. */
import { z } from "zod";
import type { DetailOf } from "../../events/define.ts";
import { ReportSummary } from "../../events/report.ts";
import { TenantOffboarded } from "../../events/tenants.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { now, TenantRef } from "./lib/inputs.ts";
import { transition } from "./lib/registry.ts";

export const FinishOffboardingInput = TenantRef.extend({
  snapshotIdentifier: z.string().min(1).nullable(),
  /** The run report's summary (reports/record-report), carried by Tenant Offboarded. */
  report: ReportSummary.nullish(),
});

export type FinishOffboardingResult = DetailOf<typeof TenantOffboarded> & { readonly status: "offboarded" };

export const handler = defineStep(FinishOffboardingInput, async (input): Promise<FinishOffboardingResult> => {
  await transition({
    slug: input.slug,
    from: ["offboarding", "offboarded"],
    to: "offboarded",
    entry: {
      at: now(),
      step: "finish-offboarding",
      outcome: "offboarded",
      reason: input.snapshotIdentifier ? `final snapshot ${input.snapshotIdentifier}` : "no database to keep",
      executionArn: input.executionArn,
    },
    set: { finalSnapshotId: input.snapshotIdentifier ?? undefined },
  });
  const detail: DetailOf<typeof TenantOffboarded> = {
    tenantId: input.tenantId,
    slug: input.slug,
    finalSnapshotId: input.snapshotIdentifier,
    executionArn: input.executionArn,
    ...(input.report ? { report: input.report } : {}),
  };
  await publishEvent(TenantOffboarded, detail);
  return { ...detail, status: "offboarded" };
});
