/**
 * A tenant's DR space (lib/dr-space.ts) and the failover's Deployments (lib/workloads.ts), with the
 * exact AWS inputs they send and a Kubernetes API held in memory: the namespace and its objects in the
 * paired region, the Pod Identity association there, the secret replicated by Secrets Manager (never
 * read), what removal takes away and what compensation leaves; the mirror at zero, the scale-up to the
 * primary's replicas (live or recorded), readiness.
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  CreatePodIdentityAssociationCommand,
  DeleteAccessEntryCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAccessEntryCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
} from "@aws-sdk/client-eks";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ensureDrSpace, removeDrSpace } from "../../../functions/failover/lib/dr-space.ts";
import {
  isReady,
  mirrorDeployments,
  scaleBack,
  scaleUp,
  tenantSet,
} from "../../../functions/failover/lib/workloads.ts";
import type { KubernetesClient, KubernetesObject, Manifest } from "../../../functions/shared/kubernetes.ts";
import { clusterSettings } from "../../../functions/tenant/lib/namespace.ts";
import {
  APP_ROLE_ARN,
  CLUSTER,
  EXECUTION,
  OPERATOR_ROLE_ARN,
  OTHER_EXECUTION,
  operatorRole,
  setTenantEnvironment,
  TENANT_ID,
} from "../tenant/support.ts";

const eks = mockClient(EKSClient);
const secrets = mockClient(SecretsManagerClient);
const iam = mockClient(IAMClient);
const SECRET = "cplane/tenants/acme/db";
const regions = { home: "us-east-1", dr: "us-west-2" };
const DRILL = "arn:aws:states:us-east-1:123456789012:execution:cplane-test-regional-failover:drill-1";
const owner = { slug: "acme", tenantId: TENANT_ID, executionArn: EXECUTION, tier: "standard" as const };

/** A Kubernetes API in memory: apply replaces, read and delete by kind/namespace/name, list by namespace. */
function memoryKubernetes(seed: Manifest[] = []): KubernetesClient & { objects: Map<string, Manifest> } {
  const key = (o: KubernetesObject) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
  const objects = new Map(seed.map((o) => [key(o), structuredClone(o)]));
  return {
    objects,
    apply: async (manifest) => {
      objects.set(key(manifest), structuredClone(manifest));
      return manifest;
    },
    read: async (ref) => objects.get(key(ref)),
    delete: async (ref) => objects.delete(key(ref)),
    list: async (_apiVersion, kind, namespace) =>
      [...objects.values()].filter((o) => o.kind === kind && o.metadata?.namespace === namespace),
  };
}

const deployment = (
  namespace: string,
  name: string,
  replicas: number,
  annotations?: Record<string, string>,
): Manifest => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
  spec: { replicas, template: { spec: { containers: [{ name, image: `${name}:1` }] } } },
  status: { readyReplicas: replicas, updatedReplicas: replicas },
});

beforeEach(() => {
  eks.reset();
  secrets.reset();
  iam.reset();
  iam.on(GetRoleCommand).rejects(Object.assign(new Error("no role"), { name: "NoSuchEntityException" }));
  setTenantEnvironment();
  process.env.AWS_REGION = "us-east-1";
});

