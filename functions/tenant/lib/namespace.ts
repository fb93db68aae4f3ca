/**
 * A tenant's place on the EKS cluster: its namespace and what goes in it (quota, limits, default-deny
 * network policy, RBAC, service account, ingress), the Pod Identity association of that service account
 * and the EKS access entry of the tenant's operators, scoped to the namespace.
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
import { createAwsClient } from "../../shared/aws-clients.ts";
import { optionalEnv, requireEnv } from "../../shared/env.ts";
import type { KubernetesClient, KubernetesObject, Manifest } from "../../shared/kubernetes.ts";
import type { Owner } from "./database.ts";
import { isAwsError, OperatorRoleNotReadyError, ResourceOwnedByAnotherTenantError } from "./errors.ts";
import {
  type OperatorRole,
  operatorRoleArnIfAny,
  operatorRoleOwnership,
  removeOperatorRole,
} from "./operator-role.ts";
import { TIERS, type Tier } from "./tiers.ts";

export const eks = createAwsClient(EKSClient);

export const LABEL_TENANT = "cplane.io/tenant";
export const LABEL_TIER = "cplane.io/tier";
export const ANNOTATION_CREATED_BY = "cplane.io/created-by";
export const SERVICE_ACCOUNT = "tenant-app";
export const OPERATOR_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

/** Deployment settings of the tenant cluster, from the function's environment. */
export function clusterSettings() {
  return {
    clusterName: requireEnv("EKS_CLUSTER_NAME"),
    domain: requireEnv("TENANT_DOMAIN"),
    appRoleArn: requireEnv("TENANT_APP_ROLE_ARN"),
    clusterArn: requireEnv("EKS_CLUSTER_ARN"),
    /** The paired region's tenant cluster (its DR space): operators may describe it too. */
    drClusterArn: optionalEnv("EKS_DR_CLUSTER_ARN", ""),
    operatorRoleArnPrefix: requireEnv("TENANT_OPERATOR_ROLE_ARN_PREFIX"),
    operatorBoundaryArn: requireEnv("TENANT_OPERATOR_BOUNDARY_ARN"),
    ingressNamespace: optionalEnv("INGRESS_NAMESPACE", "ingress-nginx"),
    ingressClass: optionalEnv("INGRESS_CLASS", "nginx"),
    certIssuer: optionalEnv("CERT_ISSUER", "letsencrypt"),
  };
}
export type ClusterSettings = ReturnType<typeof clusterSettings>;

export const operatorGroup = (slug: string) => `cplane:tenant:${slug}:operators`;

export interface NamespaceSpec {
  readonly slug: string;
  readonly tenantId: string;
  readonly tier: Tier;
  readonly createdBy: string;
}

export function namespaceManifest(spec: NamespaceSpec): Manifest {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: spec.slug,
      labels: { [LABEL_TENANT]: spec.slug, [LABEL_TIER]: spec.tier },
      annotations: { "cplane.io/tenant-id": spec.tenantId, [ANNOTATION_CREATED_BY]: spec.createdBy },
    },
  };
}

