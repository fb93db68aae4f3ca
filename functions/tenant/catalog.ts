/**
 * Tenant onboarding and offboarding steps. IAM is derived from exactly what each handler calls:
 * tenant resources by ARN prefix (`tenant-*`, `cplane/tenants/*`), destructive RDS calls only on
 * resources carrying the `cplane:tenant` tag, EKS calls on the tenant cluster's ARNs, operator roles
 * only by name pattern and under the permissions boundary.
 */
import { DR_TENANT_CLUSTER_ADMIN, drSpaceRemoval } from "../failover/dr-space-iam.ts";
import type { FunctionSpec, IamStatement, KubernetesAccess, ResourceRef } from "../shared/catalog.ts";

const RDS = "arn:${partition}:rds:${region}:${account}";
const CLUSTERS = `${RDS}:cluster:tenant-*`;
const INSTANCES = `${RDS}:db:tenant-*`;
const SNAPSHOTS = `${RDS}:cluster-snapshot:tenant-*`;
const SECRETS = "arn:${partition}:secretsmanager:${region}:${account}:secret";
const APP_SECRETS = `${SECRETS}:cplane/tenants/*`;
/** Every name the deployment owns starts with the app and stage. */
const DEPLOYMENT = "${app}-${stage}";
/** The EKS cluster tenants run on; made outside this app (README, "Deploying"). */
export const TENANT_CLUSTER_NAME = `${DEPLOYMENT}-tenants`;
const EKS = "arn:${partition}:eks:${region}:${account}";
const EKS_CLUSTER = `${EKS}:cluster/${TENANT_CLUSTER_NAME}`;
const IAM = "arn:${partition}:iam::${account}";
/** The one role every tenant's pods assume through Pod Identity; its policy reads only the pod's own namespace's secret. */
export const TENANT_APP_ROLE_NAME = `${DEPLOYMENT}-tenant-app`;
export const APP_ROLE = `${IAM}:role/${TENANT_APP_ROLE_NAME}`;
/** Operator roles are this prefix, the tenant's slug (cut and hashed when long) and `-operators`. */
export const TENANT_OPERATOR_ROLE_PREFIX = `${IAM}:role/${DEPLOYMENT}-tenant-`;
const OPERATOR_ROLES = `${TENANT_OPERATOR_ROLE_PREFIX}*-operators`;
/** The permissions boundary every operator role is created under (stacks/tenant-access.ts). */
export const TENANT_OPERATOR_BOUNDARY_NAME = `${DEPLOYMENT}-tenant-operator-boundary`;
const OPERATOR_BOUNDARY = `${IAM}:policy/${TENANT_OPERATOR_BOUNDARY_NAME}`;
const ACCESS_ENTRIES = `${EKS}:access-entry/${TENANT_CLUSTER_NAME}/*`;
/** What operators may do in their namespace: read. The same ARN the handler associates (lib/namespace.ts). */
const OPERATOR_ACCESS_POLICY = "arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const TABLE: ResourceRef = { ref: "tenantTable" };
const BUS: ResourceRef = { ref: "bus" };

const TENANT_TAGGED = { StringLike: { "aws:ResourceTag/cplane:tenant": "*" } } as const;
/** A pattern in the stage's region and in its DR pair: offboarding acts where a failover moved the tenant. */
const inBoth = (...patterns: string[]) => patterns.flatMap((p) => [p, p.replace("${region}", "${drRegion}")]);

const registry = (...actions: string[]): IamStatement => ({
  actions: actions.map((action) => `dynamodb:${action}`),
  resources: [TABLE],
});
const publish: IamStatement = { actions: ["events:PutEvents"], resources: [BUS] };
const describeDatabases: IamStatement[] = [
  { actions: ["rds:DescribeDBClusters"], resources: [CLUSTERS] },
  // DescribeDBInstances with a db-cluster-id filter is authorised on the instance ARN pattern.
  { actions: ["rds:DescribeDBInstances"], resources: [`${RDS}:db:*`] },
];
const deleteDatabases: IamStatement = {
  actions: ["rds:ModifyDBCluster", "rds:DeleteDBCluster", "rds:DeleteDBInstance"],
  resources: [CLUSTERS, INSTANCES],
  conditions: TENANT_TAGGED,
};
/**
 * Making an operator role: only under the boundary (so the role can never hold more than describing the
 * tenant cluster, whatever policy is put on it), only with names of the operator pattern.
 */
