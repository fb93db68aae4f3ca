/**
 * The backup alarms, as data: stacks/backups.ts deploys them as CloudWatch metric alarms. A tenant whose
 * verification fails two runs in a row (two nights for premium, two weeks for the others) raises
 * `backup-repeated-failure`: `ConsecutiveFailedRuns` (the fleet's worst, which record-tenant publishes)
 * reaches 2.
 */
import { BACKUP_NAMESPACE } from "./metrics.ts";

export interface BackupAlarm {
  readonly name: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: "Maximum" | "Sum";
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparison: "GreaterThanOrEqualToThreshold";
  readonly treatMissingData: "notBreaching";
}

export const BACKUP_ALARMS: readonly BackupAlarm[] = [
  {
    name: "backup-repeated-failure",
    description:
      "A tenant's backup verification failed two runs in a row (cplane reports list backup-verification says which)",
    namespace: BACKUP_NAMESPACE,
    metricName: "ConsecutiveFailedRuns",
    statistic: "Maximum",
    // A day: one nightly run's datapoints per period.
    periodSeconds: 86_400,
    evaluationPeriods: 1,
    threshold: 2,
    comparison: "GreaterThanOrEqualToThreshold",
    // A day without a run (weekly tiers) is not a failure.
    treatMissingData: "notBreaching",
  },
];
