/**
 * What tenants need to run in the secondary region, end to end on the local runtime: onboarding's DR
 * step makes each tenant's namespace (quota, limits, network policy, RBAC, ingress) on the secondary
 * tenant cluster and replicates its database secret there with Secrets Manager; a failed onboarding's
 * compensation and an offboarding take both away. The readiness schedule mirrors the tenants'
 * Deployments to the secondary at zero replicas, recording what the primary runs; a drill scales them
 * up and back; an unplanned failover with the primary down scales the platform's and the tenants'
 * Deployments up there and waits for them to be ready before Route 53 is switched.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClient } from "../../functions/shared/aws-clients.ts";
import { getTenant } from "../../functions/tenant/lib/registry.ts";
import { EKS_CLUSTER_NAME, type Runtime } from "../../local/runtime.ts";
import {
  executionsOf,
  failoverRuntime,
  finish,
  onboard,
  runUntil,
  start,
  statesOf,
} from "./failover-support.ts";

let runtime: Runtime;
let primary: string;
let secondary: string;

type Deployment = {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
  metadata?: { annotations?: Record<string, string> };
};

/** The local Kubernetes API of a cluster, as the operator sees it. */
function kube(cluster: string, region: string) {
  const api = runtime.cloud.eks.kubernetes(cluster, region);
  if (!api) throw new Error(`no Kubernetes API for ${cluster} in ${region}`);
  return api;
}
const tenants = (region: string) => kube(EKS_CLUSTER_NAME, region);
const deployment = (cluster: string, region: string, namespace: string, name: string) =>
  kube(cluster, region).get("Deployment", namespace, name) as Deployment | undefined;

/** A tenant's application, as the tenant's own delivery would deploy it at home. */
function deployApp(slug: string, replicas: number): void {
  tenants(primary).apply({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "app", namespace: slug, labels: { app: "tenant-app" } },
    spec: {
      replicas,
      selector: { matchLabels: { app: "tenant-app" } },
      template: {
        metadata: { labels: { app: "tenant-app" } },
        spec: { serviceAccountName: "tenant-app", containers: [{ name: "app", image: "tenant/app:1.0.0" }] },
      },
    },
  });
}

/** What a state of the execution passed on when it exited. */
function exitedOutput(arn: string, state: string): unknown {
  const exited = runtime.engine
    .getExecutionHistory(arn)
    .events.find(
      (e) =>
        e.type.endsWith("StateExited") && (e.stateExitedEventDetails as { name?: string })?.name === state,
    );
  return JSON.parse((exited?.stateExitedEventDetails as { output?: string } | undefined)?.output ?? "null");
}

const secretIn = (region: string) => createAwsClient(SecretsManagerClient, { region });

beforeAll(async () => {
  runtime = await failoverRuntime();
  primary = runtime.region;
  secondary = runtime.secondaryRegion;
  await onboard(runtime, [
    { name: "Prime Bank", tier: "premium" },
    { name: "Steady Shop", tier: "standard" },
    { name: "Short Lived", tier: "basic" },
  ]);
  deployApp("prime-bank", 2);
  deployApp("steady-shop", 3);
  // Copies for the snapshot tiers, then one readiness run (which mirrors the Deployments).
  await runtime.clock.sleep(20 * 60_000);
  const readiness = await finish(runtime, start(runtime, "dr-readiness", { trigger: "manual" }));
  if (readiness.status !== "SUCCEEDED")
    throw new Error(`dr-readiness: ${readiness.error} ${readiness.cause}`);
}, 900_000);
afterAll(async () => {
  await runtime?.close();
});

