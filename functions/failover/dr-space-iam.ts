/**
 * IAM of the steps that make or take away a tenant's DR space in the paired region (lib/dr-space.ts):
 * onboarding's DR step, offboarding's, and onboarding's compensation. Self-contained (the tenant catalog
 * imports it, and it imports no catalog). The tenant cluster and its Pod Identity associations by the
 * deployment's name, the app role passed only to EKS Pod Identity, the app secrets' replication only
 * to the paired region.
 */
import type { IamStatement, KubernetesAccess } from "../shared/catalog.ts";

const TENANT_CLUSTER = "${app}-${stage}-tenants";
const DR_EKS = "arn:${partition}:eks:${drRegion}:${account}";
const DR_CLUSTER = `${DR_EKS}:cluster/${TENANT_CLUSTER}`;
const DR_ASSOCIATIONS = `${DR_EKS}:podidentityassociation/${TENANT_CLUSTER}/*`;
const DR_ACCESS_ENTRIES = `${DR_EKS}:access-entry/${TENANT_CLUSTER}/*`;
/** The tenants' operator roles (tenant/catalog.ts), made at home by onboarding's namespace step. */
const OPERATOR_ROLES = "arn:${partition}:iam::${account}:role/${app}-${stage}-tenant-*-operators";
const APP_SECRETS = "arn:${partition}:secretsmanager:${region}:${account}:secret:cplane/tenants/*";

/** Cluster admin on the paired region's tenant cluster, for the reason the namespace steps have it at home. */
export const DR_TENANT_CLUSTER_ADMIN: KubernetesAccess = {
  cluster: TENANT_CLUSTER,
  regions: ["${drRegion}"],
  accessPolicy: "arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
  reason:
    "makes and removes the tenant's namespace, quota, limit range, network policy and RBAC in the paired region; granting a Role needs the permissions it grants",
};

export const drSpaceCreation: IamStatement[] = [
  {
    actions: ["eks:DescribeCluster", "eks:ListPodIdentityAssociations", "eks:CreatePodIdentityAssociation"],
    resources: [DR_CLUSTER],
  },
  { actions: ["eks:TagResource"], resources: [DR_CLUSTER, DR_ASSOCIATIONS, DR_ACCESS_ENTRIES] },
  // The operators' access entry there, as at home: only for operator roles, only the view policy, only
  // on the tenant's namespace.
  { actions: ["iam:GetRole"], resources: [OPERATOR_ROLES] },
  {
    actions: ["eks:CreateAccessEntry"],
    resources: [DR_CLUSTER],
    conditions: { ArnLike: { "eks:principalArn": OPERATOR_ROLES } },
  },
  {
    actions: ["eks:AssociateAccessPolicy"],
    resources: [DR_ACCESS_ENTRIES],
    conditions: {
      StringEquals: {
        "eks:policyArn": "arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        "eks:accessScope": "namespace",
      },
    },
  },
  {
    actions: ["iam:PassRole"],
    resources: ["arn:${partition}:iam::${account}:role/${app}-${stage}-tenant-app"],
    conditions: { StringEquals: { "iam:PassedToService": "pods.eks.amazonaws.com" } },
  },
  { actions: ["secretsmanager:DescribeSecret"], resources: [APP_SECRETS] },
  {
    actions: ["secretsmanager:ReplicateSecretToRegions"],
    resources: [APP_SECRETS],
    conditions: { "ForAllValues:StringEquals": { "secretsmanager:AddReplicaRegions": ["${drRegion}"] } },
  },
];

/**
 * An access entry there left for an earlier role of the operators' ARN, replaced (lib/dr-space.ts
 * `ensureDrAccessEntry`): only by the onboarding that made the role (ensure-dr). The readiness run's
 * reconciliation never made a role, and the onboarding that did has replaced any such entry already.
 */
export const staleDrAccessEntryReplacement: IamStatement = {
  actions: ["eks:DeleteAccessEntry"],
  resources: [DR_ACCESS_ENTRIES],
};

/** The DR space's Kubernetes side in the paired region: its Pod Identity association and access entry. */
export const drSpaceEksRemoval: IamStatement[] = [
  { actions: ["eks:DescribeCluster", "eks:ListPodIdentityAssociations"], resources: [DR_CLUSTER] },
  { actions: ["eks:DeletePodIdentityAssociation"], resources: [DR_ASSOCIATIONS] },
  { actions: ["eks:DescribeAccessEntry", "eks:DeleteAccessEntry"], resources: [DR_ACCESS_ENTRIES] },
];

export const drSpaceRemoval: IamStatement[] = [
  ...drSpaceEksRemoval,
  {
    actions: ["secretsmanager:DescribeSecret", "secretsmanager:RemoveRegionsFromReplication"],
    resources: [APP_SECRETS],
  },
];
