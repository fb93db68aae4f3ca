/**
 * Last step per tenant: its outcome (every failed check with its values), `Backup Verified` or
 * `Backup Verification Failed` on the bus, the CloudWatch metrics by tier (`RestoreSeconds`,
 * `VerificationFailed`) and the tenant's run of consecutive failed verifications
 * (`ConsecutiveFailedRuns`, which the repeated-failure alarm watches), kept in the registry.
 */
import { z } from "zod";
import { BackupVerificationFailed, BackupVerified } from "../../events/operations.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { Target } from "./lib/inputs.ts";
import { putBackupMetrics } from "./lib/metrics.ts";
import { assess, type FailedCheck, TenantRun } from "./lib/outcome.ts";
import { recordRun } from "./lib/streaks.ts";

export const RecordTenantInput = TenantRun.extend({
  target: Target,
  restoredFrom: z.string().min(1).nullable(),
  executionArn: z.string().min(1),
});

export interface TenantOutcome {
  readonly slug: string;
  readonly tier: string;
  readonly outcome: "verified" | "failed";
  readonly restoreSeconds: number | null;
  readonly rtoSeconds: number;
  readonly failedChecks: readonly FailedCheck[];
  readonly consecutiveFailures: number;
}

export const handler = defineStep(RecordTenantInput, async (input): Promise<TenantOutcome> => {
  const { target } = input;
  const { failed, passed } = assess(input, target.rtoSeconds);
  const outcome = failed.length === 0 ? "verified" : "failed";
  const restoreSeconds = input.failure === null ? input.restoreSeconds : null;
  const common = {
    executionArn: input.executionArn,
    slug: target.slug,
    tenantId: target.tenantId,
    tier: target.tier,
    clusterIdentifier: target.clusterIdentifier,
    restoredFrom: input.restoredFrom,
    restoreSeconds,
    rtoSeconds: target.rtoSeconds,
  };
  const consecutiveFailures = await recordRun(target.slug, input.executionArn, outcome);
  await putBackupMetrics(target.tier, { restoreSeconds, failed: outcome === "failed", consecutiveFailures });
  if (outcome === "verified") await publishEvent(BackupVerified, { ...common, checks: Math.max(passed, 1) });
  else await publishEvent(BackupVerificationFailed, { ...common, failedChecks: failed as never });
  return {
    slug: target.slug,
    tier: target.tier,
    outcome,
    restoreSeconds,
    rtoSeconds: target.rtoSeconds,
    failedChecks: failed,
    consecutiveFailures,
  };
});