/** Everything inside the namespace, in the order it is applied. */
export function namespacedManifests(spec: NamespaceSpec, settings: ClusterSettings): Manifest[] {
  const profile = TIERS[spec.tier];
  const meta = (name: string) => ({
    name,
    namespace: spec.slug,
    labels: { [LABEL_TENANT]: spec.slug, [LABEL_TIER]: spec.tier },
  });
  const hostname = `${spec.slug}.${settings.domain}`;
  const quota = {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: meta("tenant-quota"),
    spec: {
      hard: {
        "requests.cpu": profile.quota.cpu,
        "limits.cpu": profile.quota.cpu,
        "requests.memory": profile.quota.memory,
        "limits.memory": profile.quota.memory,
        "requests.storage": profile.quota.storage,
        pods: profile.quota.pods,
      },
    },
  };
  const limits = {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: meta("tenant-limits"),
    spec: {
      limits: [
        { type: "Container", default: profile.defaultLimits, defaultRequest: profile.defaultRequests },
      ],
    },
  };
  const networkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta("default-deny-ingress"),
    spec: {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { podSelector: {} },
            {
              namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": settings.ingressNamespace },
              },
            },
          ],
        },
      ],
    },
  };
  const role = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: meta("tenant-operator"),
    rules: [
      {
        apiGroups: [""],
        resources: ["pods", "pods/log", "services", "configmaps", "events", "persistentvolumeclaims"],
        verbs: ["get", "list", "watch"],
      },
      {
        apiGroups: ["apps"],
        resources: ["deployments", "statefulsets", "replicasets"],
        verbs: ["get", "list", "watch", "patch"],
      },
      { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update", "patch"] },
    ],
  };
  const roleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta("tenant-operators"),
    subjects: [{ kind: "Group", name: operatorGroup(spec.slug), apiGroup: "rbac.authorization.k8s.io" }],
    roleRef: { kind: "Role", name: "tenant-operator", apiGroup: "rbac.authorization.k8s.io" },
  };
  const serviceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(SERVICE_ACCOUNT) };
  const ingress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { ...meta("tenant"), annotations: { "cert-manager.io/cluster-issuer": settings.certIssuer } },
    spec: {
      ingressClassName: settings.ingressClass,
      tls: [{ hosts: [hostname], secretName: `${spec.slug}-tls` }],
      rules: [
        {
          host: hostname,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: SERVICE_ACCOUNT, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
  return [quota, limits, networkPolicy, role, roleBinding, serviceAccount, ingress];
}

/** Throws unless the namespace (when it exists) is labelled for this tenant. */
export function assertNamespaceOwned(existing: KubernetesObject | undefined, slug: string): void {
  const owner = existing?.metadata?.labels?.[LABEL_TENANT];
  if (existing && owner !== slug) {
    throw new ResourceOwnedByAnotherTenantError(
      `namespace ${slug} exists and is labelled for tenant ${owner ?? "(none)"}; refusing to touch it`,
    );
  }
}

/** The Pod Identity associations of the tenant's namespace. */
export async function podIdentityAssociations(clusterName: string, namespace: string) {
  const { associations } = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName, namespace }));
  return associations ?? [];
}

export async function ensurePodIdentity(settings: ClusterSettings, spec: NamespaceSpec): Promise<string> {
  const existing = (await podIdentityAssociations(settings.clusterName, spec.slug)).find(
    (association) => association.serviceAccount === SERVICE_ACCOUNT,
  );
  if (existing?.associationId) return existing.associationId;
  const { association } = await eks.send(
    new CreatePodIdentityAssociationCommand({
      clusterName: settings.clusterName,
      namespace: spec.slug,
      serviceAccount: SERVICE_ACCOUNT,
      roleArn: settings.appRoleArn,
      tags: { "cplane:tenant": spec.slug, "cplane:tenant-id": spec.tenantId },
    }),
  );
  return association?.associationId ?? "";
}

/**
 * Gives the operator role (see operator-role.ts) an access entry whose access is scoped to the
 * namespace, on the tenant cluster `client` reaches (the home region's by default; the DR space's in
 * the paired region). True when this call created the entry.
 */
export async function ensureAccessEntry(
  settings: ClusterSettings,
  spec: NamespaceSpec,
  role: OperatorRole,
  client: EKSClient = eks,
): Promise<boolean> {
  const principalArn = role.arn;
  let created = true;
  const create = () =>
    client.send(
      new CreateAccessEntryCommand({
        clusterName: settings.clusterName,
        principalArn,
        kubernetesGroups: [operatorGroup(spec.slug)],
        type: "STANDARD",
        tags: { "cplane:tenant": spec.slug, "cplane:tenant-id": spec.tenantId },
      }),
    );
  try {
    await create();
  } catch (error) {
    if (isAwsError(error, "ResourceInUseException") && role.fresh) {
      // An entry left for an earlier role of this ARN: EKS keys entries by the role's unique id, so it
      // would not authenticate the role just made (EKS API reference, AccessEntry.principalArn).
      await client.send(new DeleteAccessEntryCommand({ clusterName: settings.clusterName, principalArn }));
      await create().catch((retry: unknown) => {
        throw notYetVisible(retry, role) ?? retry;
      });
    } else if (!isAwsError(error, "ResourceInUseException")) throw notYetVisible(error, role) ?? error;
    else created = false;
  }
  await client.send(
    new AssociateAccessPolicyCommand({
      clusterName: settings.clusterName,
      principalArn,
      policyArn: OPERATOR_POLICY_ARN,
      accessScope: { type: "namespace", namespaces: [spec.slug] },
    }),
  );
  return created;
}

