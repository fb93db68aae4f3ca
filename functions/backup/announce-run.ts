/**
 * Last step of a backup verification run: `Backup Verification Completed` with the outcome (verified
 * when every tenant passed), the counts, the failed tenants and the run report's summary.
 */
import { z } from "zod";
import { BackupVerificationCompleted } from "../../events/operations.ts";
import { ReportSummary } from "../../events/report.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";

export const AnnounceRunInput = z.object({
  executionArn: z.string().min(1),
  tenants: z.array(z.object({ slug: z.string().min(1), outcome: z.enum(["verified", "failed"]) })),
  report: ReportSummary.nullable(),
});

export interface AnnounceRunResult {
  readonly outcome: "verified" | "failed";
}

export const handler = defineStep(AnnounceRunInput, async (input): Promise<AnnounceRunResult> => {
  const failedTenants = input.tenants.filter((t) => t.outcome === "failed").map((t) => t.slug);
  const outcome = failedTenants.length === 0 ? "verified" : "failed";
  await publishEvent(BackupVerificationCompleted, {
    executionArn: input.executionArn,
    outcome,
    verified: input.tenants.length - failedTenants.length,
    failed: failedTenants.length,
    failedTenants,
    ...(input.report ? { report: input.report } : {}),
  });
  return { outcome };
});