const operatorRoleCreation: IamStatement[] = [
  { actions: ["iam:GetRole"], resources: [OPERATOR_ROLES] },
  {
    actions: ["iam:CreateRole", "iam:PutRolePolicy"],
    resources: [OPERATOR_ROLES],
    conditions: { StringEquals: { "iam:PermissionsBoundary": OPERATOR_BOUNDARY } },
  },
  // CreateRole with tags needs TagRole too: only then (the role has no tags yet), and only our three keys,
  // so that the function cannot retag a role to move it to another tenant.
  {
    actions: ["iam:TagRole"],
    resources: [OPERATOR_ROLES],
    conditions: {
      Null: { "aws:ResourceTag/cplane:tenant": "true" },
      "ForAllValues:StringEquals": {
        "aws:TagKeys": ["cplane:tenant", "cplane:tenant-id", "cplane:execution"],
      },
    },
  },
];
/** Removing one: its inline policies (only under the boundary), then the role (only one tagged for a tenant). */
const operatorRoleRemoval: IamStatement[] = [
  { actions: ["iam:GetRole", "iam:ListRolePolicies"], resources: [OPERATOR_ROLES] },
  {
    actions: ["iam:DeleteRolePolicy"],
    resources: [OPERATOR_ROLES],
    conditions: { StringEquals: { "iam:PermissionsBoundary": OPERATOR_BOUNDARY } },
  },
  { actions: ["iam:DeleteRole"], resources: [OPERATOR_ROLES], conditions: TENANT_TAGGED },
];
export const eksNamespaceRemoval: IamStatement[] = [
  ...operatorRoleRemoval,
  { actions: ["eks:DescribeCluster", "eks:ListPodIdentityAssociations"], resources: [EKS_CLUSTER] },
  {
    actions: ["eks:DeletePodIdentityAssociation"],
    resources: [`${EKS}:podidentityassociation/${TENANT_CLUSTER_NAME}/*`],
  },
  { actions: ["eks:DescribeAccessEntry", "eks:DeleteAccessEntry"], resources: [ACCESS_ENTRIES] },
];

/** What compensation needs to take away DR this execution created (functions/failover/lib/dr-setup.ts). */
const drRemoval: IamStatement[] = [
  {
    actions: ["rds:DescribeDBClusters", "rds:DescribeDBClusterSnapshots"],
    resources: ["${region}", "${drRegion}"].flatMap((r) => [
      `arn:\${partition}:rds:${r}:\${account}:cluster:tenant-*`,
      `arn:\${partition}:rds:${r}:\${account}:cluster-snapshot:tenant-*`,
    ]),
  },
  { actions: ["rds:DescribeDBInstances"], resources: ["arn:${partition}:rds:${drRegion}:${account}:db:*"] },
  {
    actions: ["rds:DescribeGlobalClusters", "rds:RemoveFromGlobalCluster"],
    resources: [
      "arn:${partition}:rds::${account}:global-cluster:tenant-*",
      "arn:${partition}:rds:${region}:${account}:cluster:tenant-*",
      "arn:${partition}:rds:${drRegion}:${account}:cluster:tenant-*",
    ],
  },
  // Global databases are tagged for their tenant at creation (ensure-dr), like every other resource.
  {
    actions: ["rds:DeleteGlobalCluster"],
    resources: ["arn:${partition}:rds::${account}:global-cluster:tenant-*"],
    conditions: TENANT_TAGGED,
  },
  {
    actions: ["rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:DeleteDBClusterSnapshot"],
    resources: ["${region}", "${drRegion}"].flatMap((r) => [
      `arn:\${partition}:rds:${r}:\${account}:cluster:tenant-*`,
      `arn:\${partition}:rds:${r}:\${account}:db:tenant-*`,
      `arn:\${partition}:rds:${r}:\${account}:cluster-snapshot:tenant-*`,
    ]),
    conditions: TENANT_TAGGED,
  },
];

/** What a step on the tenant cluster reads (lib/namespace.ts `clusterSettings`); failover's DR steps too. */
export const CLUSTER_ENV = {
  EKS_CLUSTER_NAME: TENANT_CLUSTER_NAME,
  EKS_CLUSTER_ARN: EKS_CLUSTER,
  EKS_DR_CLUSTER_ARN: EKS_CLUSTER.replace("${region}", "${drRegion}"),
  TENANT_DOMAIN: "${stage}.tenants.example.com",
  TENANT_APP_ROLE_ARN: APP_ROLE,
  TENANT_OPERATOR_ROLE_ARN_PREFIX: TENANT_OPERATOR_ROLE_PREFIX,
  TENANT_OPERATOR_BOUNDARY_ARN: OPERATOR_BOUNDARY,
};

