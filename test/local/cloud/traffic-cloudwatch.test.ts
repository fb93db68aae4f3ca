import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateClusterCommand, DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import type { CloudEvent } from "../../../local/cloud/context.ts";
import { evaluate, statistic } from "../../../local/cloud/metric-math.ts";
import { START, startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

const cw = () => createAwsClient(CloudWatchClient, { region: "us-east-1" });

describe("CloudWatch metrics", () => {
  it("answers GetMetricData with statistics, percentiles and metric math", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    const dims = [{ Name: "Service", Value: "checkout" }];
    for (let minute = 0; minute < 3; minute++) {
      await cw().send(
        new PutMetricDataCommand({
          Namespace: "Shop",
          MetricData: [
            {
              MetricName: "Requests",
              Dimensions: dims,
              Value: 100,
              Timestamp: new Date(START + minute * 60_000 + 1000),
            },
            {
              MetricName: "Errors",
              Dimensions: dims,
              Value: minute,
              Timestamp: new Date(START + minute * 60_000 + 1000),
            },
            {
              MetricName: "Latency",
              Dimensions: dims,
              Values: [50, 100, 900],
              Counts: [90, 9, 1],
              Timestamp: new Date(START + minute * 60_000 + 2000),
            },
          ],
        }),
      );
    }
    await clock.sleep(5 * 60_000);
    const metric = (name: string) => ({ Namespace: "Shop", MetricName: name, Dimensions: dims });

    const out = await cw().send(
      new GetMetricDataCommand({
        StartTime: new Date(START),
        EndTime: new Date(START + 3 * 60_000),
        ScanBy: "TimestampAscending",
        MetricDataQueries: [
          {
            Id: "req",
            MetricStat: { Metric: metric("Requests"), Period: 60, Stat: "Sum" },
            ReturnData: false,
          },
          { Id: "err", MetricStat: { Metric: metric("Errors"), Period: 60, Stat: "Sum" }, ReturnData: false },
          { Id: "rate", Expression: "100 * err / req", Label: "error rate %" },
          { Id: "p99", MetricStat: { Metric: metric("Latency"), Period: 180, Stat: "p99" } },
          { Id: "total", Expression: "SUM([req, err])" },
        ],
      }),
    );

    const byId = Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, r]));
    expect(Object.keys(byId)).toEqual(["rate", "p99", "total"]);
    expect(byId.rate?.Values).toEqual([0, 1, 2]);
    expect(byId.rate?.Label).toBe("error rate %");
    expect(byId.p99?.Values).toEqual([100]);
    expect(byId.total?.Values).toEqual([100, 101, 102]);
    const listed = await cw().send(new ListMetricsCommand({ Namespace: "Shop" }));
    expect(listed.Metrics).toHaveLength(3);
    await expect(
      cw().send(
        new PutMetricDataCommand({ Namespace: "AWS/EC2", MetricData: [{ MetricName: "x", Value: 1 }] }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });

  it("computes statistics and math exactly", () => {
    const samples = [{ t: 0, values: [1, 2, 3, 4], counts: [1, 1, 1, 97] }];
    expect(statistic("Sum", samples)).toBe(1 + 2 + 3 + 4 * 97);
    expect(statistic("p50", samples)).toBe(4);
    expect(statistic("p1", samples)).toBe(1);
    expect(statistic("SampleCount", [])).toBeUndefined();
    const a = new Map([
      [0, 10],
      [60, 20],
    ]);
    const b = new Map([
      [0, 2],
      [60, 0],
    ]);
    expect(
      evaluate(
        "(a + b) / b",
        new Map([
          ["a", a],
          ["b", b],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 6],
        [60, Number.NaN],
      ]),
    );
    expect(() => evaluate("a +", new Map([["a", a]]))).toThrow();
  });
});

