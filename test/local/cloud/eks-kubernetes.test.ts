import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  CreateClusterCommand,
  CreateNodegroupCommand,
  CreatePodIdentityAssociationCommand,
  DeleteClusterCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  EKSClient,
  ListAssociatedAccessPoliciesCommand,
  UpdateNodegroupConfigCommand,
} from "@aws-sdk/client-eks";
import * as k8s from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { Clock } from "../../../local/clock/clock.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createRole, startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud;
let clock: Clock;
const eks = () => createAwsClient(EKSClient, { region: "us-east-1" });
const ROLE = "arn:aws:iam::123456789012:role/eks-cluster";
const VPC = { subnetIds: ["subnet-1", "subnet-2"] };

beforeEach(() => {
  ({ cloud, clock } = startCloud());
});
afterEach(async () => {
  await stopCloud(cloud);
});

async function activeCluster(name: string) {
  await eks().send(
    new CreateClusterCommand({
      name,
      roleArn: ROLE,
      version: "1.31",
      resourcesVpcConfig: { subnetIds: ["subnet-1"] },
    }),
  );
  const took = await waitUntil(
    clock,
    async () => (await eks().send(new DescribeClusterCommand({ name }))).cluster?.status === "ACTIVE",
  );
  const { cluster } = await eks().send(new DescribeClusterCommand({ name }));
  return { cluster, took };
}

