import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler as analyze } from "../../../functions/canary/analyze.ts";
import { judge } from "../../../functions/canary/lib/analysis.ts";
import { lambdaContext } from "../../support/context.ts";
import { EXECUTION, PLAN } from "./support.ts";

const cloudwatch = mockClient(CloudWatchClient);
const NOW = Date.parse("2026-12-01T10:07:30Z");
const SHIFTED = Date.parse("2026-12-01T10:02:20Z");

beforeEach(() => {
  cloudwatch.reset();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

/** Five minutes of per-minute series for both versions. */
function series(
  version: string,
  m: { requests: number; errors: number; p99: number[]; tx: number; ok: number },
) {
  const minutes = 5;
  const each = (total: number) => Array.from({ length: minutes }, () => total / minutes);
  const rows: MetricDataResult[] = [
    { Id: `requests_${version}`, Values: each(m.requests), StatusCode: "Complete" },
    { Id: `errors_${version}`, Values: each(m.errors), StatusCode: "Complete" },
    { Id: `p99_${version}`, Values: m.p99, StatusCode: "Complete" },
    { Id: `transactions_${version}`, Values: each(m.tx), StatusCode: "Complete" },
    { Id: `successes_${version}`, Values: each(m.ok), StatusCode: "Complete" },
    { Id: `errorrate_${version}`, Values: [0], StatusCode: "Complete" },
    { Id: `business_${version}`, Values: [0], StatusCode: "Complete" },
  ];
  return rows;
}

const stable = series("stable", {
  requests: 2700,
  errors: 5,
  p99: [310, 320, 315, 318, 322],
  tx: 270,
  ok: 265,
});

describe("analyze", () => {
  it("asks GetMetricData for both versions' minutes since the shift, with the rates as metric math", async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        ...series("canary", { requests: 300, errors: 1, p99: [300, 310, 305, 330, 320], tx: 30, ok: 29 }),
        ...stable,
      ],
    });

    // Act
    const result = await analyze(
      { plan: PLAN, stageIndex: 0, since: SHIFTED, executionArn: EXECUTION },
      lambdaContext(),
    );

    // Assess
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(new Date("2026-12-01T10:02:00Z"));
    expect(input?.EndTime).toEqual(new Date("2026-12-01T10:07:00Z"));
    expect(input?.ScanBy).toBe("TimestampAscending");
    const dims = (version: string) => [
      { Name: "Namespace", Value: "shop" },
      { Name: "Service", Value: "api" },
      { Name: "Version", Value: version },
    ];
    const stat = (id: string, name: string, stat: string, version: string) => ({
      Id: `${id}_${version}`,
      MetricStat: {
        Metric: { Namespace: "cplane/Traffic", MetricName: name, Dimensions: dims(version) },
        Period: 60,
        Stat: stat,
      },
      ReturnData: true,
    });
    expect(input?.MetricDataQueries).toEqual(
      ["canary", "stable"].flatMap((v) => [
        stat("requests", "Requests", "Sum", v),
        stat("errors", "Errors", "Sum", v),
        stat("p99", "Latency", "p99", v),
        stat("transactions", "BusinessTransactions", "Sum", v),
        stat("successes", "BusinessSuccesses", "Sum", v),
        {
          Id: `errorrate_${v}`,
          Expression: `100 * errors_${v} / requests_${v}`,
          Label: `${v} error rate %`,
          ReturnData: true,
        },
        {
          Id: `business_${v}`,
          Expression: `100 * successes_${v} / transactions_${v}`,
          Label: `${v} business success %`,
          ReturnData: true,
        },
      ]),
    );
    // Too few business transactions on the canary (30 < 50): inconclusive, never a pass
    expect(result).toMatchObject({
      verdict: "inconclusive",
      canary: { requests: 300, transactions: 30, p99Ms: 330 },
    });
    expect(result.reason).toContain("30 business transactions");
    expect(result.thresholds).toEqual(PLAN.gates);
  });

  it("fails closed, by name, when CloudWatch does not answer a query", async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: stable });

    // Act / Assess
    await expect(
      analyze({ plan: PLAN, stageIndex: 0, since: SHIFTED, executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toThrow(expect.objectContaining({ name: "CanaryAnalysisMisconfiguredError" }));
  });
});