/**
 * What the namespace steps need on the tenant cluster. Namespaces and ResourceQuotas are beyond the
 * namespaced admin policy, and Kubernetes lets a subject grant a Role only with permissions it holds
 * itself (or with escalate/bind), so nothing short of cluster admin applies the tenant's RBAC. A narrower
 * ClusterRole would need an in-cluster bootstrap that this app does not own.
 */
export const TENANT_CLUSTER_ADMIN: KubernetesAccess = {
  cluster: TENANT_CLUSTER_NAME,
  accessPolicy: "arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
  reason:
    "creates and deletes namespaces, quotas, limit ranges, network policies and RBAC; granting a Role needs the permissions it grants",
};

const onTenantCluster = <Spec extends FunctionSpec>(entry: Spec): Spec => ({
  ...entry,
  kubernetes: TENANT_CLUSTER_ADMIN,
});

/** One step's entry; its id keeps its literal type, so that `CatalogFunctionId` lists every step. */
const spec = <const Step extends string>(
  step: Step,
  description: string,
  permissions: IamStatement[],
  environment: FunctionSpec["environment"] = {},
  timeoutSeconds = 30,
): FunctionSpec & { readonly id: `tenant/${Step}` } => ({
  id: `tenant/${step}` as const,
  handler: `functions/tenant/${step}.ts`,
  description,
  timeoutSeconds,
  memoryMB: 512,
  environment,
  permissions,
});

