/**
 * CloudWatch: PutMetricData, GetMetricData (statistics and metric math), ListMetrics, and metric
 * alarms (single metric or metric math) evaluated on the clock every minute, with DatapointsToAlarm
 * and TreatMissingData. Each state change is emitted as a `CloudWatch Alarm State Change` event.
 */

import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  DeleteAlarmsCommandInput,
  DescribeAlarmsCommandInput,
  Dimension,
  GetMetricDataCommandInput,
  ListMetricsCommandInput,
  MetricAlarm,
  MetricDataQuery,
  PutMetricAlarmCommandInput,
  PutMetricDataCommandInput,
  SetAlarmStateCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { removeUnreferenced, writeAtomically } from "../persistence/files.ts";
import { type JsonText, objectText, plainJsonText, toJsonText } from "./changes.ts";
import type { CloudContext, Json } from "./context.ts";
import { randomId } from "./context.ts";
import { fail } from "./errors.ts";
import type { Sample, Series } from "./metric-math.ts";
import { evaluate, finite, MetricMathError, statistic } from "./metric-math.ts";
import type { EmulatedService } from "./service.ts";
import { addTo, fromJson } from "./service.ts";
import type { Ticker } from "./ticker.ts";

interface Metric {
  region: string;
  namespace: string;
  name: string;
  dimensions: { Name: string; Value: string }[];
  samples: Sample[];
  /** Set once a sample arrived older than the one before it (PutMetricData with a past Timestamp). */
  unordered?: boolean;
}

/** A metric computed from a resource's state when read (see `CloudWatch.provide`). */
export interface MetricSource {
  readonly namespace: string;
  readonly name: string;
  /** The one dimension that names the resource (e.g. `DBClusterIdentifier`). */
  readonly dimension: string;
  /** The resource's datapoints in [start, end), by period start; empty when there is no such resource. */
  points(region: string, value: string, start: number, end: number): { t: number; value: number }[];
}

type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

interface Alarm {
  region: string;
  config: PutMetricAlarmCommandInput;
  arn: string;
  state: AlarmState;
  reason: string;
  reasonData?: string;
  updated: Date;
  configUpdated: Date;
  history: { at: Date; from: AlarmState; to: AlarmState; reason: string }[];
}

/** Samples older than this are dropped (CloudWatch keeps more; the emulation needs hours, not months). */
const RETENTION_MS = 15 * 24 * 60 * 60_000;

/**
 * Saved samples are split by the virtual hour they belong to: the current hour goes into the state,
 * every earlier hour into a file of its own, written once (again only if a sample arrives for it
 * later). A save then costs the last hour of metrics, not the fifteen days kept.
 */
const SEGMENT_MS = 60 * 60_000;

const segmentOf = (t: number) => Math.floor(t / SEGMENT_MS) * SEGMENT_MS;