describe("ensureDrSpace", () => {
  it("makes the namespace and its objects, the Pod Identity association, the operators' access and the secret's replica, and says so", async () => {
    // Prepare: onboarding's namespace step made the operators' role at home.
    const kubernetes = memoryKubernetes();
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(EXECUTION) });
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    eks.on(CreatePodIdentityAssociationCommand).resolves({ association: { associationId: "a-1" } });
    eks.on(CreateAccessEntryCommand).resolves({});
    eks.on(AssociateAccessPolicyCommand).resolves({});
    secrets.on(DescribeSecretCommand).resolves({ Name: SECRET, ReplicationStatus: [] });
    secrets.on(ReplicateSecretToRegionsCommand).resolves({});

    // Act
    const created = await ensureDrSpace(kubernetes, clusterSettings(), owner, regions);

    // Assess
    expect(created).toEqual([
      "namespace:us-west-2/acme",
      "pod-identity:us-west-2/a-1",
      `access-entry:us-west-2/${OPERATOR_ROLE_ARN}`,
      `secret-replica:us-west-2/${SECRET}`,
    ]);
    // The same entry as at home: the operators' group, the view policy on the namespace only.
    expect(eks.commandCalls(CreateAccessEntryCommand).map((c) => c.args[0].input)).toEqual([
      {
        clusterName: CLUSTER,
        principalArn: OPERATOR_ROLE_ARN,
        kubernetesGroups: ["cplane:tenant:acme:operators"],
        type: "STANDARD",
        tags: { "cplane:tenant": "acme", "cplane:tenant-id": TENANT_ID },
      },
    ]);
    expect(eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input)).toEqual([
      {
        clusterName: CLUSTER,
        principalArn: OPERATOR_ROLE_ARN,
        policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        accessScope: { type: "namespace", namespaces: ["acme"] },
      },
    ]);
    expect([...kubernetes.objects.keys()].sort()).toEqual([
      "Ingress/acme/tenant",
      "LimitRange/acme/tenant-limits",
      "Namespace//acme",
      "NetworkPolicy/acme/default-deny-ingress",
      "ResourceQuota/acme/tenant-quota",
      "Role/acme/tenant-operator",
      "RoleBinding/acme/tenant-operators",
      "ServiceAccount/acme/tenant-app",
    ]);
    expect(kubernetes.objects.get("Namespace//acme")?.metadata?.annotations?.["cplane.io/created-by"]).toBe(
      EXECUTION,
    );
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand).map((c) => c.args[0].input)).toEqual([
      {
        clusterName: CLUSTER,
        namespace: "acme",
        serviceAccount: "tenant-app",
        roleArn: APP_ROLE_ARN,
        tags: { "cplane:tenant": "acme", "cplane:tenant-id": TENANT_ID },
      },
    ]);
    expect(secrets.commandCalls(ReplicateSecretToRegionsCommand).map((c) => c.args[0].input)).toEqual([
      {
        SecretId: SECRET,
        AddReplicaRegions: [{ Region: "us-west-2" }],
      },
    ]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    // EKS is asked in the paired region, Secrets Manager at home (where the primary secret is).
    expect(await (eks.call(0).thisValue as EKSClient).config.region()).toBe("us-west-2");
    expect(await (secrets.call(0).thisValue as SecretsManagerClient).config.region()).toBe("us-east-1");
  });

  it("adopts what exists: keeps the namespace's maker, replicates nothing already replicated", async () => {
    const kubernetes = memoryKubernetes([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "acme",
          labels: { "cplane.io/tenant": "acme" },
          annotations: { "cplane.io/created-by": OTHER_EXECUTION },
        },
      },
    ]);
    eks
      .on(ListPodIdentityAssociationsCommand)
      .resolves({ associations: [{ serviceAccount: "tenant-app", associationId: "a-0" }] });
    secrets
      .on(DescribeSecretCommand)
      .resolves({ Name: SECRET, ReplicationStatus: [{ Region: "us-west-2", Status: "InSync" }] });
    // An earlier run made the role and its entry there: adopted, not replaced.
    iam.on(GetRoleCommand).resolves({ Role: operatorRole(OTHER_EXECUTION) });
    eks
      .on(CreateAccessEntryCommand)
      .rejects(Object.assign(new Error("exists"), { name: "ResourceInUseException" }));
    eks.on(AssociateAccessPolicyCommand).resolves({});

    expect(await ensureDrSpace(kubernetes, clusterSettings(), owner, regions)).toEqual([]);
    expect(eks.commandCalls(DeleteAccessEntryCommand)).toHaveLength(0);
    expect(kubernetes.objects.get("Namespace//acme")?.metadata?.annotations?.["cplane.io/created-by"]).toBe(
      OTHER_EXECUTION,
    );
    expect(eks.commandCalls(CreatePodIdentityAssociationCommand)).toHaveLength(0);
    expect(secrets.commandCalls(ReplicateSecretToRegionsCommand)).toHaveLength(0);
  });

  it("refuses a namespace there labelled for another tenant, and a secret that is not at home", async () => {
    const taken = memoryKubernetes([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "acme", labels: { "cplane.io/tenant": "other" } },
      },
    ]);
    await expect(ensureDrSpace(taken, clusterSettings(), owner, regions)).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });
    expect(taken.objects.size).toBe(1);

    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [] });
    eks.on(CreatePodIdentityAssociationCommand).resolves({ association: { associationId: "a-1" } });
    secrets
      .on(DescribeSecretCommand)
      .rejects(Object.assign(new Error("no"), { name: "ResourceNotFoundException" }));
    await expect(ensureDrSpace(memoryKubernetes(), clusterSettings(), owner, regions)).rejects.toMatchObject({
      name: "DrSecretMissingError",
    });
  });
});