/** A client configured the way the handlers' factory does: endpoint and CA from DescribeCluster, an EKS token. */
function kubeConfig(
  server: string,
  ca: string,
  token = "k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8",
): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, caData: ca, skipTLSVerify: false }],
    users: [{ name: "u", token }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

describe("EKS clusters", () => {
  it("becomes ACTIVE after about ten simulated minutes and only then reports its endpoint and CA", async () => {
    const created = await eks().send(
      new CreateClusterCommand({ name: "platform", roleArn: ROLE, resourcesVpcConfig: VPC }),
    );
    expect(created.cluster?.status).toBe("CREATING");
    expect(created.cluster?.endpoint).toBeUndefined();

    const { cluster, took } = await (async () => {
      const took = await waitUntil(
        clock,
        async () =>
          (await eks().send(new DescribeClusterCommand({ name: "platform" }))).cluster?.status === "ACTIVE",
      );
      return { cluster: (await eks().send(new DescribeClusterCommand({ name: "platform" }))).cluster, took };
    })();

    expect(took).toBeGreaterThanOrEqual(10 * 60_000);
    expect(cluster?.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(Buffer.from(cluster?.certificateAuthority?.data ?? "", "base64").toString()).toContain(
      "BEGIN CERTIFICATE",
    );
  });

  it("refuses a second cluster with the same name and a missing one with AWS's errors", async () => {
    await eks().send(new CreateClusterCommand({ name: "platform", roleArn: ROLE, resourcesVpcConfig: VPC }));
    await expect(
      eks().send(new CreateClusterCommand({ name: "platform", roleArn: ROLE, resourcesVpcConfig: VPC })),
    ).rejects.toMatchObject({ name: "ResourceInUseException", $fault: "client" });
    await expect(eks().send(new DescribeClusterCommand({ name: "nope" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("scales a node group one node at a time and marks the update Successful", async () => {
    await activeCluster("platform");
    await eks().send(
      new CreateNodegroupCommand({
        clusterName: "platform",
        nodegroupName: "general",
        nodeRole: ROLE,
        subnets: VPC.subnetIds,
        scalingConfig: { minSize: 1, maxSize: 10, desiredSize: 2 },
      }),
    );
    await waitUntil(
      clock,
      async () =>
        (
          await eks().send(
            new DescribeNodegroupCommand({ clusterName: "platform", nodegroupName: "general" }),
          )
        ).nodegroup?.status === "ACTIVE",
    );

    const { update } = await eks().send(
      new UpdateNodegroupConfigCommand({
        clusterName: "platform",
        nodegroupName: "general",
        scalingConfig: { desiredSize: 6 },
      }),
    );
    const took = await waitUntil(
      clock,
      async () =>
        (
          await eks().send(
            new DescribeUpdateCommand({ name: "platform", nodegroupName: "general", updateId: update?.id }),
          )
        ).update?.status === "Successful",
      { everyMs: 10_000 },
    );

    expect(took).toBeGreaterThanOrEqual(4 * cloud.durations.nodeScaleStep);
    expect(cloud.eks.nodegroupsOf("us-east-1")).toEqual([
      { cluster: "platform", name: "general", status: "ACTIVE", nodes: 6, desired: 6 },
    ]);
    await expect(eks().send(new DeleteClusterCommand({ name: "platform" }))).rejects.toMatchObject({
      name: "ResourceInUseException",
    });
  });

  it("keeps access entries with their policies and pod identity associations", async () => {
    await activeCluster("platform");
    const principalArn = "arn:aws:iam::123456789012:role/tenant-acme-deployer";
    // "An access entry includes the ARN of one, and only one, existing IAM principal" (EKS User Guide).
    await expect(
      eks().send(new CreateAccessEntryCommand({ clusterName: "platform", principalArn })),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
    expect(await createRole("tenant-acme-deployer")).toBe(principalArn);
    await eks().send(
      new CreateAccessEntryCommand({
        clusterName: "platform",
        principalArn,
        kubernetesGroups: ["tenant-acme"],
      }),
    );
    await eks().send(
      new AssociateAccessPolicyCommand({
        clusterName: "platform",
        principalArn,
        policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        accessScope: { type: "namespace", namespaces: ["tenant-acme"] },
      }),
    );
    const policies = await eks().send(
      new ListAssociatedAccessPoliciesCommand({ clusterName: "platform", principalArn }),
    );
    const association = await eks().send(
      new CreatePodIdentityAssociationCommand({
        clusterName: "platform",
        namespace: "tenant-acme",
        serviceAccount: "app",
        roleArn: "arn:aws:iam::123456789012:role/tenant-acme-app",
      }),
    );

    expect(policies.associatedAccessPolicies?.[0]?.accessScope).toEqual({
      type: "namespace",
      namespaces: ["tenant-acme"],
    });
    expect(association.association?.associationId).toMatch(/^a-/);
    await expect(
      eks().send(new CreateAccessEntryCommand({ clusterName: "platform", principalArn })),
    ).rejects.toMatchObject({ name: "ResourceInUseException" });
    await expect(
      eks().send(
        new CreatePodIdentityAssociationCommand({
          clusterName: "platform",
          namespace: "tenant-acme",
          serviceAccount: "app",
          roleArn: "arn:aws:iam::123456789012:role/x",
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceInUseException" });
  });
});

describe("the loopback Kubernetes API, through @kubernetes/client-node", () => {
  it("stops answering while its region is down", async () => {
    const { cluster } = await activeCluster("platform");
    const core = kubeConfig(cluster?.endpoint ?? "", cluster?.certificateAuthority?.data ?? "").makeApiClient(
      k8s.CoreV1Api,
    );
    cloud.faults.regionDown("us-east-1");
    await expect(core.listNamespace()).rejects.toThrow();
    cloud.faults.regionUp("us-east-1");
    expect((await core.listNamespace()).items.length).toBeGreaterThan(0);
  });

  it("rejects requests without an EKS bearer token", async () => {
    const { cluster } = await activeCluster("platform");
    const core = kubeConfig(
      cluster?.endpoint ?? "",
      cluster?.certificateAuthority?.data ?? "",
      "",
    ).makeApiClient(k8s.CoreV1Api);
    await expect(core.listNamespace()).rejects.toMatchObject({ code: 401 });
  });

  it("creates a tenant namespace with quota, limits, policy, RBAC and ingress, and lists them", async () => {
    const { cluster } = await activeCluster("platform");
    const kc = kubeConfig(cluster?.endpoint ?? "", cluster?.certificateAuthority?.data ?? "");
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const net = kc.makeApiClient(k8s.NetworkingV1Api);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);

    await core.createNamespace({ body: { metadata: { name: "tenant-acme", labels: { tier: "premium" } } } });
    await core.createNamespacedResourceQuota({
      namespace: "tenant-acme",
      body: {
        metadata: { name: "quota" },
        spec: { hard: { "requests.cpu": "8", "requests.memory": "16Gi" } },
      },
    });
    await core.createNamespacedLimitRange({
      namespace: "tenant-acme",
      body: {
        metadata: { name: "limits" },
        spec: { limits: [{ type: "Container", _default: { cpu: "500m" } }] },
      },
    });
    await core.createNamespacedServiceAccount({
      namespace: "tenant-acme",
      body: { metadata: { name: "app" } },
    });
    await net.createNamespacedNetworkPolicy({
      namespace: "tenant-acme",
      body: { metadata: { name: "isolate" }, spec: { podSelector: {}, policyTypes: ["Ingress"] } },
    });
    await rbac.createNamespacedRole({
      namespace: "tenant-acme",
      body: {
        metadata: { name: "editor" },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: "tenant-acme",
      body: {
        metadata: { name: "editor" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "editor" },
        subjects: [{ kind: "Group", name: "tenant-acme", apiGroup: "rbac.authorization.k8s.io" }],
      },
    });
    await net.createNamespacedIngress({
      namespace: "tenant-acme",
      body: { metadata: { name: "web" }, spec: { rules: [{ host: "acme.example.com" }] } },
    });

    const namespaces = await core.listNamespace({ labelSelector: "tier=premium" });
    const quota = await core.readNamespacedResourceQuota({ name: "quota", namespace: "tenant-acme" });
    const limits = await core.readNamespacedLimitRange({ name: "limits", namespace: "tenant-acme" });
    const ingresses = await net.listNamespacedIngress({ namespace: "tenant-acme" });

    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(["tenant-acme"]);
    expect(namespaces.items[0]?.status?.phase).toBe("Active");
    expect(quota.spec?.hard?.["requests.cpu"]).toBe("8");
    expect(limits.spec?.limits[0]?._default?.cpu).toBe("500m");
    expect(ingresses.items[0]?.spec?.rules?.[0]?.host).toBe("acme.example.com");
    await expect(core.createNamespace({ body: { metadata: { name: "tenant-acme" } } })).rejects.toMatchObject(
      { code: 409 },
    );
    await expect(
      core.readNamespacedServiceAccount({ name: "missing", namespace: "tenant-acme" }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it("deleting a namespace terminates it and takes its objects with it", async () => {
    const { cluster } = await activeCluster("platform");
    const core = kubeConfig(cluster?.endpoint ?? "", cluster?.certificateAuthority?.data ?? "").makeApiClient(
      k8s.CoreV1Api,
    );
    await core.createNamespace({ body: { metadata: { name: "tenant-gone" } } });
    await core.createNamespacedServiceAccount({
      namespace: "tenant-gone",
      body: { metadata: { name: "app" } },
    });

    // Tracked, as the engine tracks a handler: the instant clock does not jump while the calls run.
    const { deleting, during, late } = await clock.track(
      (async () => ({
        deleting: await core.deleteNamespace({ name: "tenant-gone" }),
        during: await core.readNamespace({ name: "tenant-gone" }),
        late: await core
          .createNamespacedServiceAccount({ namespace: "tenant-gone", body: { metadata: { name: "late" } } })
          .catch((e: unknown) => e),
      }))(),
    );
    expect(late).toMatchObject({ code: 403 });
    await clock.sleep(cloud.durations.namespaceTermination + 1);

    expect(deleting).toBeDefined();
    expect(during.status?.phase).toBe("Terminating");
    await expect(core.readNamespace({ name: "tenant-gone" })).rejects.toMatchObject({ code: 404 });
    expect(cloud.eks.kubernetes("platform")?.list("ServiceAccount", "tenant-gone")).toEqual([]);
  });

  it("rolls a Deployment out pod by pod and replaces with resourceVersion checks", async () => {
    const { cluster } = await activeCluster("platform");
    const kc = kubeConfig(cluster?.endpoint ?? "", cluster?.certificateAuthority?.data ?? "");
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: "shop" } } });
    const deployment: k8s.V1Deployment = {
      metadata: { name: "web", labels: { app: "web" } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "shop/web:1.0.0" }] },
        },
      },
    };
    const created = await apps.createNamespacedDeployment({ namespace: "shop", body: deployment });
    expect(created.status?.readyReplicas ?? 0).toBe(0);

    const took = await waitUntil(
      clock,
      async () =>
        (await apps.readNamespacedDeployment({ name: "web", namespace: "shop" })).status?.readyReplicas === 3,
      { everyMs: 5_000 },
    );
    const ready = await apps.readNamespacedDeployment({ name: "web", namespace: "shop" });
    expect(took).toBeGreaterThanOrEqual(3 * cloud.durations.podReady);
    expect(ready.status?.conditions?.find((c) => c.type === "Available")?.status).toBe("True");

    const stale = { ...ready, metadata: { ...ready.metadata, resourceVersion: "1" } };
    await expect(
      apps.replaceNamespacedDeployment({ name: "web", namespace: "shop", body: stale }),
    ).rejects.toMatchObject({ code: 409 });
    const bumped = await apps.replaceNamespacedDeployment({
      name: "web",
      namespace: "shop",
      body: {
        ...ready,
        spec: {
          ...ready.spec,
          replicas: 3,
          selector: ready.spec?.selector ?? {},
          template: {
            ...ready.spec?.template,
            spec: { containers: [{ name: "web", image: "shop/web:1.1.0" }] },
          },
        },
      },
    });
    expect(bumped.metadata?.generation).toBe(2);
    expect(bumped.status?.updatedReplicas).toBe(0);
  });

  it("never finishes a rollout of a broken image and reports ProgressDeadlineExceeded", async () => {
    const { cluster } = await activeCluster("platform");
    cloud.eks.brokenImages.add(":broken");
    const kc = kubeConfig(cluster?.endpoint ?? "", cluster?.certificateAuthority?.data ?? "");
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: "shop" } } });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: "shop",
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 2,
          progressDeadlineSeconds: 120,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "web", image: "shop/web:broken" }] },
          },
        },
      },
    });

    await clock.sleep(121_000);
    const read = await apps.readNamespacedDeployment({ name: "web", namespace: "shop" });

    expect(read.status?.readyReplicas).toBe(0);
    expect(read.status?.conditions?.find((c) => c.type === "Progressing")?.reason).toBe(
      "ProgressDeadlineExceeded",
    );
  });

  it("serves server-side apply and merge patch for Istio routes through KubernetesObjectApi", async () => {
    const { cluster } = await activeCluster("platform");
    const kc = kubeConfig(cluster?.endpoint ?? "", cluster?.certificateAuthority?.data ?? "");
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: "shop" } } });
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const vs = (stable: number, canary: number) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        hosts: ["web"],
        http: [
          {
            route: [
              { destination: { host: "web", subset: "stable" }, weight: stable },
              { destination: { host: "web", subset: "canary" }, weight: canary },
            ],
          },
        ],
      },
    });

    const created = await objects.patch(
      vs(90, 10),
      undefined,
      undefined,
      "canary-controller",
      false,
      k8s.PatchStrategy.ServerSideApply,
    );
    const applied = await objects.patch(
      vs(75, 25),
      undefined,
      undefined,
      "canary-controller",
      false,
      k8s.PatchStrategy.ServerSideApply,
    );
    const conflict = objects.patch(
      vs(0, 100),
      undefined,
      undefined,
      "someone-else",
      false,
      k8s.PatchStrategy.ServerSideApply,
    );
    await expect(conflict).rejects.toMatchObject({ code: 409 });
    const forced = await objects.patch(
      vs(50, 50),
      undefined,
      undefined,
      "someone-else",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    const merged = await objects.patch(
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "web", namespace: "shop", labels: { team: "shop" } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    const read = await objects.read({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "web", namespace: "shop" },
    });

    expect(Number((applied as k8s.KubernetesObject).metadata?.resourceVersion)).toBeGreaterThan(
      Number((created as k8s.KubernetesObject).metadata?.resourceVersion),
    );
    expect(forced).toBeDefined();
    expect(merged.metadata?.labels).toEqual({ team: "shop" });
    expect(
      (read as unknown as { spec: { http: { route: { weight: number }[] }[] } }).spec.http[0]?.route.map(
        (r) => r.weight,
      ),
    ).toEqual([50, 50]);
    await objects.delete({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "web", namespace: "shop" },
    });
    await expect(
      objects.read({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "web", namespace: "shop" },
      }),
    ).rejects.toMatchObject({ code: 404 });
  });
});
