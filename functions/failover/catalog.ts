/**
 * Regional failover and DR steps. IAM from exactly what each handler calls, in the stage's region and
 * its DR pair (`${drRegion}`): tenant clusters by name (`tenant-*`), the platform's by its name
 * (`cplane-platform*`), global databases (global ARNs have no region), destructive calls only on
 * resources tagged for a tenant; Route 53 on the platform's zone and health checks; the platform's
 * node groups; CloudWatch reads, and writes only to `cplane/DR`.
 */
import type { FunctionSpec, IamStatement, KubernetesAccess, ResourceRef } from "../shared/catalog.ts";
import { CLUSTER_ENV, TENANT_CLUSTER_NAME } from "../tenant/catalog.ts";
import { TENANT_INDEX } from "../tenant/lib/registry-index.ts";
import {
  DR_TENANT_CLUSTER_ADMIN,
  drSpaceCreation,
  drSpaceEksRemoval,
  staleDrAccessEntryReplacement,
} from "./dr-space-iam.ts";
import { BOTH_TENANT_CLUSTERS, HOME_TENANT_CLUSTER, regionClearing } from "./region-clearing-iam.ts";

const TABLE: ResourceRef = { ref: "tenantTable" };
const BUS: ResourceRef = { ref: "bus" };
const REGIONS = ["${region}", "${drRegion}"] as const;
const rds = (kind: string, name: string) =>
  REGIONS.map((r) => `arn:\${partition}:rds:${r}:\${account}:${kind}:${name}`);
const TENANT_CLUSTERS = rds("cluster", "tenant-*");
const PLATFORM_CLUSTERS = rds("cluster", "cplane-platform*");
const TENANT_INSTANCES = rds("db", "tenant-*");
const ANY_INSTANCE = rds("db", "*");
const TENANT_SNAPSHOTS = rds("cluster-snapshot", "tenant-*");
const TENANT_GLOBALS = "arn:${partition}:rds::${account}:global-cluster:tenant-*";
const PLATFORM_GLOBAL = "arn:${partition}:rds::${account}:global-cluster:cplane-platform";
const TENANT_TAGGED = { StringLike: { "aws:ResourceTag/cplane:tenant": "*" } } as const;
const EKS_NODEGROUPS = REGIONS.map(
  (r) => `arn:\${partition}:eks:${r}:\${account}:nodegroup/cplane-*/general/*`,
);
const EKS_CLUSTERS = REGIONS.map((r) => `arn:\${partition}:eks:${r}:\${account}:cluster/cplane-*`);

const registry = (...actions: string[]): IamStatement => ({
  actions: actions.map((action) => `dynamodb:${action}`),
  resources: [TABLE],
});
/**
 * Listing the fleet (listTenantBriefs): a Query of the registry's tenant index, and the Scan above where
 * the index cannot answer (a local table made before it; on AWS, while it is built).
 */
