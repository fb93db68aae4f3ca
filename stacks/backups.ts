/** Backup verification's alarms (functions/backup/lib/alarms.ts) as CloudWatch metric alarms. */
import { BACKUP_ALARMS } from "../functions/backup/lib/alarms.ts";

export function deployBackupAlarms() {
  return BACKUP_ALARMS.map(
    (alarm) =>
      new aws.cloudwatch.MetricAlarm(
        `Alarm${alarm.name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
        {
          name: `${$app.name}-${$app.stage}-${alarm.name}`,
          alarmDescription: alarm.description,
          namespace: alarm.namespace,
          metricName: alarm.metricName,
          statistic: alarm.statistic,
          period: alarm.periodSeconds,
          evaluationPeriods: alarm.evaluationPeriods,
          threshold: alarm.threshold,
          comparisonOperator: alarm.comparison,
          treatMissingData: alarm.treatMissingData,
        },
      ),
  );
}
