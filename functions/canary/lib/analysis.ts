/**
 * The analysis of one step: canary against stable over the step's window, from the metrics the
 * service publishes under `cplane/Traffic` (Requests, Errors, Latency, BusinessTransactions,
 * BusinessSuccesses per Version). `metricQueries` is the one GetMetricData request; `judge` is the
 * pure decision: a breach of any gate; inconclusive when either version served too little traffic
 * (no data is never a pass); a pass otherwise. Each verdict carries what it measured and the thresholds.
 */
import type { MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { CanaryAnalysisMisconfiguredError } from "./errors.ts";
import type { Gates } from "./plan.ts";

export const TRAFFIC_NAMESPACE = "cplane/Traffic";
export const PERIOD_SECONDS = 60;
const VERSIONS = ["canary", "stable"] as const;
type Version = (typeof VERSIONS)[number];

/** The GetMetricData queries: per version the five statistics, and the rates as metric math. */
export function metricQueries(namespace: string, service: string): MetricDataQuery[] {
  const queries: MetricDataQuery[] = [];
  for (const version of VERSIONS) {
    const metric = (id: string, name: string, stat: string): MetricDataQuery => ({
      Id: `${id}_${version}`,
      MetricStat: {
        Metric: {
          Namespace: TRAFFIC_NAMESPACE,
          MetricName: name,
          Dimensions: [
            { Name: "Namespace", Value: namespace },
            { Name: "Service", Value: service },
            { Name: "Version", Value: version },
          ],
        },
        Period: PERIOD_SECONDS,
        Stat: stat,
      },
      ReturnData: true,
    });
    queries.push(
      metric("requests", "Requests", "Sum"),
      metric("errors", "Errors", "Sum"),
      metric("p99", "Latency", "p99"),
      metric("transactions", "BusinessTransactions", "Sum"),
      metric("successes", "BusinessSuccesses", "Sum"),
      {
        Id: `errorrate_${version}`,
        Expression: `100 * errors_${version} / requests_${version}`,
        Label: `${version} error rate %`,
        ReturnData: true,
      },
      {
        Id: `business_${version}`,
        Expression: `100 * successes_${version} / transactions_${version}`,
        Label: `${version} business success %`,
        ReturnData: true,
      },
    );
  }
  return queries;
}

export interface VersionFigures {
  readonly requests: number;
  readonly transactions: number;
  readonly errorRatePercent: number | null;
  /** The worst minute's p99 in the window: a slow minute is not averaged away. */
  readonly p99Ms: number | null;
  readonly businessSuccessPercent: number | null;
}

export type Gate = "error-rate" | "p99-latency" | "business-success";

export interface Verdict {
  readonly verdict: "pass" | "breach" | "inconclusive";
  readonly breach?: { readonly gate: Gate; readonly measured: number; readonly threshold: number };
  readonly reason: string;
  readonly canary: VersionFigures;
  readonly stable: VersionFigures;
  readonly thresholds: Gates;
}

const round = (value: number) => Math.round(value * 1000) / 1000;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** Sums and the worst p99 per version from the results; a query missing from the answer fails closed. */
export function figures(results: readonly MetricDataResult[]): Record<Version, VersionFigures> {
  const byId = new Map(results.map((r) => [r.Id ?? "", r]));
  const values = (id: string): number[] => {
    const result = byId.get(id);
    if (!result) throw new CanaryAnalysisMisconfiguredError(`GetMetricData did not answer the query ${id}`);
    if (result.StatusCode && result.StatusCode !== "Complete")
      throw new CanaryAnalysisMisconfiguredError(
        `query ${id} is ${result.StatusCode}: the analysis cannot judge`,
      );
    return (result.Values ?? []).filter((v) => Number.isFinite(v));
  };
  const of = (version: Version): VersionFigures => {
    const requests = sum(values(`requests_${version}`));
    const errors = sum(values(`errors_${version}`));
    const transactions = sum(values(`transactions_${version}`));
    const successes = sum(values(`successes_${version}`));
    const p99 = values(`p99_${version}`);
    // The rates are recomputed from the window's sums; the per-minute series must still be there.
    values(`errorrate_${version}`);
    values(`business_${version}`);
    return {
      requests,
      transactions,
      errorRatePercent: requests > 0 ? round((100 * errors) / requests) : null,
      p99Ms: p99.length > 0 ? round(Math.max(...p99)) : null,
      businessSuccessPercent: transactions > 0 ? round((100 * successes) / transactions) : null,
    };
  };
  return { canary: of("canary"), stable: of("stable") };
}

/** The verdict on one window. */
export function judge(measured: Record<Version, VersionFigures>, gates: Gates): Verdict {
  const { canary, stable } = measured;
  const base = { canary, stable, thresholds: gates };
  for (const [name, figures] of [
    ["canary", canary],
    ["stable", stable],
  ] as const) {
    if (figures.requests < gates.minRequests)
      return {
        verdict: "inconclusive",
        reason: `${name} served ${figures.requests} requests in the window, fewer than the ${gates.minRequests} a conclusive analysis needs`,
        ...base,
      };
  }
  if (canary.errorRatePercent === null || canary.p99Ms === null)
    return { verdict: "inconclusive", reason: "no error or latency data for the canary", ...base };
  if (canary.errorRatePercent >= gates.maxErrorRatePercent)
    return breach("error-rate", canary.errorRatePercent, gates.maxErrorRatePercent, "%", base);
  if (canary.p99Ms >= gates.maxP99Ms) return breach("p99-latency", canary.p99Ms, gates.maxP99Ms, " ms", base);
  // A few dozen transactions move a success rate by points: the comparison waits for enough of them.
  const fewest = Math.min(canary.transactions, stable.transactions);
  if (
    canary.businessSuccessPercent === null ||
    stable.businessSuccessPercent === null ||
    fewest < gates.minTransactions
  )
    return {
      verdict: "inconclusive",
      reason: `${fewest} business transactions in the window, fewer than the ${gates.minTransactions} a comparison with stable needs`,
      ...base,
    };
  const drop = round(stable.businessSuccessPercent - canary.businessSuccessPercent);
  if (drop > gates.maxBusinessSuccessDropPoints)
    return breach("business-success", drop, gates.maxBusinessSuccessDropPoints, " points below stable", base);
  return {
    verdict: "pass",
    reason: `error rate ${canary.errorRatePercent}%, p99 ${canary.p99Ms} ms, business success ${canary.businessSuccessPercent}% (stable ${stable.businessSuccessPercent}%)`,
    ...base,
  };
}

function breach(
  gate: Gate,
  measured: number,
  threshold: number,
  unit: string,
  base: Pick<Verdict, "canary" | "stable" | "thresholds">,
): Verdict {
  return {
    verdict: "breach",
    breach: { gate, measured, threshold },
    reason: `${gate} ${measured}${unit} breaches the gate (${threshold}${unit})`,
    ...base,
  };
}