const tenantIndex: IamStatement = {
  actions: ["dynamodb:Query"],
  resources: [{ ...TABLE, suffix: `/index/${TENANT_INDEX}` }],
};
const publish: IamStatement = { actions: ["events:PutEvents"], resources: [BUS] };
const describeClusters: IamStatement = {
  actions: ["rds:DescribeDBClusters"],
  resources: [...TENANT_CLUSTERS, ...PLATFORM_CLUSTERS],
};
// DescribeDBInstances and DescribeDBClusterSnapshots with a filter are authorised on the pattern.
const describeInstances: IamStatement = { actions: ["rds:DescribeDBInstances"], resources: ANY_INSTANCE };
const describeSnapshots: IamStatement = {
  actions: ["rds:DescribeDBClusterSnapshots"],
  resources: [...TENANT_SNAPSHOTS, ...TENANT_CLUSTERS],
};
const describeGlobals: IamStatement = {
  actions: ["rds:DescribeGlobalClusters"],
  resources: [TENANT_GLOBALS, PLATFORM_GLOBAL],
};
// The DR upkeep lists each region once instead of describing per tenant (lib/inventory.ts). RDS
// authorises a Describe that names no resource on every resource of its type, so a listing needs the
// type's `*`; it reads metadata only.
const listClusters: IamStatement = {
  actions: ["rds:DescribeDBClusters"],
  resources: rds("cluster", "*"),
  reason: "listing a region's clusters without naming one is authorised on every cluster; read only",
};
const listGlobals: IamStatement = {
  actions: ["rds:DescribeGlobalClusters"],
  resources: ["arn:${partition}:rds::${account}:global-cluster:*"],
  reason: "listing the global databases without naming one is authorised on every one; read only",
};
const listSnapshots: IamStatement = {
  actions: ["rds:DescribeDBClusterSnapshots"],
  resources: rds("cluster-snapshot", "*"),
  reason: "listing a region's snapshots without a cluster is authorised on every snapshot; read only",
};
const listSecrets: IamStatement = {
  actions: ["secretsmanager:ListSecrets"],
  resources: ["*"],
  reason:
    "ListSecrets has no resource type in IAM; it returns metadata only (never a value), filtered to the tenants' prefix",
};
const readMetrics: IamStatement = {
  actions: ["cloudwatch:GetMetricData"],
  resources: ["*"],
  reason: "GetMetricData has no resource type in IAM",
};
const putDrMetrics: IamStatement = {
  actions: ["cloudwatch:PutMetricData"],
  resources: ["*"],
  conditions: { StringEquals: { "cloudwatch:namespace": "cplane/DR" } },
  reason: "PutMetricData has no resource type; the namespace condition limits it to cplane/DR",
};
// Route 53, each read granted only to the steps that make it: the plan finds the zone and reads its
// records (lib/plan.ts dnsPlan), the flap guard reads health checks, the verification records and health.
const findZone: IamStatement = {
  actions: ["route53:ListHostedZonesByName"],
  resources: ["*"],
  reason: "ListHostedZonesByName has no resource type in IAM",
};
const readRecords: IamStatement = {
  actions: ["route53:ListResourceRecordSets"],
  resources: ["arn:${partition}:route53:::hostedzone/*"],
};
const readHealth: IamStatement = {
  actions: ["route53:GetHealthCheckStatus"],
  resources: ["arn:${partition}:route53:::healthcheck/*"],
};
const ENV = { TENANT_TABLE: TABLE, DR_REGION: "${drRegion}" };

/** A tenant's DR by its tier's profile: a global database and its secondary, or the first DR snapshot. */
const DR_CREATION: IamStatement[] = [
  { actions: ["rds:CreateGlobalCluster"], resources: [TENANT_GLOBALS, ...TENANT_CLUSTERS] },
  {
    actions: [
      "rds:CreateDBCluster",
      "rds:CreateDBInstance",
      "rds:CreateDBClusterSnapshot",
      "rds:AddTagsToResource",
    ],
    resources: [...TENANT_CLUSTERS, ...TENANT_INSTANCES, ...TENANT_SNAPSHOTS, TENANT_GLOBALS],
  },
];
/** Taking it away: detach and delete the secondary and the global database, delete DR snapshots; tagged only. */
const DR_REMOVAL: IamStatement[] = [
  { actions: ["rds:RemoveFromGlobalCluster"], resources: [TENANT_GLOBALS, ...TENANT_CLUSTERS] },
  // Global databases are tagged for their tenant at creation (ensure-dr).
  { actions: ["rds:DeleteGlobalCluster"], resources: [TENANT_GLOBALS], conditions: TENANT_TAGGED },
  {
    actions: ["rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:DeleteDBClusterSnapshot"],
    resources: [...TENANT_CLUSTERS, ...TENANT_INSTANCES, ...TENANT_SNAPSHOTS],
    conditions: TENANT_TAGGED,
  },
];

/** The clusters whose Deployments move with a failover, in either region: the platform's and the tenants'. */
const PLATFORM_CLUSTER = "cplane-${region}";
const WORKLOAD_CLUSTERS = [PLATFORM_CLUSTER, TENANT_CLUSTER_NAME];
const describeWorkloadClusters: IamStatement = {
  actions: ["eks:DescribeCluster"],
  resources: REGIONS.flatMap((r) =>
    WORKLOAD_CLUSTERS.map(
      (c) => `arn:\${partition}:eks:${r}:\${account}:cluster/${c.replace("${region}", r)}`,
    ),
  ),
};
const workloadAccess = (policy: "View" | "Edit", reason: string): KubernetesAccess[] =>
  WORKLOAD_CLUSTERS.map((cluster) => ({
    cluster,
    regions: REGIONS,
    accessPolicy: `arn:\${partition}:eks::aws:cluster-access-policy/AmazonEKS${policy}Policy`,
    reason,
  }));
