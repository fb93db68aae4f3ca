/** The demo fleet's wiring end to end: a bad canary trips the canary alarm; a region outage fails its traffic. */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import type { CloudEvent } from "../../../local/cloud/context.ts";
import { createDemoFleet } from "../../../local/cloud/demo.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

const dims = (version?: string) => [
  { Name: "Namespace", Value: "shop" },
  { Name: "Service", Value: "web" },
  ...(version ? [{ Name: "Version", Value: version }] : []),
];

describe("the demo fleet in motion", () => {
  it("raises cplane-canary-errors when a canary taking 10% of web's traffic fails 5% of its requests", async () => {
    const events: CloudEvent[] = [];
    const { cloud: c, clock } = startCloud({ emitEvent: (e) => void events.push(e) });
    cloud = c;
    await createDemoFleet(c);
    const api = c.eks.kubernetes("cplane-us-east-1");
    if (!api) throw new Error("no Kubernetes API");
    api.apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web-canary", namespace: "shop", labels: { app: "web", version: "canary" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "web", version: "canary" } },
        template: {
          metadata: { labels: { app: "web", version: "canary" } },
          spec: { containers: [{ name: "web", image: "cplane/web:1.1.0" }] },
        },
      },
    });
    c.traffic.setBehaviour({ region: "us-east-1", namespace: "shop", service: "web" }, "canary", {
      errorRate: 0.05,
    });
    const start = clock.now();

    api.apply({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        hosts: ["web"],
        http: [
          {
            route: [
              { destination: { host: "web", subset: "stable" }, weight: 90 },
              { destination: { host: "web", subset: "canary" }, weight: 10 },
            ],
          },
        ],
      },
    });
    const took = await waitUntil(
      clock,
      () =>
        events.some(
          (e) =>
            e.detail.alarmName === "cplane-canary-errors" &&
            (e.detail.state as { value: string }).value === "ALARM",
        ),
      { everyMs: 60_000, withinMs: 30 * 60_000 },
    );

    expect(took).toBeLessThanOrEqual(5 * 60_000);
    expect(clock.now()).toBeGreaterThan(start);
    const latency = events.find(
      (e) =>
        e.detail.alarmName === "cplane-canary-latency" &&
        (e.detail.state as { value: string }).value === "ALARM",
    );
    expect(latency).toBeUndefined();
  });

  it("publishes traffic for a version the scenario does not know, and fails it while its pods are not ready", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    await createDemoFleet(c);
    const api = c.eks.kubernetes("cplane-us-east-1");
    if (!api) throw new Error("no Kubernetes API");
    c.eks.brokenImages.add(":2.0.0-broken");
    api.apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "api-v2", namespace: "shop", labels: { app: "api", version: "v2" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "api", version: "v2" } },
        template: {
          metadata: { labels: { app: "api", version: "v2" } },
          spec: { containers: [{ name: "api", image: "cplane/api:2.0.0-broken" }] },
        },
      },
    });
    api.apply({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "api", namespace: "shop" },
      spec: {
        host: "api",
        subsets: [
          { name: "stable", labels: { version: "stable" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      },
    });
    api.apply({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "api", namespace: "shop" },
      spec: {
        hosts: ["api"],
        http: [
          {
            route: [
              { destination: { host: "api", subset: "stable" }, weight: 50 },
              { destination: { host: "api", subset: "v2" }, weight: 50 },
            ],
          },
        ],
      },
    });
    await clock.sleep(3 * 60_000);

    const services = (c.describe().Traffic?.["us-east-1"]?.services ?? []) as {
      service: string;
      versions: Record<string, { lastMinute?: { requests: number; errors: number } }>;
    }[];
    const lastMinute = services.find((s) => s.service === "shop/api");
    expect(lastMinute?.versions.v2?.lastMinute).toEqual({ share: 0.5, requests: 300, errors: 300 });
    expect(lastMinute?.versions.stable?.lastMinute?.errors).toBeLessThan(5);
  });

  it("fails every request of a region that is down while the other region serves", async () => {
    const events: CloudEvent[] = [];
    const { cloud: c, clock } = startCloud({ emitEvent: (e) => void events.push(e) });
    cloud = c;
    await createDemoFleet(c);
    await clock.sleep(3 * 60_000);

    c.faults.regionDown("us-east-1");
    const from = Math.ceil(clock.now() / 60_000) * 60_000;
    await clock.sleep(from - clock.now() + 3 * 60_000);
    const read = async (region: string) => {
      const out = await createAwsClient(CloudWatchClient, { region }).send(
        new GetMetricDataCommand({
          StartTime: new Date(from),
          EndTime: new Date(from + 3 * 60_000),
          MetricDataQueries: [
            {
              Id: "req",
              MetricStat: {
                Metric: { Namespace: "cplane/Traffic", MetricName: "Requests", Dimensions: dims() },
                Period: 180,
                Stat: "Sum",
              },
            },
            {
              Id: "err",
              MetricStat: {
                Metric: { Namespace: "cplane/Traffic", MetricName: "Errors", Dimensions: dims() },
                Period: 180,
                Stat: "Sum",
              },
            },
          ],
        }),
      );
      return Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, r.Values?.[0] ?? 0]));
    };
    const west = await read("us-west-2");
    c.faults.regionUp("us-east-1");
    const east = await read("us-east-1");

    expect(east.req).toBeGreaterThan(0);
    expect(east.err).toBe(east.req);
    expect(west.err ?? 0).toBeLessThan((west.req ?? 0) * 0.01);
    expect(
      events.some(
        (e) =>
          e.detail.alarmName === "cplane-region-health-us-east-1" &&
          (e.detail.state as { value: string }).value === "ALARM",
      ),
    ).toBe(true);
    expect(
      events.some(
        (e) =>
          e.detail.alarmName === "cplane-region-health-us-west-2" &&
          (e.detail.state as { value: string }).value === "ALARM",
      ),
    ).toBe(false);
  });
});
