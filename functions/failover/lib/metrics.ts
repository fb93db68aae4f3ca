/** Reading and writing the CloudWatch figures DR depends on: replication lag, traffic, our own RTO/RPO. */
import { GetMetricDataCommand, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { awsNow } from "../../shared/aws-clients.ts";
import { cloudwatchIn } from "./aws.ts";

/** Where cplane writes its DR figures (RTO, RPO, readiness) per tier. */
export const DR_NAMESPACE = "cplane/DR";

/** The newest value of a metric over the last `minutes` (the statistic per minute), or undefined. */
export async function latestValue(
  region: string,
  metric: { namespace: string; name: string; dimensions: Record<string, string>; stat: string },
  minutes = 10,
): Promise<number | undefined> {
  const end = awsNow();
  const { MetricDataResults } = await cloudwatchIn(region).send(
    new GetMetricDataCommand({
      StartTime: new Date(end - minutes * 60_000),
      EndTime: new Date(end),
      ScanBy: "TimestampDescending",
      MetricDataQueries: [
        {
          Id: "m",
          MetricStat: {
            Metric: {
              Namespace: metric.namespace,
              MetricName: metric.name,
              Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: 60,
            Stat: metric.stat,
          },
        },
      ],
    }),
  );
  const result = MetricDataResults?.[0];
  if (!result?.Values?.length) return undefined;
  const pairs = (result.Timestamps ?? []).map((t, i) => ({ t: t.getTime(), v: result.Values?.[i] }));
  pairs.sort((a, b) => b.t - a.t);
  return pairs[0]?.v;
}

/** Global database replication lag (AuroraGlobalDBRPOLag, ms) of a secondary, in seconds. */
export async function rpoLagSeconds(region: string, clusterIdentifier: string): Promise<number | undefined> {
  const ms = await latestValue(region, {
    namespace: "AWS/RDS",
    name: "AuroraGlobalDBRPOLag",
    dimensions: { DBClusterIdentifier: clusterIdentifier },
    stat: "Maximum",
  });
  return ms === undefined ? undefined : ms / 1000;
}

/** Puts our own figures (in `region`: the one that serves now). */
export async function putFigures(region: string, data: MetricDatum[]): Promise<void> {
  for (let i = 0; i < data.length; i += 500) {
    await cloudwatchIn(region).send(
      new PutMetricDataCommand({ Namespace: DR_NAMESPACE, MetricData: data.slice(i, i + 500) }),
    );
  }
}
