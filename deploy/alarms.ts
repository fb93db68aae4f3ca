/**
 * The CloudWatch alarms the workflows rely on, defined once for both runtimes: stacks/alarms.ts creates
 * them on AWS, the local demo fleet (local/cloud/demo.ts) puts them into the local cloud. Each is a
 * PutMetricAlarm input, so the local cloud takes it as it is and stacks/ maps it field by field.
 *
 * - `cplane-region-health-<region>`: the region's API endpoint fails its Route 53 health check; the
 *   rule `region-health-alarm-failover` (events/rules.ts) starts a failover away from that region.
 * - `cplane-canary-errors`, `cplane-canary-latency`: the canary's error rate and p99 latency gates;
 *   an alarm in ALARM aborts a canary promotion (DESIGN.md).
 */
import { REGION_HEALTH_ALARM_PREFIX } from "../events/rules.ts";

/** Where the traffic metrics of the services behind Istio are published (per namespace, service, version). */
export const TRAFFIC_METRICS_NAMESPACE = "cplane/Traffic";
export const CANARY_ERRORS_ALARM = "cplane-canary-errors";
export const CANARY_LATENCY_ALARM = "cplane-canary-latency";
/** Route 53 publishes health check metrics in us-east-1 only, whichever region is checked. */
export const ROUTE53_METRICS_REGION = "us-east-1";

/**
 * The platform the alarms watch: its two regions (primary first), the zone its API answers in
 * (`api.<region>.<domain>`, checked by Route 53 at `/healthz`), and the service whose canary is gated.
 * The local demo fleet is built with the same values; edit them here for a real platform.
 */
export const PLATFORM = {
  regions: ["us-east-1", "us-west-2"],
  domain: "cplane.example.com",
  healthCheckPath: "/healthz",
  canary: { namespace: "shop", service: "web" },
} as const;

/** The endpoint of a region that Route 53 checks. */
export function regionEndpoint(region: string, domain: string = PLATFORM.domain): string {
  return `api.${region}.${domain}`;
}

export interface MetricDimension {
  readonly Name: string;
  readonly Value: string;
}
interface MetricQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly Label?: string;
  readonly ReturnData: boolean;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: readonly MetricDimension[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

/** A CloudWatch PutMetricAlarm input, as the API takes it. */
export interface MetricAlarmDefinition {
  readonly AlarmName: string;
  readonly AlarmDescription: string;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: readonly MetricDimension[];
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Period?: number;
  readonly Metrics?: readonly MetricQuery[];
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm: number;
  readonly Threshold: number;
  readonly ComparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  readonly TreatMissingData: "missing" | "notBreaching" | "breaching" | "ignore";
}

export function regionHealthAlarmName(region: string): string {
  return `${REGION_HEALTH_ALARM_PREFIX}${region}`;
}

/** The region's endpoint failing its Route 53 health check for two minutes running. */
export function regionHealthAlarm(region: string, healthCheckId: string): MetricAlarmDefinition {
  return {
    AlarmName: regionHealthAlarmName(region),
    AlarmDescription: `The ${region} API endpoint is failing its Route 53 health check`,
    Namespace: "AWS/Route53",
    MetricName: "HealthCheckStatus",
    Dimensions: [{ Name: "HealthCheckId", Value: healthCheckId }],
    Statistic: "Minimum",
    Period: 60,
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    Threshold: 1,
    ComparisonOperator: "LessThanThreshold",
    // "missing": no spurious ALARM (and failover) before the first health checks are in.
    TreatMissingData: "missing",
  };
}

/** The service whose canary the gates watch. */
export interface CanaryTarget {
  readonly namespace: string;
  readonly service: string;
}

function canaryDimensions(target: CanaryTarget): MetricDimension[] {
  return [
    { Name: "Namespace", Value: target.namespace },
    { Name: "Service", Value: target.service },
    { Name: "Version", Value: "canary" },
  ];
}

/** The canary's error rate above 1% (DESIGN.md's gate) for two minutes running. */
export function canaryErrorsAlarm(target: CanaryTarget): MetricAlarmDefinition {
  const metric = (Id: string, MetricName: string): MetricQuery => ({
    Id,
    MetricStat: {
      Metric: { Namespace: TRAFFIC_METRICS_NAMESPACE, MetricName, Dimensions: canaryDimensions(target) },
      Period: 60,
      Stat: "Sum",
    },
    ReturnData: false,
  });
  return {
    AlarmName: CANARY_ERRORS_ALARM,
    AlarmDescription: "Canary error rate above 1%",
    Metrics: [
      metric("errors", "Errors"),
      metric("requests", "Requests"),
      { Id: "rate", Expression: "100 * errors / requests", Label: "canary error rate %", ReturnData: true },
    ],
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    Threshold: 1,
    ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "notBreaching",
  };
}

/** The canary's p99 latency above 500 ms (DESIGN.md's gate) for two minutes running. */
export function canaryLatencyAlarm(target: CanaryTarget): MetricAlarmDefinition {
  return {
    AlarmName: CANARY_LATENCY_ALARM,
    AlarmDescription: "Canary p99 latency above 500 ms",
    Namespace: TRAFFIC_METRICS_NAMESPACE,
    MetricName: "Latency",
    Dimensions: canaryDimensions(target),
    ExtendedStatistic: "p99",
    Period: 60,
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    Threshold: 500,
    ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "notBreaching",
  };
}
