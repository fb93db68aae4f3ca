/**
 * Compares the canary with stable over the stage's window (from the traffic shift to now) with one
 * GetMetricData call, and judges it against the gates (lib/analysis.ts): breach, inconclusive (too
 * little traffic or no data: never a pass) or pass, with the measured values and the thresholds. In a
 * bake at 100 % stable serves nothing: the business success rate is held against the baseline stable
 * had at the previous step, the other gates are absolute.
 * A query CloudWatch does not answer fails closed (`CanaryAnalysisMisconfiguredError`).
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { z } from "zod";
import { awsNow, createAwsClient } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { figures, judge, metricQueries, PERIOD_SECONDS, type Verdict } from "./lib/analysis.ts";
import { Baseline, isFull, Plan } from "./lib/plan.ts";

const clients = new Map<string, CloudWatchClient>();
const cloudwatch = (region: string) => {
  let client = clients.get(region);
  if (!client) {
    client = createAwsClient(CloudWatchClient, { region });
    clients.set(region, client);
  }
  return client;
};

export const AnalyzeInput = z.object({
  plan: Plan,
  stageIndex: z.number().int().min(0),
  /** When the stage's routes took effect (epoch ms). */
  since: z.number().int().nonnegative(),
  /** Stable's business success at the last step with stable traffic, for a bake at 100 %. */
  baseline: Baseline.nullish(),
  executionArn: z.string().min(1),
});

export interface AnalyzeResult extends Verdict {
  readonly stageIndex: number;
  readonly window: { readonly start: string; readonly end: string };
}

const PERIOD_MS = PERIOD_SECONDS * 1000;

export const handler = defineStep(
  AnalyzeInput,
  async ({ plan, stageIndex, since, baseline }): Promise<AnalyzeResult> => {
    // Whole minutes: the minute the routes changed in counts (it carries the new split), the current one
    // is not complete yet and does not.
    const start = Math.floor(since / PERIOD_MS) * PERIOD_MS;
    const end = Math.max(start + PERIOD_MS, Math.floor(awsNow() / PERIOD_MS) * PERIOD_MS);
    const { MetricDataResults = [] } = await cloudwatch(plan.region).send(
      new GetMetricDataCommand({
        StartTime: new Date(start),
        EndTime: new Date(end),
        MetricDataQueries: metricQueries(plan.namespace, plan.service),
        ScanBy: "TimestampAscending",
      }),
    );
    const verdict = judge(
      figures(MetricDataResults),
      plan.gates,
      isFull(plan.stages[stageIndex]) ? { kind: "baseline", baseline: baseline ?? null } : { kind: "stable" },
    );
    return {
      stageIndex,
      window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      ...verdict,
    };
  },
);