describe("CloudWatch alarms", () => {
  it("go to ALARM on DatapointsToAlarm of EvaluationPeriods breaching, emitting the event; SetAlarmState too", async () => {
    const events: CloudEvent[] = [];
    const { cloud: c, clock } = startCloud({ emitEvent: (e) => void events.push(e) });
    cloud = c;
    await cw().send(
      new PutMetricAlarmCommand({
        AlarmName: "errors",
        Namespace: "Shop",
        MetricName: "Errors",
        Statistic: "Sum",
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 5,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
      }),
    );
    const state = async () =>
      (await cw().send(new DescribeAlarmsCommand({ AlarmNames: ["errors"] }))).MetricAlarms?.[0]?.StateValue;
    await waitUntil(clock, async () => (await state()) === "OK", { everyMs: 60_000 });

    await cw().send(
      new PutMetricDataCommand({ Namespace: "Shop", MetricData: [{ MetricName: "Errors", Value: 10 }] }),
    );
    await clock.sleep(60_000);
    await cw().send(
      new PutMetricDataCommand({ Namespace: "Shop", MetricData: [{ MetricName: "Errors", Value: 10 }] }),
    );
    await waitUntil(clock, async () => (await state()) === "ALARM", {
      everyMs: 60_000,
      withinMs: 5 * 60_000,
    });
    await cw().send(
      new SetAlarmStateCommand({ AlarmName: "errors", StateValue: "OK", StateReason: "drill" }),
    );

    expect(events.map((e) => (e.detail.state as { value: string }).value)).toEqual(["OK", "ALARM", "OK"]);
    expect(events[2]?.detail.state).toMatchObject({ reason: "drill" });
  });
});

describe("traffic simulation", () => {
  it("splits requests by the VirtualService weights and publishes per-version metrics canary analysis can read", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    const eks = createAwsClient(EKSClient, { region: "us-east-1" });
    await eks.send(
      new CreateClusterCommand({
        name: "platform",
        roleArn: "arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig: { subnetIds: ["s"] },
      }),
    );
    await waitUntil(
      clock,
      async () =>
        (await eks.send(new DescribeClusterCommand({ name: "platform" }))).cluster?.status === "ACTIVE",
    );
    const api = c.eks.kubernetes("platform");
    if (!api) throw new Error("no Kubernetes API");
    c.traffic.setService({
      region: "us-east-1",
      cluster: "platform",
      namespace: "shop",
      service: "web",
      versions: {
        stable: { requestsPerMinute: 1000, errorRate: 0.001 },
        canary: { requestsPerMinute: 1000, errorRate: 0.05, latencyP99Ms: 900 },
      },
    });
    // Route 25% to the canary through Istio objects created over the Kubernetes API.
    await fetchJson(api.endpoint, "POST", "/api/v1/namespaces", { metadata: { name: "shop" } });
    await fetchJson(api.endpoint, "POST", "/apis/networking.istio.io/v1/namespaces/shop/destinationrules", {
      metadata: { name: "web" },
      spec: {
        host: "web",
        subsets: [
          { name: "stable", labels: { version: "stable" } },
          { name: "canary", labels: { version: "canary" } },
        ],
      },
    });
    await fetchJson(api.endpoint, "POST", "/apis/networking.istio.io/v1/namespaces/shop/virtualservices", {
      metadata: { name: "web" },
      spec: {
        hosts: ["web"],
        http: [
          {
            route: [
              { destination: { host: "web", subset: "stable" }, weight: 75 },
              { destination: { host: "web", subset: "canary" }, weight: 25 },
            ],
          },
        ],
      },
    });
    const from = Math.ceil(clock.now() / 60_000) * 60_000;
    await clock.sleep(from - clock.now() + 5 * 60_000);

    const q = (id: string, name: string, version: string, stat = "Sum") => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: "cplane/Traffic",
          MetricName: name,
          Dimensions: [
            { Name: "Namespace", Value: "shop" },
            { Name: "Service", Value: "web" },
            { Name: "Version", Value: version },
          ],
        },
        Period: 300,
        Stat: stat,
      },
    });
    const out = await cw().send(
      new GetMetricDataCommand({
        StartTime: new Date(from),
        EndTime: new Date(clock.now()),
        MetricDataQueries: [
          q("sr", "Requests", "stable"),
          q("cr", "Requests", "canary"),
          q("ce", "Errors", "canary"),
          q("cp99", "Latency", "canary", "p99"),
          q("sp99", "Latency", "stable", "p99"),
        ],
      }),
    );
    const v = Object.fromEntries(
      (out.MetricDataResults ?? []).map((r) => [
        r.Id,
        r.Id?.endsWith("p99") ? Math.max(...(r.Values ?? [])) : (r.Values ?? []).reduce((a, b) => a + b, 0),
      ]),
    );

    expect(v.sr).toBe(5 * 750);
    expect(v.cr).toBe(5 * 250);
    expect((v.ce ?? 0) / (v.cr ?? 1)).toBeCloseTo(0.05, 2);
    expect(v.cp99).toBeGreaterThan(v.sp99 ?? 0);
    expect(v.cp99).toBeGreaterThan(500);
  });
});