/** The samples of `metric` with `from <= t < to` (a binary search while they arrived in order). */
function samplesBetween(metric: Metric, from: number, to: number): Sample[] {
  const samples = metric.samples;
  if (metric.unordered) return samples.filter((s) => s.t >= from && s.t < to);
  const lowerBound = (t: number) => {
    let lo = 0;
    let hi = samples.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((samples[mid] as Sample).t < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return samples.slice(lowerBound(from), lowerBound(to));
}

/** What `save` returns: metrics without their samples, the current hour's samples, and the files of earlier hours. */
interface SavedMetrics {
  metrics: [string, Omit<Metric, "samples" | "unordered">][];
  alarms: Alarm[];
  /** Samples of the current hour (and any later one), by metric key. */
  recent: Record<string, Sample[]>;
  /** Files under `cloudwatch/` by the start of the hour they hold. */
  segments: Record<string, string>;
}

const COMPARE: Record<string, (v: number, t: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

function dimsKey(dims: readonly { Name?: string; Value?: string }[] | undefined): string {
  return JSON.stringify([...(dims ?? [])].map((d) => [d.Name ?? "", d.Value ?? ""]).sort());
}

function cwTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("Z", "+0000");
}

export class CloudWatch implements EmulatedService {
  readonly name = "CloudWatch";
  private readonly ctx: CloudContext;
  private readonly ticker: Ticker;
  private metrics = new Map<string, Metric>();
  private readonly sources = new Map<string, MetricSource>();
  private alarms: Alarm[] = [];
  /** Saved hours: the file holding each, by the hour's start. */
  private segmentFiles = new Map<number, string>();
  /** Hours with samples no file holds yet. */
  private readonly unsavedSegments = new Set<number>();

  constructor(ctx: CloudContext, ticker: Ticker) {
    this.ctx = ctx;
    this.ticker = ticker;
    ticker.subscribe({
      order: 30,
      active: () => this.alarms.length > 0,
      tick: (now) => this.evaluateAll(now),
    });
  }

  private metricKey(
    region: string,
    namespace: string,
    name: string,
    dims: readonly Dimension[] | undefined,
  ): string {
    return `${region}|${namespace}|${name}|${dimsKey(dims)}`;
  }

  /** Records one datapoint (used by traffic and health checks, and by PutMetricData). */
  record(
    region: string,
    namespace: string,
    name: string,
    dimensions: readonly Dimension[],
    sample: Sample,
  ): void {
    const key = this.metricKey(region, namespace, name, dimensions);
    let metric = this.metrics.get(key);
    if (!metric) {
      metric = {
        region,
        namespace,
        name,
        dimensions: dimensions.map((d) => ({ Name: d.Name ?? "", Value: d.Value ?? "" })),
        samples: [],
      };
      this.metrics.set(key, metric);
    }
    const previous = metric.samples.at(-1);
    if (previous && sample.t < previous.t) metric.unordered = true;
    metric.samples.push(sample);
    this.unsavedSegments.add(segmentOf(sample.t));
    const horizon = this.ctx.clock.now() - RETENTION_MS;
    if ((metric.samples[0]?.t ?? horizon) < horizon)
      metric.samples = metric.samples.filter((s) => s.t >= horizon);
  }

  /**
   * Serves a metric AWS publishes for a resource every period (zeros included) from the resource's own
   * state when it is read, instead of recording a datapoint per resource per period: a metric nobody
   * reads costs nothing, however many resources and however fast the clock.
   */
  provide(source: MetricSource): void {
    this.sources.set(`${source.namespace}|${source.name}|${source.dimension}`, source);
  }

  private provided(
    region: string,
    namespace: string,
    name: string,
    dims: readonly Dimension[] | undefined,
    start: number,
    end: number,
  ): Sample[] | undefined {
    const [only, ...more] = dims ?? [];
    if (!only?.Name || only.Value === undefined || more.length > 0) return undefined;
    const source = this.sources.get(`${namespace}|${name}|${only.Name}`);
    return source
      ?.points(region, only.Value, start, end)
      .map(({ t, value }) => ({ t, values: [value], counts: [1] }));
  }

  /** The statistic of a metric per period over [start, end), by period start. */
  series(
    region: string,
    namespace: string,
    name: string,
    dims: readonly Dimension[] | undefined,
    period: number,
    stat: string,
    start: number,
    end: number,
  ): Series {
    const metric = this.metrics.get(this.metricKey(region, namespace, name, dims));
    const out: Series = new Map();
    const samples = metric?.samples ?? this.provided(region, namespace, name, dims, start, end);
    if (!samples) return out;
    const periodMs = period * 1000;
    const buckets = new Map<number, Sample[]>();
    for (const s of samples) {
      if (s.t < start || s.t >= end) continue;
      const bucket = Math.floor(s.t / periodMs) * periodMs;
      const list = buckets.get(bucket) ?? [];
      list.push(s);
      buckets.set(bucket, list);
    }
    for (const [bucket, samples] of [...buckets].sort((a, b) => a[0] - b[0])) {
      const value = statistic(stat, samples);
      if (value !== undefined) out.set(bucket, value);
    }
    return out;
  }

  private runQueries(
    region: string,
    queries: readonly MetricDataQuery[],
    start: number,
    end: number,
  ): Map<string, { series: Series; query: MetricDataQuery }> {
    const results = new Map<string, { series: Series; query: MetricDataQuery }>();
    const vars = new Map<string, Series>();
    for (const q of queries) {
      if (!q.Id || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id))
        fail(
          "InvalidParameterValue",
          `The value ${q.Id} for parameter MetricDataQueries.member.Id is invalid.`,
        );
      if (q.MetricStat) {
        const m = q.MetricStat.Metric;
        const s = this.series(
          region,
          m?.Namespace ?? "",
          m?.MetricName ?? "",
          m?.Dimensions,
          q.MetricStat.Period ?? 60,
          q.MetricStat.Stat ?? "Average",
          start,
          end,
        );
        vars.set(q.Id, s);
        results.set(q.Id, { series: s, query: q });
      }
    }
    for (const q of queries) {
      if (!q.Expression || !q.Id) continue;
      try {
        const value = evaluate(q.Expression, vars);
        const s =
          typeof value === "number"
            ? new Map<number, number>()
            : Array.isArray(value)
              ? (value[0] ?? new Map())
              : value;
        const clean = finite(s);
        vars.set(q.Id, clean);
        results.set(q.Id, { series: clean, query: q });
      } catch (error) {
        if (error instanceof MetricMathError) fail("ValidationError", error.message);
        throw error;
      }
    }
    return results;
  }

  private alarmOut(a: Alarm): MetricAlarm {
    const c = a.config;
    return {
      AlarmName: c.AlarmName,
      AlarmArn: a.arn,
      AlarmDescription: c.AlarmDescription,
      AlarmConfigurationUpdatedTimestamp: a.configUpdated,
      ActionsEnabled: c.ActionsEnabled ?? true,
      OKActions: c.OKActions ?? [],
      AlarmActions: c.AlarmActions ?? [],
      InsufficientDataActions: c.InsufficientDataActions ?? [],
      StateValue: a.state,
      StateReason: a.reason,
      StateReasonData: a.reasonData,
      StateUpdatedTimestamp: a.updated,
      StateTransitionedTimestamp: a.updated,
      MetricName: c.MetricName,
      Namespace: c.Namespace,
      Statistic: c.Statistic,
      ExtendedStatistic: c.ExtendedStatistic,
      Dimensions: c.Dimensions,
      Period: c.Period,
      Unit: c.Unit,
      EvaluationPeriods: c.EvaluationPeriods,
      DatapointsToAlarm: c.DatapointsToAlarm,
      Threshold: c.Threshold,
      ComparisonOperator: c.ComparisonOperator,
      TreatMissingData: c.TreatMissingData,
      Metrics: c.Metrics,
      ThresholdMetricId: c.ThresholdMetricId,
    };
  }

  private setState(
    alarm: Alarm,
    state: AlarmState,
    reason: string,
    reasonData?: Record<string, unknown>,
  ): void {
    if (alarm.state === state) return;
    const previous = {
      value: alarm.state,
      reason: alarm.reason,
      ...(alarm.reasonData ? { reasonData: alarm.reasonData } : {}),
      timestamp: cwTimestamp(alarm.updated.getTime()),
    };
    alarm.history.push({ at: this.ctx.clock.date(), from: alarm.state, to: state, reason });
    alarm.state = state;
    alarm.reason = reason;
    alarm.reasonData = reasonData ? JSON.stringify(reasonData) : undefined;
    alarm.updated = this.ctx.clock.date();
    const c = alarm.config;
    const metrics = c.Metrics
      ? c.Metrics.map((m) => ({
          id: m.Id,
          ...(m.Expression ? { expression: m.Expression, label: m.Label } : {}),
          ...(m.MetricStat
            ? {
                metricStat: {
                  metric: {
                    namespace: m.MetricStat.Metric?.Namespace,
                    name: m.MetricStat.Metric?.MetricName,
                    dimensions: Object.fromEntries(
                      (m.MetricStat.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]),
                    ),
                  },
                  period: m.MetricStat.Period,
                  stat: m.MetricStat.Stat,
                },
              }
            : {}),
          returnData: m.ReturnData ?? true,
        }))
      : [
          {
            id: "m1",
            metricStat: {
              metric: {
                namespace: c.Namespace,
                name: c.MetricName,
                dimensions: Object.fromEntries((c.Dimensions ?? []).map((d) => [d.Name, d.Value])),
              },
              period: c.Period,
              stat: c.Statistic ?? c.ExtendedStatistic,
            },
            returnData: true,
          },
        ];
    this.ctx.emit({
      "detail-type": "CloudWatch Alarm State Change",
      source: "aws.cloudwatch",
      region: alarm.region,
      resources: [alarm.arn],
      detail: {
        alarmName: c.AlarmName,
        state: {
          value: state,
          reason,
          ...(alarm.reasonData ? { reasonData: alarm.reasonData } : {}),
          timestamp: cwTimestamp(alarm.updated.getTime()),
        },
        previousState: previous,
        configuration: { ...(c.AlarmDescription ? { description: c.AlarmDescription } : {}), metrics },
      },
    });
  }

  /** Evaluates every alarm against complete periods before `now`. */
  evaluateAll(now: number): void {
    for (const alarm of this.alarms) {
      try {
        this.evaluateOne(alarm, now);
      } catch {
        // An alarm whose math cannot be evaluated stays in its state (CloudWatch reports it as an error).
      }
    }
  }

  private evaluateOne(alarm: Alarm, now: number): void {
    const c = alarm.config;
    const periodS = c.Period ?? c.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period ?? 60;
    const periodMs = periodS * 1000;
    const n = c.EvaluationPeriods ?? 1;
    const m = c.DatapointsToAlarm ?? n;
    const end = Math.floor(now / periodMs) * periodMs;
    const start = end - n * periodMs;
    let series: Series;
    if (c.Metrics) {
      const results = this.runQueries(alarm.region, c.Metrics, start, end);
      const returned = c.Metrics.find(
        (q) => q.ReturnData !== false && (c.ThresholdMetricId === undefined || q.Id !== c.ThresholdMetricId),
      );
      series = (returned?.Id ? results.get(returned.Id)?.series : undefined) ?? new Map();
    } else {
      series = this.series(
        alarm.region,
        c.Namespace ?? "",
        c.MetricName ?? "",
        c.Dimensions,
        periodS,
        c.Statistic ?? c.ExtendedStatistic ?? "Average",
        start,
        end,
      );
    }
    const compare = COMPARE[c.ComparisonOperator ?? ""] ?? COMPARE.GreaterThanThreshold;
    const threshold = c.Threshold ?? 0;
    const treat = c.TreatMissingData ?? "missing";
    let breaching = 0;
    let present = 0;
    const points: number[] = [];
    for (let t = start; t < end; t += periodMs) {
      const v = series.get(t);
      if (v === undefined) {
        if (treat === "breaching") breaching++;
        continue;
      }
      present++;
      points.push(v);
      if (compare?.(v, threshold)) breaching++;
    }
    const reasonData = {
      version: "1.0",
      queryDate: cwTimestamp(now),
      startDate: cwTimestamp(start),
      statistic: c.Statistic,
      period: periodS,
      recentDatapoints: points,
      threshold,
      evaluatedDatapoints: [...series].map(([t, value]) => ({ timestamp: cwTimestamp(t), value })),
    };
    if (present === 0 && treat !== "breaching") {
      if (treat === "ignore") return;
      if (treat === "notBreaching") {
        this.setState(
          alarm,
          "OK",
          `Threshold Crossed: no datapoints were received for ${n} periods and ${n} missing datapoints were treated as [NonBreaching].`,
          reasonData,
        );
        return;
      }
      this.setState(
        alarm,
        "INSUFFICIENT_DATA",
        `Insufficient Data: ${n} datapoints were unknown.`,
        reasonData,
      );
      return;
    }
    const op = (c.ComparisonOperator ?? "")
      .replace("Threshold", "")
      .replace(/([A-Z])/g, " $1")
      .trim()
      .toLowerCase();
    if (breaching >= m) {
      this.setState(
        alarm,
        "ALARM",
        `Threshold Crossed: ${breaching} out of the last ${n} datapoints [${points.join(", ")}] were ${op} the threshold (${threshold}) (minimum ${m} datapoint${m > 1 ? "s" : ""} for OK -> ALARM transition).`,
        reasonData,
      );
    } else {
      this.setState(
        alarm,
        "OK",
        `Threshold Crossed: ${n - breaching} out of the last ${n} datapoints [${points.join(", ")}] were not ${op} the threshold (${threshold}) (minimum 1 datapoint for ALARM -> OK transition).`,
        reasonData,
      );
    }
  }

  readonly operations = {
    PutMetricData: (input: PutMetricDataCommandInput, region: string) => {
      const namespace = input.Namespace ?? fail("MissingParameter", "The parameter Namespace is required.");
      if (namespace.startsWith("AWS/"))
        fail("InvalidParameterValue", `The value AWS/ for parameter Namespace is invalid.`);
      for (const d of input.MetricData ?? []) {
        if (!d.MetricName)
          fail("MissingParameter", "The parameter MetricData.member.MetricName is required.");
        const t = d.Timestamp ? new Date(d.Timestamp).getTime() : this.ctx.clock.now();
        const values = d.Values ?? (d.Value !== undefined ? [d.Value] : []);
        const counts = d.Counts ?? values.map(() => 1);
        if (d.Values && d.Counts && d.Values.length !== d.Counts.length) {
          fail("InvalidParameterValue", "The Values and Counts arrays must be of the same size.");
        }
        const sample: Sample = { t, values, counts };
        if (d.StatisticValues) {
          sample.stat = {
            SampleCount: d.StatisticValues.SampleCount ?? 0,
            Sum: d.StatisticValues.Sum ?? 0,
            Minimum: d.StatisticValues.Minimum ?? 0,
            Maximum: d.StatisticValues.Maximum ?? 0,
          };
        }
        this.record(region, namespace, d.MetricName, d.Dimensions ?? [], sample);
      }
      return {};
    },
    GetMetricData: (input: GetMetricDataCommandInput, region: string) => {
      const start = input.StartTime
        ? new Date(input.StartTime).getTime()
        : fail("MissingParameter", "The parameter StartTime is required.");
      const end = input.EndTime
        ? new Date(input.EndTime).getTime()
        : fail("MissingParameter", "The parameter EndTime is required.");
      if (end <= start) fail("ValidationError", "The parameter EndTime must be greater than StartTime.");
      const queries = input.MetricDataQueries ?? [];
      const results = this.runQueries(region, queries, start, end);
      const descending = (input.ScanBy ?? "TimestampDescending") === "TimestampDescending";
      return {
        MetricDataResults: queries
          .filter((q) => q.ReturnData !== false)
          .map((q) => {
            const points = [...(results.get(q.Id ?? "")?.series ?? new Map<number, number>())].sort((a, b) =>
              descending ? b[0] - a[0] : a[0] - b[0],
            );
            return {
              Id: q.Id,
              Label: q.Label ?? q.MetricStat?.Metric?.MetricName ?? q.Id,
              Timestamps: points.map(([t]) => new Date(t)),
              Values: points.map(([, v]) => v),
              StatusCode: "Complete",
            };
          }),
        Messages: [],
      };
    },
    ListMetrics: (input: ListMetricsCommandInput, region: string) => ({
      Metrics: [...this.metrics.values()]
        .filter((m) => m.region === region)
        .filter(
          (m) =>
            (!input.Namespace || m.namespace === input.Namespace) &&
            (!input.MetricName || m.name === input.MetricName),
        )
        .filter((m) =>
          (input.Dimensions ?? []).every((f) =>
            m.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
          ),
        )
        .map((m) => ({
          Namespace: m.namespace,
          MetricName: m.name,
          Dimensions: m.dimensions.map((d) => ({ ...d })),
        })),
    }),
    PutMetricAlarm: (input: PutMetricAlarmCommandInput, region: string) => {
      const name = input.AlarmName ?? fail("MissingParameter", "The parameter AlarmName is required.");
      if (!input.ComparisonOperator)
        fail("MissingParameter", "The parameter ComparisonOperator is required.");
      if (!input.EvaluationPeriods) fail("MissingParameter", "The parameter EvaluationPeriods is required.");
      if (!input.Metrics && !input.MetricName)
        fail("ValidationError", "Either MetricName or Metrics must be specified.");
      if (input.Metrics && input.MetricName)
        fail("ValidationError", "Exactly one of MetricName and Metrics must be specified.");
      if (input.MetricName && !input.Statistic && !input.ExtendedStatistic)
        fail("ValidationError", "Either Statistic or ExtendedStatistic must be specified.");
      if ((input.DatapointsToAlarm ?? 0) > input.EvaluationPeriods)
        fail("ValidationError", "DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
      const now = this.ctx.clock.date();
      const existing = this.alarms.find((a) => a.region === region && a.config.AlarmName === name);
      if (existing) {
        existing.config = structuredClone(input);
        existing.configUpdated = now;
      } else {
        this.alarms.push({
          region,
          config: structuredClone(input),
          arn: `arn:aws:cloudwatch:${region}:${this.ctx.account}:alarm:${name}`,
          state: "INSUFFICIENT_DATA",
          reason: "Unchecked: Initial alarm creation",
          updated: now,
          configUpdated: now,
          history: [],
        });
      }
      this.ticker.wake();
      return {};
    },
    DescribeAlarms: (input: DescribeAlarmsCommandInput, region: string) => ({
      MetricAlarms: this.alarms
        .filter((a) => a.region === region)
        .filter((a) => !input.AlarmNames?.length || input.AlarmNames.includes(a.config.AlarmName ?? ""))
        .filter((a) => !input.AlarmNamePrefix || (a.config.AlarmName ?? "").startsWith(input.AlarmNamePrefix))
        .filter((a) => !input.StateValue || a.state === input.StateValue)
        .filter(
          (a) =>
            !input.ActionPrefix ||
            (a.config.AlarmActions ?? []).some((x) => x.startsWith(input.ActionPrefix ?? "")),
        )
        .map((a) => this.alarmOut(a)),
      CompositeAlarms: [],
    }),
    DeleteAlarms: (input: DeleteAlarmsCommandInput, region: string) => {
      const names = input.AlarmNames ?? [];
      const missing = names.filter(
        (n) => !this.alarms.some((a) => a.region === region && a.config.AlarmName === n),
      );
      if (missing.length > 0)
        fail("ResourceNotFound", `Could not find alarm(s): ${missing.join(", ")}`, { status: 404 });
      this.alarms = this.alarms.filter(
        (a) => !(a.region === region && names.includes(a.config.AlarmName ?? "")),
      );
      return {};
    },
    SetAlarmState: (input: SetAlarmStateCommandInput, region: string) => {
      const alarm = this.alarms.find((a) => a.region === region && a.config.AlarmName === input.AlarmName);
      if (!alarm) fail("ResourceNotFound", `Alarm ${input.AlarmName} not found`, { status: 404 });
      const state = input.StateValue as AlarmState | undefined;
      if (state !== "OK" && state !== "ALARM" && state !== "INSUFFICIENT_DATA")
        fail("InvalidParameterValue", `Invalid StateValue ${input.StateValue}`);
      this.setState(
        alarm,
        state,
        input.StateReason ?? "",
        input.StateReasonData ? (JSON.parse(input.StateReasonData) as Record<string, unknown>) : undefined,
      );
      return {};
    },
    DescribeAlarmHistory: (input: { AlarmName?: string }, region: string) => ({
      AlarmHistoryItems: this.alarms
        .filter((a) => a.region === region && (!input.AlarmName || a.config.AlarmName === input.AlarmName))
        .flatMap((a) =>
          a.history.map((h) => ({
            AlarmName: a.config.AlarmName,
            Timestamp: h.at,
            HistoryItemType: "StateUpdate",
            HistorySummary: `Alarm updated from ${h.from} to ${h.to}`,
            HistoryData: JSON.stringify({
              oldState: { stateValue: h.from },
              newState: { stateValue: h.to, stateReason: h.reason },
            }),
          })),
        )
        .sort((x, y) => y.Timestamp.getTime() - x.Timestamp.getTime()),
    }),
  };

  /** An alarm's state (for Route 53 CLOUDWATCH_METRIC health checks). */
  alarmState(region: string, name: string): AlarmState | undefined {
    return this.alarms.find((a) => a.region === region && a.config.AlarmName === name)?.state;
  }

  describe(): Record<string, Record<string, unknown[]>> {
    const out = {};
    for (const a of this.alarms)
      addTo(out, a.region, "alarms", {
        name: a.config.AlarmName,
        state: a.state,
        since: a.updated.toISOString(),
      });
    for (const m of this.metrics.values()) {
      addTo(out, m.region, "metrics", {
        namespace: m.namespace,
        name: m.name,
        dimensions: Object.fromEntries(m.dimensions.map((d) => [d.Name, d.Value])),
        samples: m.samples.length,
      });
    }
    return out;
  }

  /**
   * The state now: alarms, metrics, the current hour's samples; every earlier hour with unsaved
   * samples is taken now too and written to its own file (`cloudwatch/`) before the state is
   * returned. Hours older than the retention are dropped.
   */
  save(dir: string): Promise<JsonText> {
    const now = this.ctx.clock.now();
    const current = segmentOf(now);
    const horizon = segmentOf(now - RETENTION_MS);
    const recent: Record<string, Sample[]> = {};
    const toWrite = [...this.unsavedSegments].filter((segment) => segment < current && segment >= horizon);
    const taken = toWrite.map((segment) => {
      const samples: Record<string, Sample[]> = {};
      for (const [key, metric] of this.metrics) {
        const found = samplesBetween(metric, segment, segment + SEGMENT_MS);
        if (found.length > 0) samples[key] = found;
      }
      return { segment, samples };
    });
    for (const [key, metric] of this.metrics) {
      const found = samplesBetween(metric, current, Number.POSITIVE_INFINITY);
      if (found.length > 0) recent[key] = found;
    }
    // The current hour stays unsaved: saved inline until it is over, then into its file.
    for (const segment of this.unsavedSegments) {
      if (segment < current) this.unsavedSegments.delete(segment);
    }
    for (const segment of this.segmentFiles.keys()) if (segment < horizon) this.segmentFiles.delete(segment);
    // Serialized at every save (metrics change on every tick, which reports no change), now: alarms change.
    const state = {
      // Metrics and samples are numbers and strings: no replacer needed (alarms hold Dates).
      metrics: plainJsonText(
        [...this.metrics.entries()].map(([key, { samples: _s, unordered: _u, ...metric }]) => [key, metric]),
      ),
      alarms: toJsonText(this.alarms),
      recent: plainJsonText(recent),
    };
    return this.writeSegments(join(dir, "cloudwatch"), taken).then(() =>
      objectText({ ...state, segments: Object.fromEntries(this.segmentFiles) as Json }),
    );
  }

  private async writeSegments(
    folder: string,
    taken: readonly { segment: number; samples: Record<string, Sample[]> }[],
  ): Promise<void> {
    if (taken.length === 0) return;
    await mkdir(folder, { recursive: true });
    for (const [i, { segment, samples }] of taken.entries()) {
      const file = `${new Date(segment).toISOString().slice(0, 13)}h-${randomId(8)}.json`;
      try {
        await writeAtomically(join(folder, file), JSON.stringify(samples));
      } catch (error) {
        // Still unsaved: the next save writes these hours again.
        for (const rest of taken.slice(i)) this.unsavedSegments.add(rest.segment);
        throw error;
      }
      this.segmentFiles.set(segment, file);
    }
  }

  /** The state last saved is the one on disk: hour files it does not name go. */
  async afterCommit(dir: string): Promise<void> {
    await removeUnreferenced(join(dir, "cloudwatch"), new Set(this.segmentFiles.values()));
  }

  async load(saved: Json, dir: string): Promise<void> {
    // State saved before hours went to files carries each metric's samples inline.
    const state = saved as unknown as Omit<Partial<SavedMetrics>, "metrics"> & {
      metrics: [string, Omit<Metric, "samples"> & { samples?: Sample[] }][];
    };
    this.alarms = fromJson<{ alarms: Alarm[] }>({ alarms: state.alarms ?? [] } as unknown as Json).alarms;
    this.segmentFiles = new Map();
    this.unsavedSegments.clear();
    const samples = new Map<string, Sample[]>();
    const add = (byKey: Record<string, Sample[]>) => {
      for (const [key, list] of Object.entries(byKey))
        samples.set(key, [...(samples.get(key) ?? []), ...list]);
    };
    const segments = Object.entries(state.segments ?? {}).sort(([a], [b]) => Number(a) - Number(b));
    for (const [segment, file] of segments) {
      add(JSON.parse(await readFile(join(dir, "cloudwatch", file), "utf8")) as Record<string, Sample[]>);
      this.segmentFiles.set(Number(segment), file);
    }
    add(state.recent ?? {});
    this.metrics = new Map(
      state.metrics.map(([key, metric]) => {
        // Inline samples (the older format) are not in any file yet: the next save files them.
        const list = metric.samples ?? samples.get(key) ?? [];
        if (metric.samples) for (const sample of list) this.unsavedSegments.add(segmentOf(sample.t));
        const ordered = list.every((sample, i) => i === 0 || sample.t >= (list[i - 1] as Sample).t);
        return [key, { ...metric, samples: list, ...(ordered ? {} : { unordered: true }) }];
      }),
    );
    this.ticker.wake();
  }
}
