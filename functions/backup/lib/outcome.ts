/**
 * A tenant's outcome from what its steps returned: every failed check with its values, plus a check
 * for a step that failed outright (the restore refused or stuck, the data unreadable, the cleanup) and
 * the restore time against the RTO budget.
 */
import { z } from "zod";
import { CheckResultSchema, type CheckValues } from "./inputs.ts";

export const StepFailure = z
  .object({ step: z.string(), error: z.string(), cause: z.string().nullish() })
  .nullable();

export const TenantRun = z.object({
  policy: z.object({ checks: z.array(CheckResultSchema) }).nullable(),
  restoreSeconds: z.number().nonnegative().nullable(),
  verification: z.object({ checks: z.array(CheckResultSchema) }).nullable(),
  /** The step that failed before the checks could finish, if any. */
  failure: StepFailure,
  /** Null when the cleanup succeeded (or had nothing to do); the error when it failed after its retries. */
  cleanupFailure: StepFailure,
});
export type TenantRun = z.infer<typeof TenantRun>;

export interface FailedCheck {
  readonly check: string;
  readonly values: CheckValues;
}

/** Which check a step's failure counts against. */
const STEP_CHECK: Readonly<Record<string, string>> = {
  "check-policy": "latest-snapshot",
  "restore-scratch": "restore",
  "check-scratch": "restore",
  "await-resource": "restore",
  "verify-restore": "restore",
};

const short = (text: string | null | undefined) => (text ?? "").slice(0, 500);

export function assess(run: TenantRun, rtoSeconds: number): { failed: FailedCheck[]; passed: number } {
  const checks = [...(run.policy?.checks ?? []), ...(run.verification?.checks ?? [])];
  if (run.restoreSeconds !== null && run.failure === null) {
    checks.push({
      check: "restore-time",
      ok: run.restoreSeconds <= rtoSeconds,
      values: { restoreSeconds: run.restoreSeconds, rtoSeconds },
    });
  }
  const failed: FailedCheck[] = checks.filter((c) => !c.ok).map(({ check, values }) => ({ check, values }));
  if (run.failure) {
    failed.push({
      check: STEP_CHECK[run.failure.step] ?? "restore",
      values: { step: run.failure.step, error: run.failure.error, cause: short(run.failure.cause) },
    });
  }
  if (run.cleanupFailure) {
    failed.push({
      check: "cleanup",
      values: { error: run.cleanupFailure.error, cause: short(run.cleanupFailure.cause) },
    });
  }
  return { failed, passed: checks.filter((c) => c.ok).length };
}