describe("a tenant's place in the secondary region", () => {
  it("is made by onboarding: namespace with quota, network policy, RBAC, ingress; the secret replicated", async () => {
    const api = tenants(secondary);
    const namespace = api.get("Namespace", undefined, "prime-bank");
    expect(namespace?.metadata?.labels).toMatchObject({
      "cplane.io/tenant": "prime-bank",
      "cplane.io/tier": "premium",
    });
    for (const [kind, name] of [
      ["ResourceQuota", "tenant-quota"],
      ["LimitRange", "tenant-limits"],
      ["NetworkPolicy", "default-deny-ingress"],
      ["Role", "tenant-operator"],
      ["RoleBinding", "tenant-operators"],
      ["ServiceAccount", "tenant-app"],
      ["Ingress", "tenant"],
    ] as const) {
      expect(api.get(kind, "prime-bank", name), `${kind} ${name}`).toBeDefined();
    }
    const quota = api.get("ResourceQuota", "steady-shop", "tenant-quota") as {
      spec?: { hard?: Record<string, string> };
    };
    const home = tenants(primary).get("ResourceQuota", "steady-shop", "tenant-quota") as {
      spec?: { hard?: Record<string, string> };
    };
    expect(quota?.spec?.hard).toEqual(home?.spec?.hard);

    const name = "cplane/tenants/prime-bank/db";
    const replica = await secretIn(secondary).send(new DescribeSecretCommand({ SecretId: name }));
    expect(replica.PrimaryRegion).toBe(primary);
    const source = await secretIn(primary).send(new DescribeSecretCommand({ SecretId: name }));
    expect(source.ReplicationStatus).toEqual([
      expect.objectContaining({ Region: secondary, Status: "InSync" }),
    ]);
    // The same value in both regions (compared here, never printed).
    const there = await secretIn(secondary).send(new GetSecretValueCommand({ SecretId: name }));
    const here = await secretIn(primary).send(new GetSecretValueCommand({ SecretId: name }));
    expect(typeof there.SecretString === "string" && there.SecretString === here.SecretString).toBe(true);
  });

  it("is removed by offboarding: namespace and secret replica gone, the secret's deletion scheduled", async () => {
    const run = await finish(runtime, start(runtime, "tenant-offboarding", { slug: "short-lived" }));
    expect(run.status, `${run.error} ${run.cause}`).toBe("SUCCEEDED");
    await runUntil(
      runtime,
      () => !tenants(secondary).get("Namespace", undefined, "short-lived"),
      "namespace removed",
    );
    await expect(
      secretIn(secondary).send(new DescribeSecretCommand({ SecretId: "cplane/tenants/short-lived/db" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const home = await secretIn(primary).send(
      new DescribeSecretCommand({ SecretId: "cplane/tenants/short-lived/db" }),
    );
    expect(home.DeletedDate).toBeDefined();
  }, 600_000);

  it("is removed by compensation when onboarding fails after making it", async () => {
    const fault = runtime.cloud.faults.fail({
      service: "SecretsManager",
      operation: "ReplicateSecretToRegions",
      error: "InvalidRequestException",
    });
    try {
      const run = await finish(
        runtime,
        start(runtime, "tenant-onboarding", {
          name: "Doomed Co",
          tier: "basic",
          adminEmail: "ops@doomed.example",
        }),
      );
      expect(run.status).toBe("FAILED");
      expect(statesOf(runtime, run.executionArn)).toContain("EnsureDr");
    } finally {
      runtime.cloud.faults.remove(fault);
    }
    await runUntil(
      runtime,
      () => !tenants(secondary).get("Namespace", undefined, "doomed-co"),
      "DR namespace compensated",
    );
    expect((await getTenant("doomed-co"))?.status).toBe("failed");
  }, 600_000);

  it("holds the tenants' Deployments at zero in the secondary, recording what the primary runs", () => {
    const mirror = deployment(EKS_CLUSTER_NAME, secondary, "prime-bank", "app");
    expect(mirror?.spec?.replicas).toBe(0);
    expect(mirror?.metadata?.annotations).toMatchObject({
      "cplane.io/dr-replicas": "2",
      "cplane.io/mirror-of": primary,
    });
    expect(
      deployment(EKS_CLUSTER_NAME, secondary, "steady-shop", "app")?.metadata?.annotations,
    ).toMatchObject({
      "cplane.io/dr-replicas": "3",
    });
  });
});

describe("the Deployments in a regional failover", () => {
  it("are scaled up for a drill, ready before DNS moves, and scaled back when it fails back", async () => {
    const arn = start(runtime, "regional-failover", {
      trigger: "schedule",
      mode: "drill",
      scheduledTime: runtime.clock.date().toISOString(),
    });
    const run = await finish(runtime, arn);
    expect(run.status, `${run.error} ${run.cause}`).toBe("SUCCEEDED");
    const states = statesOf(runtime, arn);
    expect(states.indexOf("UpWorkloadsReady")).toBeGreaterThan(-1);
    expect(states.indexOf("UpWorkloadsReady")).toBeLessThan(states.indexOf("SwitchTraffic"));
    expect(states.indexOf("HomeWorkloadsReady")).toBeLessThan(states.indexOf("SwitchTrafficBack"));
    expect(states).toContain("ScaleWorkloadsBack");
    // What the drill waited for before DNS moved: the premium tenant's app at its primary's 2, ready.
    const ready = exitedOutput(arn, "UpWorkloadsReady") as {
      deployments: { subject: string; name: string; from: number; to: number }[];
      status: string;
    };
    expect(ready.deployments).toContainEqual({
      subject: "prime-bank",
      cluster: EKS_CLUSTER_NAME,
      namespace: "prime-bank",
      name: "app",
      from: 0,
      to: 2,
    });
    expect(ready.deployments.map((d) => d.subject)).not.toContain("steady-shop");
    expect(ready.status).toMatch(/^(\d+)\/\1 Deployments ready in us-west-2$/);
    // The premium tenant moved with the drill and came back; the standard one never moved.
    expect(deployment(EKS_CLUSTER_NAME, secondary, "prime-bank", "app")?.spec?.replicas).toBe(0);
    expect(deployment(EKS_CLUSTER_NAME, secondary, "steady-shop", "app")?.spec?.replicas).toBe(0);
    expect(deployment(EKS_CLUSTER_NAME, primary, "prime-bank", "app")?.spec?.replicas).toBe(2);
  }, 900_000);

  it("with the primary down: platform and tenants run their primary's replicas, ready, in the secondary", async () => {
    runtime.cloud.faults.regionDown(primary);
    await runUntil(
      runtime,
      () => executionsOf(runtime, "regional-failover").length >= 2,
      "alarm-started failover",
    );
    const arn = executionsOf(runtime, "regional-failover")[0]?.executionArn ?? "";
    const run = await finish(runtime, arn);
    expect(run.status, `${run.error} ${run.cause}`).toBe("SUCCEEDED");
    const states = statesOf(runtime, arn);
    expect(states.indexOf("UpWorkloadsReady")).toBeLessThan(states.indexOf("SwitchTraffic"));

    for (const [slug, replicas] of [
      ["prime-bank", 2],
      ["steady-shop", 3],
    ] as const) {
      const app = deployment(EKS_CLUSTER_NAME, secondary, slug, "app");
      expect({ slug, replicas: app?.spec?.replicas, ready: app?.status?.readyReplicas }).toEqual({
        slug,
        replicas,
        ready: replicas,
      });
      expect((await getTenant(slug))?.region).toBe(secondary);
    }
    for (const name of ["web-stable", "api-stable"]) {
      const platformApp = deployment(`cplane-${secondary}`, secondary, "shop", name);
      expect(platformApp?.status?.readyReplicas).toBe(platformApp?.spec?.replicas);
      expect(platformApp?.spec?.replicas).toBe(3);
    }
  }, 900_000);
});