describe("judge", () => {
  /** Figures from counts, as `figures()` computes them from the window's sums. */
  const figures = (
    requests: number,
    errors: number,
    transactions: number,
    successes: number,
    p99Ms = 320,
  ) => ({
    requests,
    errors,
    transactions,
    successes,
    errorRatePercent: requests > 0 ? (100 * errors) / requests : null,
    p99Ms: requests > 0 ? p99Ms : null,
    businessSuccessPercent: transactions > 0 ? (100 * successes) / transactions : null,
  });
  const stable = figures(6000, 12, 6000, 5880);
  const gates = PLAN.gates;

  it("passes a canary within every gate", () => {
    expect(judge({ canary: figures(600, 1, 600, 588), stable }, gates).verdict).toBe("pass");
  });

  it("names an error-rate breach with what it measured and the threshold", () => {
    expect(judge({ canary: figures(600, 30, 600, 588), stable }, gates)).toMatchObject({
      verdict: "breach",
      breach: { gate: "error-rate", measured: 5, threshold: 1 },
    });
  });

  it("does not call one error among sixty requests a breach of 1 %, nor a pass", () => {
    const verdict = judge({ canary: figures(60, 1, 60, 59), stable }, gates);
    expect(verdict.verdict).toBe("inconclusive");
    expect(verdict.reason).toContain("too few requests");
  });

  it("calls three errors among sixty a breach", () => {
    expect(judge({ canary: figures(60, 3, 60, 59), stable }, gates).breach?.gate).toBe("error-rate");
  });

  it("names a p99 breach", () => {
    expect(judge({ canary: figures(600, 1, 600, 588, 800), stable }, gates)).toMatchObject({
      verdict: "breach",
      breach: { gate: "p99-latency", measured: 800, threshold: 500 },
    });
  });

  it("names a business success drop of 8 points a breach, and holds exactly 2 points as within the gate", () => {
    expect(judge({ canary: figures(600, 1, 600, 540), stable }, gates)).toMatchObject({
      verdict: "breach",
      breach: { gate: "business-success", measured: 8, threshold: 2 },
    });
    expect(judge({ canary: figures(6000, 12, 6000, 5760), stable }, gates).verdict).toBe("pass");
  });

  it("waits for more transactions when a drop over the gate is not yet significant", () => {
    const verdict = judge({ canary: figures(600, 1, 60, 57), stable }, gates);
    expect(verdict.verdict).toBe("inconclusive");
    expect(verdict.reason).toContain("too few transactions");
  });

  it.each([
    ["no requests at all", figures(0, 0, 0, 0)],
    ["too few requests", figures(49, 0, 49, 48)],
    ["too few business transactions", figures(600, 1, 49, 48)],
  ])("is inconclusive, never a pass, with %s on the canary", (_, canary) => {
    expect(judge({ canary, stable }, gates).verdict).toBe("inconclusive");
  });

  describe("in a bake at 100 %, stable serving nothing", () => {
    const idle = figures(0, 0, 0, 0);
    const baseline = {
      stageIndex: 2,
      weight: 50,
      transactions: 3000,
      successes: 2940,
      businessSuccessPercent: 98,
    };
    const full = { kind: "baseline" as const, baseline };

    it("passes a canary within every gate, held against stable's baseline from the previous step", () => {
      const verdict = judge({ canary: figures(1200, 2, 1200, 1176), stable: idle }, gates, full);
      expect(verdict).toMatchObject({ verdict: "pass", baseline });
      expect(verdict.reason).toContain("stable's baseline at 50 % 98%");
    });

    it("names a business success drop against the baseline a breach, and keeps error rate and p99 absolute", () => {
      expect(judge({ canary: figures(1200, 2, 1200, 1080), stable: idle }, gates, full)).toMatchObject({
        verdict: "breach",
        breach: { gate: "business-success", measured: 8, threshold: 2 },
        reason:
          "business-success 8 points below stable's baseline at 50 % breaches the gate (2 points below stable's baseline at 50 %)",
      });
      expect(judge({ canary: figures(1200, 60, 1200, 1176), stable: idle }, gates, full).breach?.gate).toBe(
        "error-rate",
      );
      expect(
        judge({ canary: figures(1200, 2, 1200, 1176, 900), stable: idle }, gates, full).breach?.gate,
      ).toBe("p99-latency");
    });

    it("is inconclusive without a baseline, and with too little canary traffic", () => {
      const none = judge({ canary: figures(1200, 2, 1200, 1176), stable: idle }, gates, {
        kind: "baseline",
        baseline: null,
      });
      expect(none.verdict).toBe("inconclusive");
      expect(none.reason).toContain("no stable baseline");
      expect(judge({ canary: figures(40, 0, 40, 40), stable: idle }, gates, full).verdict).toBe(
        "inconclusive",
      );
    });
  });
});