/**
 * A role this execution made that EKS does not see yet: IAM is eventually consistent, and CreateAccessEntry
 * right after CreateRole is refused with InvalidParameterException until the role has propagated.
 */
function notYetVisible(error: unknown, role: OperatorRole): Error | undefined {
  if (!role.created || !isAwsError(error, "InvalidParameterException")) return undefined;
  return new OperatorRoleNotReadyError(
    `EKS does not see operator role ${role.arn} yet: ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}

/**
 * Removes the operators' access entry and role, then the Pod Identity associations and the namespace
 * (with all it holds). With `onlyIfCreatedBy`, the operators' access only if that execution made the role.
 */
export async function removeTenantNamespace(
  settings: ClusterSettings,
  kubernetes: KubernetesClient,
  owner: Owner,
  onlyIfCreatedBy?: string,
): Promise<string[]> {
  const { slug } = owner;
  const removed: string[] = [];
  const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: slug } };
  assertNamespaceOwned(await kubernetes.read(namespace), slug);
  removed.push(...(await removeOperatorAccess(settings, owner, onlyIfCreatedBy)));
  for (const association of await podIdentityAssociations(settings.clusterName, slug)) {
    if (!association.associationId) continue;
    await eks.send(
      new DeletePodIdentityAssociationCommand({
        clusterName: settings.clusterName,
        associationId: association.associationId,
      }),
    );
    removed.push(`pod-identity:${association.associationId}`);
  }
  if (await kubernetes.delete(namespace)) removed.push(`namespace:${slug}`);
  return removed;
}

/**
 * Deletes the access entry of `principalArn` on the cluster `client` reaches, when it is tagged for
 * the tenant `slug` (another tenant's is left alone); true when this call deleted it.
 */
export async function removeAccessEntry(
  client: EKSClient,
  clusterName: string,
  principalArn: string,
  slug: string,
): Promise<boolean> {
  const entry = await client
    .send(new DescribeAccessEntryCommand({ clusterName, principalArn }))
    .then((out) => out.accessEntry)
    .catch((error: unknown) => {
      if (isAwsError(error, "ResourceNotFoundException")) return undefined;
      throw error;
    });
  if (entry?.tags?.["cplane:tenant"] !== slug) return false;
  return client.send(new DeleteAccessEntryCommand({ clusterName, principalArn })).then(
    () => true,
    (error: unknown) => {
      if (isAwsError(error, "ResourceNotFoundException")) return false;
      throw error;
    },
  );
}

/**
 * Removes the operators' access entry, then the role it names (AWS: delete the entry of a principal you
 * delete, since a recreated role with the same ARN would not match it). Only this tenant's: an entry or
 * role tagged for another tenant is left alone. With `onlyIfCreatedBy`, only when that execution created
 * the role (compensation). A deployment whose role names cannot be formed made no role: nothing to remove.
 */
export async function removeOperatorAccess(
  settings: ClusterSettings,
  owner: Owner,
  onlyIfCreatedBy?: string,
): Promise<string[]> {
  const principalArn = operatorRoleArnIfAny(settings, owner.slug);
  if (!principalArn) return [];
  const role = await operatorRoleOwnership(settings, owner);
  if (role.state === "another tenant's") return [];
  if (onlyIfCreatedBy !== undefined && !(role.state === "ours" && role.createdBy === onlyIfCreatedBy))
    return [];
  const removed: string[] = [];
  if (await removeAccessEntry(eks, settings.clusterName, principalArn, owner.slug))
    removed.push("access-entry");
  if (role.state === "ours" && (await removeOperatorRole(settings, owner)))
    removed.push(`operator-role:${principalArn}`);
  return removed;
}
