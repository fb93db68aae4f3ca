/**
 * What the report charts draw (local/console/assets/chart.js), from decisions in the shape the
 * canary workflow records them: canary vs stable per stage, and each gate as the metric's threshold,
 * whether it is named as the metric, as a ceiling or floor (`maxP99Ms`, `minRequests`) or as a drop
 * from stable (`maxBusinessSuccessDropPoints`).
 */
import { describe, expect, it } from "vitest";

interface Point {
  label: string;
  outcome: string;
  series: Record<string, number>;
  threshold?: number;
  thresholdKind?: string;
}
type MetricsOf = (decisions: unknown[]) => { metric: string; points: Point[] }[];
// A browser module with no types: imported by a computed specifier so that tsc leaves it alone.
const chartModule = "../../../local/console/assets/chart.js";
const { metricsOf, axis } = (await import(chartModule)) as {
  metricsOf: MetricsOf;
  axis: (values: number[]) => { min: number; max: number };
};

const GATES = {
  maxErrorRatePercent: 1,
  maxP99Ms: 500,
  maxBusinessSuccessDropPoints: 2,
  minRequests: 50,
  minTransactions: 20,
};
const stage = (n: number, weight: number, canaryErrors: number, outcome: string) => ({
  name: `stage-${n}-${weight}pct`,
  subject: "api",
  outcome,
  inputs: {
    canaryRequests: 100 * weight,
    canaryErrorRatePercent: canaryErrors,
    canaryP99Ms: 300 + n,
    canaryBusinessSuccessPercent: 98.5,
    stableRequests: 10_000,
    stableErrorRatePercent: 0.2,
    stableP99Ms: 290,
    stableBusinessSuccessPercent: 99.4,
  },
  thresholds: GATES,
});

describe("report charts of a canary run", () => {
  const metrics = new Map(
    metricsOf([stage(1, 10, 0.3, "pass"), stage(2, 25, 0.4, "pass"), stage(3, 50, 4.8, "breach")]).map(
      (m) => [m.metric, m.points],
    ),
  );

  it("draw canary and stable per stage, labelled by stage when every subject is the service", () => {
    expect([...metrics.keys()].sort()).toEqual([
      "businessSuccessPercent",
      "errorRatePercent",
      "p99Ms",
      "requests",
    ]);
    expect(metrics.get("errorRatePercent")?.map((p) => [p.label, p.outcome, p.series])).toEqual([
      ["stage-1-10pct", "pass", { canary: 0.3, stable: 0.2 }],
      ["stage-2-25pct", "pass", { canary: 0.4, stable: 0.2 }],
      ["stage-3-50pct", "breach", { canary: 4.8, stable: 0.2 }],
    ]);
  });

  it("take each metric's threshold from its gate: ceilings, floors, and a drop from stable", () => {
    const threshold = (metric: string) => metrics.get(metric)?.map((p) => [p.threshold, p.thresholdKind]);
    expect(threshold("errorRatePercent")).toEqual(Array(3).fill([1, "max"]));
    expect(threshold("p99Ms")).toEqual(Array(3).fill([500, "max"]));
    expect(threshold("requests")).toEqual(Array(3).fill([50, "min"]));
    expect(threshold("businessSuccessPercent")).toEqual(Array(3).fill([97.4, "min"]));
  });

  it("label points by subject when the subjects tell the decisions apart, and keep a threshold named as the metric", () => {
    const [errors] = metricsOf([
      {
        name: "a",
        subject: "10%",
        outcome: "pass",
        inputs: { canaryErrorRatePercent: 0.2 },
        thresholds: { errorRatePercent: 1 },
      },
      {
        name: "b",
        subject: "25%",
        outcome: "pass",
        inputs: { canaryErrorRatePercent: 0.3 },
        thresholds: { errorRatePercent: 1 },
      },
    ]);
    expect(errors?.points.map((p) => [p.label, p.threshold, p.thresholdKind])).toEqual([
      ["10%", 1, "limit"],
      ["25%", 1, "limit"],
    ]);
  });
});

describe("the value axis", () => {
  it("starts at zero when the values reach down towards it", () => {
    expect(axis([0.2, 4.8, 1])).toEqual({ min: 0, max: 4.8 * 1.15 });
    expect(axis([])).toEqual({ min: 0, max: 1 });
  });

  it("closes in on values far from zero, so that a 2-point gate below stable shows", () => {
    const { min, max } = axis([97.4, 98.5, 99.4]);
    expect(min).toBeGreaterThan(90);
    expect(min).toBeLessThan(97.4);
    expect(max).toBeGreaterThan(99.4);
    expect(max).toBeLessThan(101);
  });
});

describe("report charts of a backup verification run", () => {
  it("draw each tenant's restore time against its tier's RTO budget, labelled by tenant", () => {
    // The decisions backup-verification records: one per tenant, then each failed check of a tenant.
    const decisions = [
      {
        name: "tenant",
        subject: "acme",
        outcome: "verified",
        inputs: { restoreSeconds: 720, failedChecks: 0 },
        thresholds: { rtoSeconds: 1800 },
      },
      {
        name: "tenant",
        subject: "globex",
        outcome: "failed",
        inputs: { restoreSeconds: 4100, failedChecks: 1 },
        thresholds: { rtoSeconds: 3600 },
      },
      {
        name: "restore-time",
        subject: "globex",
        outcome: "fail",
        inputs: { restoreSeconds: 4100, rtoSeconds: 3600 },
      },
    ];
    const restore = metricsOf(decisions).find((m) => m.metric === "restoreSeconds");
    expect(restore?.points.map((p) => [p.label, p.series.value, p.threshold])).toEqual([
      ["tenant acme", 720, 1800],
      ["tenant globex", 4100, 3600],
      ["restore-time globex", 4100, undefined],
    ]);
  });
});
