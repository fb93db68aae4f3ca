/**
 * A DR drill that fails inside its recovery, on the local runtime, with a fault injected in the local
 * cloud: Route 53 refusing the switch once everything else moved, the secondary node group refusing
 * to scale while the databases are still switching over, one global database refusing to switch over.
 * Each stops there and fails back: every global database writes in the primary again, Route 53 sends
 * traffic there, the secondary node group and the Deployments scaled up in the secondary are back to
 * their size before, the fleet lock is given back, and the report and `DR Drill Failed` name the failure.
 */
import { DescribeNodegroupCommand, EKSClient } from "@aws-sdk/client-eks";
import {
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLease } from "../../functions/ops/lib/leases.ts";
import { getReport } from "../../functions/reports/lib/store.ts";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import type { FaultSpec } from "../../local/cloud/faults.ts";
import { EKS_CLUSTER_NAME, type Runtime } from "../../local/runtime.ts";
import {
  eventsOf,
  failoverRuntime,
  finish,
  onboard,
  start,
  statesOf,
  writerRegion,
} from "./failover-support.ts";

let runtime: Runtime;
let primary: string;
let secondary: string;

beforeAll(async () => {
  runtime = await failoverRuntime();
  primary = runtime.region;
  secondary = runtime.secondaryRegion;
  await onboard(runtime, [{ name: "Gold Co", tier: "premium" }]);
  // The tenant's application at home, mirrored to the secondary at zero replicas by a readiness run.
  kube(EKS_CLUSTER_NAME, primary).apply({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "app", namespace: "gold-co", labels: { app: "tenant-app" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "tenant-app" } },
      template: {
        metadata: { labels: { app: "tenant-app" } },
        spec: { serviceAccountName: "tenant-app", containers: [{ name: "app", image: "tenant/app:1.0.0" }] },
      },
    },
  });
  await runtime.clock.sleep(20 * 60_000);
  const readiness = await finish(runtime, start(runtime, "dr-readiness", { trigger: "manual" }));
  if (readiness.status !== "SUCCEEDED")
    throw new Error(`dr-readiness: ${readiness.error} ${readiness.cause}`);
}, 900_000);
afterAll(async () => {
  await runtime?.close();
});

function kube(cluster: string, region: string) {
  const api = runtime.cloud.eks.kubernetes(cluster, region);
  if (!api) throw new Error(`no Kubernetes API for ${cluster} in ${region}`);
  return api;
}
const replicas = (cluster: string, region: string, namespace: string, name: string) =>
  (kube(cluster, region).get("Deployment", namespace, name) as { spec?: { replicas?: number } } | undefined)
    ?.spec?.replicas;

async function dnsPrimary(): Promise<string | undefined> {
  const route53 = createAwsClient(Route53Client, { region: primary });
  const zone = (await route53.send(new ListHostedZonesByNameCommand({ DNSName: "cplane.example.com" })))
    .HostedZones?.[0]?.Id;
  const { ResourceRecordSets } = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zone }),
  );
  return ResourceRecordSets?.find((r) => r.Failover === "PRIMARY")?.SetIdentifier;
}

async function nodegroupSize(): Promise<number | undefined> {
  const eks = createAwsClient(EKSClient, { region: secondary });
  const { nodegroup } = await eks.send(
    new DescribeNodegroupCommand({ clusterName: `cplane-${secondary}`, nodegroupName: "general" }),
  );
  return nodegroup?.scalingConfig?.desiredSize;
}

/** The secondary as a drill finds it: a smaller node group, pilot-light Deployments. */
async function standby() {
  return {
    nodes: await nodegroupSize(),
    shop: replicas(`cplane-${secondary}`, secondary, "shop", "api-stable"),
    tenant: replicas(EKS_CLUSTER_NAME, secondary, "gold-co", "app"),
  };
}

/** Runs a drill with `fault` in the local cloud; returns the execution, removing the fault after. */
async function drillWith(fault: FaultSpec) {
  const id = runtime.cloud.faults.add(fault);
  try {
    const arn = start(runtime, "regional-failover", {
      trigger: "manual",
      mode: "drill",
      reason: "drill with a fault",
      requestedBy: "ana",
    });
    return { arn, execution: await finish(runtime, arn) };
  } finally {
    runtime.cloud.faults.remove(id);
  }
}

