/**
 * The analysis of one step: canary against stable over the step's window, from the metrics the
 * service publishes under `cplane/Traffic` (Requests, Errors, Latency, BusinessTransactions,
 * BusinessSuccesses per Version). `metricQueries` is the one GetMetricData request; `judge` is the
 * pure decision: a breach of any gate; inconclusive when either version served too little traffic
 * (no data is never a pass); a pass otherwise. Each verdict carries what it measured and the thresholds.
 */
import type { MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { CanaryAnalysisMisconfiguredError } from "./errors.ts";
import type { Baseline, Gates } from "./plan.ts";

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
  readonly errors: number;
  readonly transactions: number;
  readonly successes: number;
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
  /** In a bake at 100 %: the stable baseline the business success rate was held against. */
  readonly baseline?: Baseline;
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
      errors,
      transactions,
      successes,
      errorRatePercent: requests > 0 ? round((100 * errors) / requests) : null,
      p99Ms: p99.length > 0 ? round(Math.max(...p99)) : null,
      businessSuccessPercent: transactions > 0 ? round((100 * successes) / transactions) : null,
    };
  };
  return { canary: of("canary"), stable: of("stable") };
}

/**
 * One-sided 95 %: a breach is called only when the data say so with that confidence, so that one
 * error among sixty requests (1.7 %) is not a breach of a 1 % gate, while three are.
 */
const Z = 1.645;

/** Wilson score lower bound of a proportion (errors / requests). */
export function lowerBound(hits: number, n: number): number {
  if (n === 0) return 0;
  const p = hits / n;
  const z2 = Z * Z;
  return (p + z2 / (2 * n) - Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * What the canary's business success rate is held against: stable over the same window, or, in a bake
 * at 100 % (no stable traffic left to compare with), the stable baseline measured at the previous step.
 */
export type Reference =
  | { readonly kind: "stable" }
  | { readonly kind: "baseline"; readonly baseline: Baseline | null };

/** The verdict on one window: a breach only when it is significant; a pass only when every gate holds. */
export function judge(
  measured: Record<Version, VersionFigures>,
  gates: Gates,
  reference: Reference = { kind: "stable" },
): Verdict {
  const { canary, stable } = measured;
  const baseline = reference.kind === "baseline" ? reference.baseline : undefined;
  const base = { canary, stable, thresholds: gates, ...(baseline ? { baseline } : {}) };
  const served: [string, VersionFigures][] = [["canary", canary]];
  if (reference.kind === "stable") served.push(["stable", stable]);
  for (const [name, figures] of served) {
    if (figures.requests < gates.minRequests)
      return {
        verdict: "inconclusive",
        reason: `${name} served ${figures.requests} requests in the window, fewer than the ${gates.minRequests} a conclusive analysis needs`,
        ...base,
      };
  }
  if (canary.errorRatePercent === null || canary.p99Ms === null)
    return { verdict: "inconclusive", reason: "no error or latency data for the canary", ...base };
  if (100 * lowerBound(canary.errors, canary.requests) >= gates.maxErrorRatePercent)
    return breach("error-rate", canary.errorRatePercent, gates.maxErrorRatePercent, "%", base);
  if (canary.p99Ms >= gates.maxP99Ms) return breach("p99-latency", canary.p99Ms, gates.maxP99Ms, " ms", base);
  const against: Pick<VersionFigures, "transactions" | "successes" | "businessSuccessPercent"> =
    baseline ??
    (reference.kind === "stable" ? stable : { transactions: 0, successes: 0, businessSuccessPercent: null });
  const versus = reference.kind === "stable" ? "stable" : `stable's baseline at ${baseline?.weight ?? "?"} %`;
  const enough = Math.min(canary.transactions, against.transactions) >= gates.minTransactions;
  const drop =
    canary.businessSuccessPercent !== null && against.businessSuccessPercent !== null
      ? round(against.businessSuccessPercent - canary.businessSuccessPercent)
      : null;
  if (enough && drop !== null) {
    const pc = canary.successes / canary.transactions;
    const ps = against.successes / against.transactions;
    const se = Math.sqrt((pc * (1 - pc)) / canary.transactions + (ps * (1 - ps)) / against.transactions);
    if (drop - 100 * Z * se > gates.maxBusinessSuccessDropPoints)
      return breach(
        "business-success",
        drop,
        gates.maxBusinessSuccessDropPoints,
        ` points below ${versus}`,
        base,
      );
  }
  // No breach the data are sure of: a pass only if every gate holds as measured, and there was enough to compare.
  if (canary.errorRatePercent >= gates.maxErrorRatePercent)
    return {
      verdict: "inconclusive",
      reason: `error rate ${canary.errorRatePercent}% is over the gate on too few requests (${canary.requests}) to be sure`,
      ...base,
    };
  if (reference.kind === "baseline" && !baseline)
    return {
      verdict: "inconclusive",
      reason: "no stable baseline from a previous step to hold the business success rate against",
      ...base,
    };
  if (!enough || drop === null)
    return {
      verdict: "inconclusive",
      reason: `${Math.min(canary.transactions, against.transactions)} business transactions in the window, fewer than the ${gates.minTransactions} a comparison with ${versus} needs`,
      ...base,
    };
  if (drop > gates.maxBusinessSuccessDropPoints)
    return {
      verdict: "inconclusive",
      reason: `business success ${drop} points below ${versus}, over the gate on too few transactions to be sure`,
      ...base,
    };
  return {
    verdict: "pass",
    reason: `error rate ${canary.errorRatePercent}%, p99 ${canary.p99Ms} ms, business success ${canary.businessSuccessPercent}% (${versus} ${against.businessSuccessPercent}%)`,
    ...base,
  };
}

function breach(
  gate: Gate,
  measured: number,
  threshold: number,
  unit: string,
  base: Pick<Verdict, "canary" | "stable" | "thresholds" | "baseline">,
): Verdict {
  return {
    verdict: "breach",
    breach: { gate, measured, threshold },
    reason: `${gate} ${measured}${unit} breaches the gate (${threshold}${unit})`,
    ...base,
  };
}