describe("removeDrSpace", () => {
  const made = (by: string) =>
    memoryKubernetes([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "acme",
          labels: { "cplane.io/tenant": "acme" },
          annotations: { "cplane.io/created-by": by },
        },
      },
    ]);

  it("removes the operators' access, the association, the namespace and the replica (offboarding)", async () => {
    const kubernetes = made(OTHER_EXECUTION);
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { tags: { "cplane:tenant": "acme" } } });
    eks.on(DeleteAccessEntryCommand).resolves({});
    eks.on(ListPodIdentityAssociationsCommand).resolves({ associations: [{ associationId: "a-1" }] });
    eks.on(DeletePodIdentityAssociationCommand).resolves({});
    secrets.on(DescribeSecretCommand).resolves({
      Name: SECRET,
      Tags: [{ Key: "cplane:execution", Value: OTHER_EXECUTION }],
      ReplicationStatus: [{ Region: "us-west-2", Status: "InSync" }],
    });
    secrets.on(RemoveRegionsFromReplicationCommand).resolves({});

    const removed = await removeDrSpace(kubernetes, CLUSTER, owner, regions);

    expect(removed).toEqual([
      `access-entry:us-west-2/${OPERATOR_ROLE_ARN}`,
      "pod-identity:us-west-2/a-1",
      "namespace:us-west-2/acme",
      `secret-replica:us-west-2/${SECRET}`,
    ]);
    expect(kubernetes.objects.size).toBe(0);
    expect(eks.commandCalls(DeletePodIdentityAssociationCommand).map((c) => c.args[0].input)).toEqual([
      {
        clusterName: CLUSTER,
        associationId: "a-1",
      },
    ]);
    expect(secrets.commandCalls(RemoveRegionsFromReplicationCommand).map((c) => c.args[0].input)).toEqual([
      {
        SecretId: SECRET,
        RemoveReplicaRegions: ["us-west-2"],
      },
    ]);
  });

  it("in compensation, leaves what another execution made", async () => {
    const kubernetes = made(OTHER_EXECUTION);
    secrets.on(DescribeSecretCommand).resolves({
      Name: SECRET,
      Tags: [{ Key: "cplane:execution", Value: OTHER_EXECUTION }],
      ReplicationStatus: [{ Region: "us-west-2", Status: "InSync" }],
    });

    expect(await removeDrSpace(kubernetes, CLUSTER, owner, regions, EXECUTION)).toEqual([]);
    expect(kubernetes.objects.size).toBe(1);
    expect(secrets.commandCalls(RemoveRegionsFromReplicationCommand)).toHaveLength(0);
  });
});

