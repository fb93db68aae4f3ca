/**
 * Whether tenant clusters wrote anything since a moment, from `AWS/RDS VolumeWriteIOPs` (reported per
 * cluster every 5 minutes, zeros included). A cluster is proven unchanged only when every period from
 * the moment's own period on is reported and says 0, and the newest reported period is recent: a
 * missing period, a late report or any write is a change. What is proven is "no write before
 * `provenTo`"; a write in a period not yet reported is seen by the next round.
 */
import { GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { cloudwatchIn } from "./aws.ts";

export const WRITE_PERIOD_MS = 5 * 60_000;
/** CloudWatch publishes a period some minutes after it ends: older than this and the proof is stale. */
const REPORT_DELAY_MS = 3 * WRITE_PERIOD_MS;
/** GetMetricData's limits: queries per call, datapoints per call. */
const MAX_QUERIES = 500;
const MAX_DATAPOINTS = 100_800;

export interface WriteCheck {
  readonly key: string;
  readonly clusterIdentifier: string;
  /** Epoch ms from which the cluster must not have written. */
  readonly from: number;
}

const periodOf = (t: number) => Math.floor(t / WRITE_PERIOD_MS) * WRITE_PERIOD_MS;

/** The checks proven unchanged, each with the end of the last period proven (epoch ms). */
export async function provenUnchanged(
  region: string,
  checks: readonly WriteCheck[],
  now: number,
): Promise<Map<string, number>> {
  const proven = new Map<string, number>();
  for (const batch of batches(checks, now)) {
    const start = periodOf(batch[0]?.from ?? now);
    const queries: MetricDataQuery[] = batch.map((check, i) => ({
      Id: `w${i}`,
      MetricStat: {
        Metric: {
          Namespace: "AWS/RDS",
          MetricName: "VolumeWriteIOPs",
          Dimensions: [{ Name: "DBClusterIdentifier", Value: check.clusterIdentifier }],
        },
        Period: WRITE_PERIOD_MS / 1000,
        Stat: "Sum",
      },
    }));
    let nextToken: string | undefined;
    const points = new Map<string, { t: number; v: number }[]>();
    do {
      const page = await cloudwatchIn(region).send(
        new GetMetricDataCommand({
          StartTime: new Date(start),
          EndTime: new Date(now),
          ScanBy: "TimestampAscending",
          MetricDataQueries: queries,
          NextToken: nextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        const list = points.get(result.Id ?? "") ?? [];
        for (const [i, t] of (result.Timestamps ?? []).entries()) {
          list.push({ t: t.getTime(), v: result.Values?.[i] ?? 0 });
        }
        points.set(result.Id ?? "", list);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    batch.forEach((check, i) => {
      const to = provenTo(check.from, points.get(`w${i}`) ?? [], now);
      if (to !== undefined) proven.set(check.key, to);
    });
  }
  return proven;
}

/** The end of the last period proven free of writes since `from`, or undefined when it is not proven. */
export function provenTo(from: number, points: readonly { t: number; v: number }[], now: number) {
  let expected = periodOf(from);
  for (const { t, v } of [...points].filter((p) => p.t >= periodOf(from)).sort((a, b) => a.t - b.t)) {
    if (t !== expected || v !== 0) return undefined;
    expected += WRITE_PERIOD_MS;
  }
  // `expected` is now the end of the last period reported (or the start of `from`'s own, if none).
  return expected >= periodOf(now) - REPORT_DELAY_MS ? expected : undefined;
}

/** Checks in calls within GetMetricData's limits, oldest first so each call's window is its first's. */
function batches(checks: readonly WriteCheck[], now: number): WriteCheck[][] {
  const sorted = [...checks].sort((a, b) => a.from - b.from);
  const out: WriteCheck[][] = [];
  let current: WriteCheck[] = [];
  for (const check of sorted) {
    const first = current[0] ?? check;
    const perQuery = Math.ceil((now - periodOf(first.from)) / WRITE_PERIOD_MS) + 1;
    if (
      current.length > 0 &&
      (current.length >= MAX_QUERIES || (current.length + 1) * perQuery > MAX_DATAPOINTS)
    ) {
      out.push(current);
      current = [];
    }
    current.push(check);
  }
  if (current.length > 0) out.push(current);
  return out;
}