const SCALES = workloadAccess(
  "Edit",
  "reads and scales the platform's and the tenants' Deployments; edit is the narrowest access policy that writes Deployments",
);
const WATCHES = workloadAccess("View", "reads the Deployments a failover scaled, and namespaces");
const WORKLOAD_ENV = { ...ENV, EKS_CLUSTER_NAME: TENANT_CLUSTER_NAME };

const spec = <const Step extends string>(
  step: Step,
  description: string,
  permissions: IamStatement[],
  environment: FunctionSpec["environment"] = ENV,
  timeoutSeconds = 60,
  kubernetes?: FunctionSpec["kubernetes"],
): FunctionSpec & { readonly id: `failover/${Step}` } => ({
  id: `failover/${step}` as const,
  handler: `functions/failover/${step}.ts`,
  description,
  timeoutSeconds,
  memoryMB: 512,
  environment,
  permissions,
  ...(kubernetes ? { kubernetes } : {}),
});

export const failoverFunctions = [
  spec(
    "ensure-dr",
    "Brings a tenant's DR into line with its tier (global secondary, or the first DR snapshot) and makes its namespace and secret replica in the paired region",
    [
      describeClusters,
      describeInstances,
      describeSnapshots,
      describeGlobals,
      ...DR_CREATION,
      registry("UpdateItem"),
      ...drSpaceCreation,
      staleDrAccessEntryReplacement,
    ],
    { ...ENV, ...CLUSTER_ENV },
    60,
    DR_TENANT_CLUSTER_ADMIN,
  ),
  spec(
    "remove-dr",
    "Detaches and deletes a tenant's global secondary and global database, its DR snapshots, and its namespace and secret replica in the paired region; for a tenant a failover moved, clears the home region or records it as a leftover",
    // Clearing a region (region-clearing-iam.ts), and the DR space's Kubernetes side in the paired region
    // (for a tenant at home, and where a moved tenant runs).
    [...regionClearing, ...drSpaceEksRemoval, registry("GetItem")],
    { ...ENV, ...CLUSTER_ENV, SECRET_RECOVERY_WINDOW_DAYS: "30" },
    60,
    BOTH_TENANT_CLUSTERS,
  ),
  spec(
    "sweep-offboarded",
    "Removes what offboardings left in a region that did not answer, once it answers; never makes anything",
    [tenantIndex, registry("Scan", "GetItem", "UpdateItem"), ...regionClearing],
    { ...ENV, ...CLUSTER_ENV, SECRET_RECOVERY_WINDOW_DAYS: "30" },
    300,
    // Namespaces only at home: offboarding's DR step leaves none in the paired region (lib/region-clearing.ts).
    HOME_TENANT_CLUSTER,
  ),
  spec(
    "reconcile-dr",
    "Brings each tenant's DR into line with its tier (joins or leaves a global database) and its DR space with the tier's quotas",
    [
      tenantIndex,
      registry("Scan", "UpdateItem"),
      // Who is out of line, from one listing per region (lib/inventory.ts); they are described again.
      listClusters,
      listGlobals,
      listSnapshots,
      describeInstances,
      describeSnapshots,
      ...DR_CREATION,
      ...DR_REMOVAL,
      ...drSpaceCreation,
    ],
    { ...ENV, ...CLUSTER_ENV },
    300,
    DR_TENANT_CLUSTER_ADMIN,
  ),
  spec(
    "sync-workloads",
    "Mirrors the platform's and every tenant's Deployments to the standby region, recording the replicas the serving one runs",
    // The platform's serving region from its global database (lib/plan.ts platformWriterRegion): no cluster read.
    [tenantIndex, registry("Scan"), describeGlobals, describeWorkloadClusters],
    WORKLOAD_ENV,
    300,
    SCALES,
  ),
  spec(
    "scale-workloads",
    "Scales the moving Deployments up in the target region to what the region left runs",
    [describeWorkloadClusters],
    WORKLOAD_ENV,
    120,
    SCALES,
  ),
  spec(
    "scale-workloads-back",
    "A drill's way back: the Deployments it scaled up, each to its size before",
    [describeWorkloadClusters],
    WORKLOAD_ENV,
    120,
    SCALES,
  ),
  spec(
    "check-workloads",
    "Whether the Deployments a failover scaled run their replicas, ready",
    [describeWorkloadClusters],
    WORKLOAD_ENV,
    120,
    WATCHES,
  ),
  spec(
    "copy-snapshots",
    "One round of the cross-region copy pipeline of every standard and basic tenant",
    [
      tenantIndex,
      registry("Scan", "GetItem", "PutItem"),
      // One paged listing of each region's manual snapshots (the DR ones are picked by their tags).
      listSnapshots,
      readMetrics,
      {
        actions: ["rds:CreateDBClusterSnapshot", "rds:CopyDBClusterSnapshot", "rds:AddTagsToResource"],
        resources: [...TENANT_CLUSTERS, ...TENANT_SNAPSHOTS],
      },
      // A cross-region copy re-encrypts with the target region's AWS managed key (`alias/aws/rds`,
      // lib/names.ts defaultRdsKey). Its key policy, AWS's own, lets any principal of the account use it
      // through RDS (kms:ViaService, kms:CallerAccount): no KMS statement here, as for ensure-dr's
      // encrypted secondary. Only a customer managed key needs kms:CreateGrant and kms:DescribeKey in IAM
      // (RDS User Guide, "Authorizing use of a customer managed key").
      {
        actions: ["rds:DeleteDBClusterSnapshot"],
        resources: TENANT_SNAPSHOTS,
        conditions: { StringEquals: { "aws:ResourceTag/cplane:dr": "true" } },
      },
    ],
    ENV,
    300,
  ),
  spec(
    "reestablish",
    "After a failover, snapshots and removes a restored tenant's stale cluster in the region that came back, and replicates each promoted secret again",
    [
      tenantIndex,
      registry("Scan", "UpdateItem"),
      // Who needs it, from one listing per region (lib/inventory.ts).
      listClusters,
      listSecrets,
      describeInstances,
      describeSnapshots,
      {
        actions: ["rds:CreateDBClusterSnapshot", "rds:AddTagsToResource"],
        resources: [...TENANT_CLUSTERS, ...TENANT_SNAPSHOTS],
      },
      {
        actions: ["rds:ModifyDBCluster", "rds:DeleteDBCluster", "rds:DeleteDBInstance"],
        resources: [...TENANT_CLUSTERS, ...TENANT_INSTANCES],
        conditions: TENANT_TAGGED,
      },
      // A secret promoted where the tenant serves now, replicated again over the stale one.
      {
        actions: ["secretsmanager:DescribeSecret", "secretsmanager:ReplicateSecretToRegions"],
        resources: REGIONS.map(
          (r) => `arn:\${partition}:secretsmanager:${r}:\${account}:secret:cplane/tenants/*`,
        ),
      },
    ],
    ENV,
    300,
  ),
  spec(
    "check-readiness",
    "Assesses DR readiness, stores it, puts per-tier counts and publishes DR Readiness Changed",
    [
      tenantIndex,
      registry("Scan", "GetItem", "PutItem"),
      // Everything it reads is listed once per region (lib/inventory.ts).
      listClusters,
      listSnapshots,
      listGlobals,
      readMetrics,
      putDrMetrics,
      { actions: ["eks:DescribeNodegroup"], resources: EKS_NODEGROUPS },
      publish,
      // Each tenant's DR space (its namespace on the standby tenant cluster, its secret readable there)
      // and the Deployments a failover would scale up on the standby platform cluster.
      describeWorkloadClusters,
      listSecrets,
      // A secret the listing does not show yet (ListSecrets lags up to five minutes) is asked for by name.
      {
        actions: ["secretsmanager:DescribeSecret"],
        resources: REGIONS.map(
          (r) => `arn:\${partition}:secretsmanager:${r}:\${account}:secret:cplane/tenants/*`,
        ),
      },
    ],
    { ...ENV, EVENT_BUS_NAME: BUS, EKS_CLUSTER_NAME: TENANT_CLUSTER_NAME },
    300,
    workloadAccess(
      "View",
      "reads whether each tenant's namespace is in the standby region, and the Deployments a failover would scale up there",
    ),
  ),
  spec(
    "plan",
    "Decides what a failover, switchover or drill does: regions, global databases, restores, compute, DNS",
    [
      tenantIndex,
      registry("Scan", "GetItem"),
      // A drill's readiness lists each region (lib/inventory.ts); the restores describe their tenants'
      // snapshots one by one.
      listClusters,
      listGlobals,
      listSnapshots,
      describeSnapshots,
      readMetrics,
      findZone,
      readRecords,
      { actions: ["eks:DescribeNodegroup"], resources: EKS_NODEGROUPS },
    ],
    { ...ENV, FAILOVER_APPROVAL: "none", FLAP_GUARD_SECONDS: "60" },
    300,
  ),
  spec("check-signal", "The flap guard's second look: health checks, the alarm, the region's API", [
    readHealth,
    {
      actions: ["cloudwatch:DescribeAlarms"],
      resources: ["arn:${partition}:cloudwatch:*:${account}:alarm:cplane-region-health-*"],
    },
    describeClusters,
  ]),
  spec(
    "promote-database",
    "FailoverGlobalCluster (data loss allowed) or SwitchoverGlobalCluster to the target",
    [
      describeGlobals,
      readMetrics,
      {
        actions: ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"],
        resources: [TENANT_GLOBALS, PLATFORM_GLOBAL, ...TENANT_CLUSTERS, ...PLATFORM_CLUSTERS],
      },
    ],
  ),
  spec("check-promotion", "Whether a global database's writer is the target now", [describeGlobals]),
  spec(
    "point-secret",
    "Makes a tenant's database secret name the cluster now writing (its primary written, or its replica promoted when the primary's region is lost)",
    [
      describeClusters,
      {
        actions: [
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:StopReplicationToReplica",
        ],
        resources: REGIONS.map(
          (r) => `arn:\${partition}:secretsmanager:${r}:\${account}:secret:cplane/tenants/*`,
        ),
      },
    ],
  ),
  spec("restore-tenant", "Restores a snapshot-tier tenant from its latest copy in the target region", [
    describeClusters,
    {
      actions: ["rds:RestoreDBClusterFromSnapshot", "rds:CreateDBInstance", "rds:AddTagsToResource"],
      resources: [...TENANT_CLUSTERS, ...TENANT_INSTANCES, ...TENANT_SNAPSHOTS],
    },
  ]),
  spec("check-restore", "Whether a restored tenant cluster and its writer are available", [
    describeClusters,
    describeInstances,
  ]),
  spec("scale-compute", "Scales the target region's EKS node group", [
    { actions: ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"], resources: EKS_NODEGROUPS },
  ]),
  spec("check-compute", "Whether the node group's scaling update finished", [
    { actions: ["eks:DescribeUpdate"], resources: [...EKS_CLUSTERS, ...EKS_NODEGROUPS] },
  ]),
  spec("switch-traffic", "Makes the target region the PRIMARY of the platform's Route 53 failover pair", [
    { actions: ["route53:ChangeResourceRecordSets"], resources: ["arn:${partition}:route53:::hostedzone/*"] },
  ]),
  spec("verify-traffic", "Whether production is served, healthy, from the target region", [
    readRecords,
    readHealth,
    { actions: ["route53:GetChange"], resources: ["arn:${partition}:route53:::change/*"] },
    readMetrics,
  ]),
  spec("summarize", "Measures RTO/RPO per tier, records moved tenants, puts the figures in CloudWatch", [
    registry("UpdateItem"),
    putDrMetrics,
  ]),
  spec("announce", "Publishes Region Failover Completed or DR Drill Completed", [publish], {
    EVENT_BUS_NAME: BUS,
  }),
  spec("record-failure", "Publishes Region Failover Failed or DR Drill Failed", [publish], {
    EVENT_BUS_NAME: BUS,
    DR_REGION: "${drRegion}",
  }),
] as const satisfies readonly FunctionSpec[];