describe("traffic of releases and tenant cohorts", () => {
  it("gives a release's behaviour to whichever version runs its tag, routes header matches by the request mix, and carries fractions", async () => {
    // Prepare: web with stable on 1.0.0 and a canary on 2.0.0, basic tenants' requests to the canary
    const { cloud: c, clock } = startCloud();
    cloud = c;
    const eks = createAwsClient(EKSClient, { region: "us-east-1" });
    await eks.send(
      new CreateClusterCommand({
        name: "platform",
        roleArn: "arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig: { subnetIds: ["s"] },
      }),
    );
    await waitUntil(
      clock,
      async () =>
        (await eks.send(new DescribeClusterCommand({ name: "platform" }))).cluster?.status === "ACTIVE",
    );
    const api = c.eks.kubernetes("platform");
    if (!api) throw new Error("no Kubernetes API");
    const where = { region: "us-east-1", namespace: "shop", service: "web" };
    c.traffic.setService({
      ...where,
      cluster: "platform",
      versions: { stable: { requestsPerMinute: 1000, errorRate: 0.0025 }, canary: {} },
      requestMix: { "x-tier": { basic: 0.3, standard: 0.5, premium: 0.2 } },
    });
    c.traffic.setBehaviour(where, "2.0.0", { errorRate: 0.05 });
    api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    for (const [version, image] of [
      ["stable", "cplane/web:1.0.0"],
      ["canary", "cplane/web:2.0.0"],
    ] as const)
      api.apply({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: `web-${version}`, namespace: "shop", labels: { app: "web", version } },
        spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image }] } } },
      });
    api.apply({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        host: "web",
        subsets: [
          { name: "stable", labels: { version: "stable" } },
          { name: "canary", labels: { version: "canary" } },
        ],
      },
    });
    api.apply({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        hosts: ["web"],
        http: [
          {
            match: [{ headers: { "x-tier": { regex: "^(basic)$" } } }],
            route: [{ destination: { host: "web", subset: "canary" } }],
          },
          { route: [{ destination: { host: "web", subset: "stable" }, weight: 100 }] },
        ],
      },
    });
    await clock.sleep(60_000);

    // Act: eight minutes of traffic
    const totals = { stable: { requests: 0, errors: 0 }, canary: { requests: 0, errors: 0 } };
    for (let minute = 0; minute < 8; minute++) {
      await c.ticker.tickNow();
      const [described] = (c.traffic.describe()["us-east-1"]?.services ?? []) as {
        versions: Record<string, { lastMinute?: { share: number; requests: number; errors: number } }>;
      }[];
      for (const version of ["stable", "canary"] as const) {
        const last = described?.versions[version]?.lastMinute;
        totals[version].requests += last?.requests ?? 0;
        totals[version].errors += last?.errors ?? 0;
      }
    }

    // Assess: basic's 30 % on the canary, behaving as release 2.0.0; stable's 1.75 errors a minute come
    // out as 14 in eight, give or take the fraction carried in and out (rounded each minute: 16)
    expect(totals.canary).toEqual({ requests: 2400, errors: 120 });
    expect(totals.stable.requests).toBe(5600);
    expect(totals.stable.errors).toBeGreaterThanOrEqual(13);
    expect(totals.stable.errors).toBeLessThanOrEqual(15);
  });
});

/** A raw call to the loopback Kubernetes API with an EKS token (the CA is the cloud's own). */
async function fetchJson(endpoint: string, method: string, path: string, body: unknown): Promise<unknown> {
  const { request } = await import("node:https");
  const { LOCAL_CA_PEM } = await import("../../../local/cloud/tls.ts");
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}${path}`,
      {
        method,
        ca: LOCAL_CA_PEM,
        headers: { authorization: "Bearer k8s-aws-v1.test", "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          res.statusCode && res.statusCode < 300
            ? resolve(JSON.parse(Buffer.concat(chunks).toString()))
            : reject(new Error(`${res.statusCode} ${Buffer.concat(chunks).toString()}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}
