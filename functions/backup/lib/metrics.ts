/**
 * The backup metrics, in CloudWatch (namespace `cplane/Backups`, dimension `Tier`): `RestoreSeconds`,
 * `VerificationFailed` (1 or 0 per tenant verified), and `ConsecutiveFailedRuns` (without dimensions,
 * the fleet's worst), which the alarm `cplane-backup-repeated-failure` holds at below 2.
 */
import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { awsNow, lazyAwsClient } from "../../shared/aws-clients.ts";

export const BACKUP_NAMESPACE = "cplane/Backups";
const cloudwatch = lazyAwsClient(CloudWatchClient);

export async function putBackupMetrics(
  tier: string,
  figures: { restoreSeconds: number | null; failed: boolean; consecutiveFailures: number },
): Promise<void> {
  const Timestamp = new Date(awsNow());
  const Dimensions = [{ Name: "Tier", Value: tier }];
  const data: MetricDatum[] = [
    { MetricName: "VerificationFailed", Dimensions, Value: figures.failed ? 1 : 0, Unit: "Count", Timestamp },
    { MetricName: "ConsecutiveFailedRuns", Value: figures.consecutiveFailures, Unit: "Count", Timestamp },
  ];
  if (figures.restoreSeconds !== null)
    data.push({
      MetricName: "RestoreSeconds",
      Dimensions,
      Value: figures.restoreSeconds,
      Unit: "Seconds",
      Timestamp,
    });
  await cloudwatch().send(new PutMetricDataCommand({ Namespace: BACKUP_NAMESPACE, MetricData: data }));
}
