/**
 * The CloudWatch alarms the workflows rely on (deploy/alarms.ts): a Route 53 health check of each
 * platform region's API endpoint with its region-health alarm (in us-east-1, where Route 53 publishes
 * its metrics), whose ALARM starts a failover (rule `region-health-alarm-failover`); and the canary's
 * error-rate and latency gates, which a canary promotion reads.
 */

import {
  canaryErrorsAlarm,
  canaryLatencyAlarm,
  type MetricAlarmDefinition,
  type MetricDimension,
  PLATFORM,
  ROUTE53_METRICS_REGION,
  regionEndpoint,
  regionHealthAlarm,
} from "../deploy/alarms.ts";

const dimensions = (list: readonly MetricDimension[] | undefined) =>
  list && Object.fromEntries(list.map((d) => [d.Name, d.Value]));

/** A PutMetricAlarm input as Pulumi's MetricAlarm takes it. */
function metricAlarmArgs(alarm: MetricAlarmDefinition): aws.cloudwatch.MetricAlarmArgs {
  return {
    name: alarm.AlarmName,
    alarmDescription: alarm.AlarmDescription,
    namespace: alarm.Namespace,
    metricName: alarm.MetricName,
    dimensions: dimensions(alarm.Dimensions),
    statistic: alarm.Statistic,
    extendedStatistic: alarm.ExtendedStatistic,
    period: alarm.Period,
    metricQueries: alarm.Metrics?.map((query) => ({
      id: query.Id,
      expression: query.Expression,
      label: query.Label,
      returnData: query.ReturnData,
      metric: query.MetricStat && {
        namespace: query.MetricStat.Metric.Namespace,
        metricName: query.MetricStat.Metric.MetricName,
        dimensions: dimensions(query.MetricStat.Metric.Dimensions),
        period: query.MetricStat.Period,
        stat: query.MetricStat.Stat,
      },
    })),
    evaluationPeriods: alarm.EvaluationPeriods,
    datapointsToAlarm: alarm.DatapointsToAlarm,
    threshold: alarm.Threshold,
    comparisonOperator: alarm.ComparisonOperator,
    treatMissingData: alarm.TreatMissingData,
  };
}

const pascal = (text: string) => text.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());

export function deployAlarms() {
  const route53Metrics = new aws.Provider("Route53MetricsRegion", { region: ROUTE53_METRICS_REGION });
  const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
  for (const region of PLATFORM.regions) {
    const check = new aws.route53.HealthCheck(`RegionHealthCheck${pascal(region)}`, {
      type: "HTTPS",
      fqdn: regionEndpoint(region),
      port: 443,
      resourcePath: PLATFORM.healthCheckPath,
      requestInterval: 30,
      failureThreshold: 3,
      tags: { Name: `${$app.name}-${$app.stage}-${region}` },
    });
    // The health check's id is known once it is created; everything else is the shared definition.
    const alarm = regionHealthAlarm(region, "");
    alarms[alarm.AlarmName] = new aws.cloudwatch.MetricAlarm(
      pascal(alarm.AlarmName),
      {
        ...metricAlarmArgs(alarm),
        dimensions: check.id.apply((id) => dimensions(regionHealthAlarm(region, id).Dimensions) ?? {}),
      },
      { provider: route53Metrics },
    );
  }
  for (const alarm of [canaryErrorsAlarm(PLATFORM.canary), canaryLatencyAlarm(PLATFORM.canary)]) {
    alarms[alarm.AlarmName] = new aws.cloudwatch.MetricAlarm(pascal(alarm.AlarmName), metricAlarmArgs(alarm));
  }
  return alarms;
}