describe("the failover's Deployments", () => {
  it("are mirrored to the standby at zero with the serving replicas recorded; a mirror follows the template", async () => {
    const source = memoryKubernetes([deployment("acme", "app", 3)]);
    const target = memoryKubernetes();

    const first = await mirrorDeployments(source, target, tenantSet("acme"), "us-east-1");
    await source.apply({
      ...deployment("acme", "app", 5),
      spec: { replicas: 5, template: { spec: { containers: [{ name: "app", image: "app:2" }] } } },
    });
    await mirrorDeployments(source, target, tenantSet("acme"), "us-east-1");

    expect(first.created).toEqual(["acme/app"]);
    const mirror = target.objects.get("Deployment/acme/app") as Manifest & {
      spec: { replicas: number; template: unknown };
    };
    expect(mirror.spec.replicas).toBe(0);
    expect(mirror.metadata?.annotations).toEqual({
      "cplane.io/dr-replicas": "5",
      "cplane.io/mirror-of": "us-east-1",
    });
    expect(JSON.stringify(mirror.spec.template)).toContain("app:2");
    expect(mirror).not.toHaveProperty("status");
  });

  it("are scaled up to the primary's replicas, read there, or recorded when it does not answer; never down", async () => {
    const target = memoryKubernetes([
      deployment("acme", "app", 0, { "cplane.io/dr-replicas": "4" }),
      deployment("acme", "worker", 6, { "cplane.io/dr-replicas": "2" }),
    ]);
    const down = async (): Promise<KubernetesClient> => {
      throw Object.assign(new Error("Kubernetes could not list"), {
        name: "TransientError",
        cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      });
    };

    const recorded = await scaleUp(target, down, tenantSet("acme"), CLUSTER, DRILL);
    expect(recorded).toEqual([
      { subject: "acme", cluster: CLUSTER, namespace: "acme", name: "app", from: 0, to: 4 },
      { subject: "acme", cluster: CLUSTER, namespace: "acme", name: "worker", from: 6, to: 6 },
    ]);
    const live = memoryKubernetes([deployment("acme", "app", 7)]);
    const read = await scaleUp(target, async () => live, tenantSet("acme"), CLUSTER, DRILL);
    expect(read[0]).toMatchObject({ name: "app", from: 4, to: 7 });
    expect((target.objects.get("Deployment/acme/app") as { spec: { replicas: number } }).spec.replicas).toBe(
      7,
    );
  });

  it("go back to their size before the run that scaled them, read from their marks, and no other run's", async () => {
    // Prepare: a drill scaled app up twice (a retry after the primary answered with more), not worker.
    const target = memoryKubernetes([
      deployment("acme", "app", 0, { "cplane.io/dr-replicas": "4" }),
      deployment("acme", "worker", 6, { "cplane.io/dr-replicas": "2" }),
    ]);
    await scaleUp(target, undefined, tenantSet("acme"), CLUSTER, DRILL);
    await scaleUp(
      target,
      async () => memoryKubernetes([deployment("acme", "app", 7)]),
      tenantSet("acme"),
      CLUSTER,
      DRILL,
    );

    // Act
    const other = await scaleBack(target, tenantSet("acme"), CLUSTER, `${DRILL}-other`);
    const back = await scaleBack(target, tenantSet("acme"), CLUSTER, DRILL);

    // Assess
    expect(other).toEqual([]);
    expect(back).toEqual([
      { subject: "acme", cluster: CLUSTER, namespace: "acme", name: "app", from: 7, to: 0 },
    ]);
    const app = target.objects.get("Deployment/acme/app") as unknown as KubernetesObject & {
      spec: { replicas: number };
    };
    expect(app.spec.replicas).toBe(0);
    expect(app.metadata?.annotations).toEqual({ "cplane.io/dr-replicas": "4" });
    expect(await scaleBack(target, tenantSet("acme"), CLUSTER, DRILL)).toEqual([]);
  });

  it("are ready when the ready replicas of the current spec are the wanted ones", () => {
    const at = (replicas: number, ready: number, generation = 2, observed = 2): KubernetesObject =>
      ({
        kind: "Deployment",
        metadata: { name: "app", generation },
        spec: { replicas },
        status: { readyReplicas: ready, updatedReplicas: ready, observedGeneration: observed },
      }) as KubernetesObject;
    expect(isReady(at(3, 3), 3)).toBe(true);
    expect(isReady(at(3, 2), 3)).toBe(false);
    expect(isReady(at(3, 3, 3, 2), 3)).toBe(false);
    expect(isReady(at(2, 3), 3)).toBe(false);
    expect(isReady(at(0, 0), 0)).toBe(true);
    expect(isReady(undefined, 0)).toBe(false);
  });
});
