/**
 * Last step of offboarding: mark the tenant `offboarded`, keeping the final snapshot id (and its region,
 * when a failover moved the tenant) and what could not be reached (`leftovers`, for the DR readiness run
 * to remove); publish `Tenant Offboarded` saying both.
 */
import { z } from "zod";
import type { DetailOf } from "../../events/define.ts";
import { ReportSummary } from "../../events/report.ts";
import { Leftover, TenantOffboarded } from "../../events/tenants.ts";
import { awsRegion } from "../shared/env.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { now, TenantRef } from "./lib/inputs.ts";
import { transition } from "./lib/registry.ts";

export const FinishOffboardingInput = TenantRef.extend({
  snapshotIdentifier: z.string().min(1).nullable(),
  /** The run report's summary (reports/record-report), carried by Tenant Offboarded. */
  report: ReportSummary.nullish(),
  /** Where the tenant ran (its final snapshot is there); the stage's own region when absent. */
  region: z.string().min(1).optional(),
  /** JSONata gives one leftover as an object, not a one-item array. */
  leftovers: z.preprocess((v) => (v && !Array.isArray(v) ? [v] : v), z.array(Leftover)).nullish(),
});

export type FinishOffboardingResult = DetailOf<typeof TenantOffboarded> & { readonly status: "offboarded" };

export const handler = defineStep(FinishOffboardingInput, async (input): Promise<FinishOffboardingResult> => {
  const leftovers = input.leftovers ?? [];
  const movedTo = input.region && input.region !== awsRegion() ? input.region : undefined;
  const snapshotRegion = input.snapshotIdentifier ? movedTo : undefined;
  await transition({
    slug: input.slug,
    from: ["offboarding", "offboarded"],
    to: "offboarded",
    entry: {
      at: now(),
      step: "finish-offboarding",
      outcome: "offboarded",
      reason: [
        input.snapshotIdentifier
          ? `final snapshot ${input.snapshotIdentifier}${snapshotRegion ? ` in ${snapshotRegion}` : ""}`
          : "no database to keep",
        ...leftovers.map((l) => `left in ${l.region}: ${l.resource} (${l.reason})`),
      ].join("; "),
      executionArn: input.executionArn,
    },
    set: {
      finalSnapshotId: input.snapshotIdentifier ?? undefined,
      finalSnapshotRegion: snapshotRegion,
      leftovers: leftovers.length > 0 ? leftovers : undefined,
    },
  });
  const detail: DetailOf<typeof TenantOffboarded> = {
    tenantId: input.tenantId,
    slug: input.slug,
    finalSnapshotId: input.snapshotIdentifier,
    ...(snapshotRegion ? { finalSnapshotRegion: snapshotRegion } : {}),
    ...(leftovers.length > 0 ? { leftovers } : {}),
    executionArn: input.executionArn,
    ...(input.report ? { report: input.report } : {}),
  };
  await publishEvent(TenantOffboarded, detail);
  return { ...detail, status: "offboarded" };
});