export const tenantFunctions = [
  spec(
    "find-stopped-operation",
    "Finds the tenant a stopped or timed-out execution worked on, and whether it still owns it",
    [registry("GetItem")],
    { TENANT_TABLE: TABLE },
  ),
  spec(
    "validate-and-register",
    "Validates a tenant request, derives its slug and registers it (conditional write; duplicates join)",
    [
      registry("PutItem", "GetItem", "UpdateItem"),
      // A repeat joins the onboarding only while the execution that owns it runs.
      {
        actions: ["states:DescribeExecution"],
        resources: [
          "arn:${partition}:states:${region}:${account}:execution:${app}-${stage}-tenant-onboarding:*",
        ],
      },
    ],
    { TENANT_TABLE: TABLE, TENANT_REGIONS: "${region}" },
  ),
  spec(
    "provision-database",
    "Creates or adopts the tenant's Aurora PostgreSQL cluster and instances",
    [
      ...describeDatabases,
      {
        actions: ["rds:CreateDBCluster", "rds:CreateDBInstance", "rds:AddTagsToResource"],
        resources: [
          CLUSTERS,
          INSTANCES,
          `${RDS}:subgrp:*`,
          `${RDS}:cluster-pg:default.*`,
          `${RDS}:pg:default.*`,
        ],
      },
      // ManageMasterUserPassword: RDS creates the master secret with the caller's rights.
      {
        actions: ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
        resources: [`${SECRETS}:rds!cluster-*`],
      },
      registry("UpdateItem"),
    ],
    { TENANT_TABLE: TABLE },
  ),
  spec(
    "check-database",
    "Reports whether the tenant's cluster and instances are available",
    describeDatabases,
  ),
  spec(
    "migrate-database",
    "Migrates the tenant schema through the Data API and creates the application role and its secret",
    [
      {
        actions: [
          "rds-data:ExecuteStatement",
          "rds-data:BeginTransaction",
          "rds-data:CommitTransaction",
          "rds-data:RollbackTransaction",
        ],
        resources: [CLUSTERS],
      },
      // The Data API reads the RDS-managed master secret with the caller's rights.
      {
        actions: ["secretsmanager:GetSecretValue"],
        resources: [`${SECRETS}:rds!cluster-*`],
        conditions: { StringLike: { "secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn": CLUSTERS } },
      },
      {
        actions: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:CreateSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:RestoreSecret",
          "secretsmanager:TagResource",
        ],
        resources: [APP_SECRETS],
      },
      registry("UpdateItem"),
    ],
    { TENANT_TABLE: TABLE },
    120,
  ),
  onTenantCluster(
    spec(
      "create-namespace",
      "Applies the tenant namespace, quotas, network policy, RBAC, service account and ingress; Pod Identity and access entry",
      [
        {
          actions: [
            "eks:DescribeCluster",
            "eks:ListPodIdentityAssociations",
            "eks:CreatePodIdentityAssociation",
          ],
          resources: [EKS_CLUSTER],
        },
        // Access entries only for operator roles, and only the view policy, only on the tenant's namespace
        // (condition keys of the EKS service authorization reference).
        {
          actions: ["eks:CreateAccessEntry"],
          resources: [EKS_CLUSTER],
          conditions: { ArnLike: { "eks:principalArn": OPERATOR_ROLES } },
        },
        {
          actions: ["eks:AssociateAccessPolicy"],
          resources: [ACCESS_ENTRIES],
          conditions: {
            StringEquals: { "eks:policyArn": OPERATOR_ACCESS_POLICY, "eks:accessScope": "namespace" },
          },
        },
        // A stale entry for an earlier role of the same ARN is replaced.
        { actions: ["eks:DeleteAccessEntry"], resources: [ACCESS_ENTRIES] },
        {
          actions: ["eks:TagResource"],
          resources: [EKS_CLUSTER, ACCESS_ENTRIES, `${EKS}:podidentityassociation/${TENANT_CLUSTER_NAME}/*`],
        },
        ...operatorRoleCreation,
        {
          actions: ["iam:PassRole"],
          resources: [APP_ROLE],
          conditions: { StringEquals: { "iam:PassedToService": "pods.eks.amazonaws.com" } },
        },
        registry("UpdateItem"),
      ],
      { TENANT_TABLE: TABLE, ...CLUSTER_ENV },
      60,
    ),
  ),
  spec(
    "announce",
    "Marks the tenant active and publishes Tenant Created",
    [registry("UpdateItem", "GetItem"), publish],
    {
      TENANT_TABLE: TABLE,
      EVENT_BUS_NAME: BUS,
    },
  ),
  {
    ...spec(
      "compensate",
      "Removes what a failed onboarding execution created (namespace, secret, database), never what it adopted",
      [
        ...eksNamespaceRemoval,
        {
          actions: ["secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"],
          resources: [APP_SECRETS],
        },
        ...describeDatabases,
        deleteDatabases,
        ...drRemoval,
        ...drSpaceRemoval,
      ],
      { ...CLUSTER_ENV, DR_REGION: "${drRegion}" },
      60,
    ),
    // The DR space in the paired region goes first (a replicated secret cannot be deleted).
    kubernetes: [TENANT_CLUSTER_ADMIN, DR_TENANT_CLUSTER_ADMIN],
  },
  spec(
    "record-failure",
    "Records a failed onboarding or offboarding step and publishes the failure event",
    [registry("GetItem", "UpdateItem"), publish],
    { TENANT_TABLE: TABLE, EVENT_BUS_NAME: BUS },
  ),
  spec(
    "start-offboarding",
    "Moves a tenant to offboarding; refuses one still onboarding",
    [registry("GetItem", "UpdateItem")],
    {
      TENANT_TABLE: TABLE,
    },
  ),
  spec("snapshot-database", "Takes the tenant cluster's final snapshot, where the tenant runs", [
    { actions: ["rds:DescribeDBClusters"], resources: inBoth(CLUSTERS) },
    {
      actions: ["rds:CreateDBClusterSnapshot", "rds:AddTagsToResource"],
      resources: inBoth(CLUSTERS, SNAPSHOTS),
    },
  ]),
  spec("check-snapshot", "Reports whether the final snapshot is available", [
    { actions: ["rds:DescribeDBClusterSnapshots"], resources: inBoth(SNAPSHOTS, CLUSTERS) },
  ]),
  spec("delete-database", "Deletes the tenant cluster, where it runs, once its final snapshot is available", [
    { actions: ["rds:DescribeDBClusterSnapshots"], resources: inBoth(SNAPSHOTS, CLUSTERS) },
    ...describeDatabases.map((statement) => ({
      ...statement,
      resources: inBoth(...(statement.resources as string[])),
    })),
    { ...deleteDatabases, resources: inBoth(CLUSTERS, INSTANCES) },
  ]),
  onTenantCluster(
    spec(
      "remove-namespace",
      "Removes the tenant's namespace, Pod Identity association and access entry",
      eksNamespaceRemoval,
      {
        ...CLUSTER_ENV,
      },
      60,
    ),
  ),
  spec(
    "retire-secret",
    "Schedules the tenant's application secret for deletion with a recovery window, where it runs and at home",
    [
      {
        actions: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:DeleteSecret",
          "secretsmanager:RemoveRegionsFromReplication",
        ],
        resources: inBoth(APP_SECRETS),
      },
    ],
    { SECRET_RECOVERY_WINDOW_DAYS: "30" },
  ),
  spec(
    "finish-offboarding",
    "Marks the tenant offboarded with its final snapshot id and publishes Tenant Offboarded",
    [registry("UpdateItem", "GetItem"), publish],
    { TENANT_TABLE: TABLE, EVENT_BUS_NAME: BUS },
  ),
] as const satisfies readonly FunctionSpec[];