/** Everything the drill moved is in the primary again, as it was before. */
async function expectHome(before: Awaited<ReturnType<typeof standby>>, arn: string) {
  expect(await writerRegion(runtime, "cplane-platform")).toBe(primary);
  expect(await writerRegion(runtime, "tenant-gold-co-global")).toBe(primary);
  expect(await dnsPrimary()).toBe(primary);
  expect(await standby()).toEqual(before);
  const fleet = await readLease("fleet");
  expect(Object.keys(fleet?.holders ?? {})).not.toContain(arn);
}

const failedEvent = (arn: string) =>
  eventsOf(runtime, "DR Drill Failed").find((detail) => detail.executionArn === arn);

describe("a drill that fails inside its recovery", () => {
  it("fails back everything it moved when Route 53 refuses the switch, and names the failure", async () => {
    // Prepare
    const before = await standby();
    expect(before.tenant).toBe(0);

    // Act: Route 53 refuses the drill's switch once (the databases, Deployments and nodes have moved).
    const { arn, execution } = await drillWith({
      kind: "error",
      service: "Route53",
      operation: "ChangeResourceRecordSets",
      error: "InvalidChangeBatch",
      message: "injected: the change batch was refused",
      times: 1,
    });

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("InvalidChangeBatch");
    expect(execution.cause).toContain("switch-traffic");
    expect(execution.cause).toContain("failed back");
    const states = statesOf(runtime, arn);
    expect(states).toEqual(expect.arrayContaining(["DrillStopped", "FailBack", "FailBackCompute"]));
    expect(states).not.toContain("Summarize");
    await expectHome(before, arn);
    expect(failedEvent(arn)).toMatchObject({
      step: "recover",
      error: "InvalidChangeBatch",
      primaryRegion: primary,
      drillRegion: secondary,
    });
    expect(failedEvent(arn)?.notFailedBack).toBeUndefined();
    const report = await getReport(arn);
    expect(report.outcome).toBe("failed");
    expect(report.decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: "drill-stopped",
          reason: expect.stringContaining("InvalidChangeBatch"),
        }),
        expect.objectContaining({ name: "fail-back", subject: "compute", outcome: "failed-back" }),
        expect.objectContaining({ name: "fail-back", subject: "platform", outcome: "failed-back" }),
        expect.objectContaining({ name: "fail-back", subject: "gold-co", outcome: "failed-back" }),
        expect.objectContaining({ name: "fail-back", subject: "dns api.cplane.example.com" }),
      ]),
    );
  }, 900_000);

  it("stops when the secondary node group does not scale, and switches back the databases still switching over", async () => {
    // Prepare
    const before = await standby();

    // Act: the node group refuses to scale while the global databases are switching over.
    const { arn, execution } = await drillWith({
      kind: "error",
      service: "EKS",
      operation: "UpdateNodegroupConfig",
      region: secondary,
      error: "InvalidParameterException",
      message: "injected: scaling refused",
      times: 1,
    });

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("ComputeNotScaledError");
    expect(execution.cause).toContain("failed back");
    expect(statesOf(runtime, arn)).not.toContain("SwitchTraffic");
    await expectHome(before, arn);
    expect(failedEvent(arn)).toMatchObject({ error: "ComputeNotScaledError" });
  }, 900_000);

  it("stops when a global database does not switch over, before Route 53 is touched", async () => {
    // Prepare
    const before = await standby();

    // Act: the first switchover asked of the secondary region is refused.
    const { arn, execution } = await drillWith({
      kind: "error",
      service: "RDS",
      operation: "SwitchoverGlobalCluster",
      region: secondary,
      error: "InvalidParameterValue",
      message: "injected: switchover refused",
      times: 1,
    });

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("DatabaseNotMovedError");
    expect(execution.cause).toContain("InvalidParameterValue");
    expect(statesOf(runtime, arn)).not.toContain("SwitchTraffic");
    await expectHome(before, arn);
  }, 900_000);
});
