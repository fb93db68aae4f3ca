/**
 * IAM of taking a leaving tenant's things out of either region (lib/region-clearing.ts): offboarding's
 * DR step for a tenant a failover moved, and the readiness run's sweep of what offboarding could not
 * reach. Destructive RDS calls only on resources tagged for a tenant; the app secrets by their prefix;
 * at home the namespace steps' own removal (operators' access entry and role, Pod Identity). The paired
 * region's DR space (its namespace, association and access entry) is offboarding's DR step's alone
 * (`drSpaceEksRemoval`): the sweep never finds one there (lib/region-clearing.ts says why).
 */
import type { IamStatement, KubernetesAccess } from "../shared/catalog.ts";
import { eksNamespaceRemoval, TENANT_CLUSTER_ADMIN } from "../tenant/catalog.ts";
import { DR_TENANT_CLUSTER_ADMIN } from "./dr-space-iam.ts";

const REGIONS = ["${region}", "${drRegion}"] as const;
const rds = (kind: string, name: string) =>
  REGIONS.map((r) => `arn:\${partition}:rds:${r}:\${account}:${kind}:${name}`);
const CLUSTERS = rds("cluster", "tenant-*");
const INSTANCES = rds("db", "tenant-*");
const SNAPSHOTS = rds("cluster-snapshot", "tenant-*");
const GLOBALS = "arn:${partition}:rds::${account}:global-cluster:tenant-*";
const APP_SECRETS = REGIONS.map(
  (r) => `arn:\${partition}:secretsmanager:${r}:\${account}:secret:cplane/tenants/*`,
);
const TENANT_TAGGED = { StringLike: { "aws:ResourceTag/cplane:tenant": "*" } } as const;

export const regionClearing: IamStatement[] = [
  { actions: ["rds:DescribeDBClusters"], resources: CLUSTERS },
  // DescribeDBInstances and DescribeDBClusterSnapshots with a filter are authorised on the pattern.
  { actions: ["rds:DescribeDBInstances"], resources: rds("db", "*") },
  { actions: ["rds:DescribeDBClusterSnapshots"], resources: [...SNAPSHOTS, ...CLUSTERS] },
  { actions: ["rds:DescribeGlobalClusters"], resources: [GLOBALS] },
  { actions: ["rds:RemoveFromGlobalCluster"], resources: [GLOBALS, ...CLUSTERS] },
  { actions: ["rds:DeleteGlobalCluster"], resources: [GLOBALS], conditions: TENANT_TAGGED },
  // The snapshot kept of a cluster before it goes.
  {
    actions: ["rds:CreateDBClusterSnapshot", "rds:AddTagsToResource"],
    resources: [...CLUSTERS, ...SNAPSHOTS],
  },
  {
    actions: [
      "rds:ModifyDBCluster",
      "rds:DeleteDBCluster",
      "rds:DeleteDBInstance",
      "rds:DeleteDBClusterSnapshot",
    ],
    resources: [...CLUSTERS, ...INSTANCES, ...SNAPSHOTS],
    conditions: TENANT_TAGGED,
  },
  {
    actions: [
      "secretsmanager:DescribeSecret",
      "secretsmanager:DeleteSecret",
      "secretsmanager:RemoveRegionsFromReplication",
    ],
    resources: APP_SECRETS,
  },
  ...eksNamespaceRemoval,
];

/** Cluster admin on the home tenant cluster, for the reason the namespace steps have it. */
export const HOME_TENANT_CLUSTER: readonly KubernetesAccess[] = [TENANT_CLUSTER_ADMIN];

/** Cluster admin on the tenant cluster of both regions, for the reason the namespace steps have it. */
export const BOTH_TENANT_CLUSTERS: readonly KubernetesAccess[] = [
  TENANT_CLUSTER_ADMIN,
  DR_TENANT_CLUSTER_ADMIN,
];
