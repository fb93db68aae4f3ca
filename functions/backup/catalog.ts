/**
 * Backup verification's steps, the weekly snapshots' and the sweeper's. IAM is derived from exactly what
 * each handler calls. Tenants live in either region, so RDS ARNs name any region of the account. Scratch
 * clusters and instances are `scratch-*` and may be changed or deleted only while tagged
 * `cplane:scratch` = `true` (`aws:ResourceTag`), and created only with that tag (`aws:RequestTag`);
 * tenant clusters are only read (the Data API's reads of the source included); weekly snapshots are
 * deleted only while tagged `cplane:weekly`.
 */
import type { FunctionSpec, IamStatement, ResourceRef } from "../shared/catalog.ts";

const RDS = "arn:${partition}:rds:*:${account}";
const TENANT_CLUSTERS = `${RDS}:cluster:tenant-*`;
const SCRATCH_CLUSTERS = `${RDS}:cluster:scratch-*`;
const SCRATCH_INSTANCES = `${RDS}:db:scratch-*`;
const SNAPSHOTS = `${RDS}:cluster-snapshot:*`;
const WEEKLY_SNAPSHOTS = `${RDS}:cluster-snapshot:weekly-*`;
/** The RDS-managed master secrets the Data API authenticates with. */
const MASTER_SECRETS = "arn:${partition}:secretsmanager:*:${account}:secret:rds!cluster-*";
const TABLE: ResourceRef = { ref: "tenantTable" };
const BUS: ResourceRef = { ref: "bus" };

const SCRATCH_TAGGED = { StringEquals: { "aws:ResourceTag/cplane:scratch": "true" } } as const;
const SCRATCH_REQUESTED = { StringEquals: { "aws:RequestTag/cplane:scratch": "true" } } as const;

const scan: IamStatement = { actions: ["dynamodb:Scan"], resources: [TABLE] };
const describe: IamStatement[] = [
  { actions: ["rds:DescribeDBClusters"], resources: [TENANT_CLUSTERS, SCRATCH_CLUSTERS] },
  // DescribeDBInstances with a db-cluster-id filter is authorised on the instance ARN pattern.
  { actions: ["rds:DescribeDBInstances"], resources: [`${RDS}:db:*`] },
];
const deleteScratch: IamStatement = {
  actions: ["rds:DeleteDBInstance", "rds:DeleteDBCluster"],
  resources: [SCRATCH_CLUSTERS, SCRATCH_INSTANCES],
  conditions: SCRATCH_TAGGED,
};

const spec = <const Step extends string>(
  step: Step,
  description: string,
  permissions: IamStatement[],
  environment: FunctionSpec["environment"] = {},
  timeoutSeconds = 60,
): FunctionSpec & { readonly id: `backup/${Step}` } => ({
  id: `backup/${step}` as const,
  handler: `functions/backup/${step}.ts`,
  description,
  timeoutSeconds,
  memoryMB: 512,
  environment,
  permissions,
});

export const backupFunctions = [
  spec(
    "list-tenants",
    "Lists the active tenants a backup verification run verifies (tier cadence, chosen tenants), refusing unknown ones",
    [scan],
    { TENANT_TABLE: TABLE },
  ),
  spec(
    "check-policy",
    "Checks a tenant's snapshots, retention and encryption against its tier's backup policy",
    [
      { actions: ["rds:DescribeDBClusters"], resources: [TENANT_CLUSTERS] },
      { actions: ["rds:DescribeDBClusterSnapshots"], resources: [TENANT_CLUSTERS, SNAPSHOTS] },
    ],
  ),
  spec(
    "restore-scratch",
    "Restores a tenant's snapshot (or point in time) into a tagged, isolated scratch cluster and instance",
    [
      ...describe,
      {
        actions: [
          "rds:RestoreDBClusterFromSnapshot",
          "rds:RestoreDBClusterToPointInTime",
          "rds:CreateDBInstance",
          "rds:AddTagsToResource",
        ],
        resources: [
          SCRATCH_CLUSTERS,
          SCRATCH_INSTANCES,
          `${RDS}:subgrp:*`,
          `${RDS}:cluster-pg:default.*`,
          `${RDS}:pg:default.*`,
        ],
        conditions: SCRATCH_REQUESTED,
      },
      // The sources: the snapshot restored, or the tenant cluster restored to a point in time (read only).
      { actions: ["rds:RestoreDBClusterFromSnapshot"], resources: [SNAPSHOTS] },
      { actions: ["rds:RestoreDBClusterToPointInTime"], resources: [TENANT_CLUSTERS] },
    ],
    { SCRATCH_DB_SUBNET_GROUP: "${app}-${stage}-scratch", SCRATCH_SECURITY_GROUP_IDS: "" },
  ),
  spec(
    "check-scratch",
    "Reports whether a scratch restore is available, failed, and how long it has taken",
    describe,
  ),
  spec(
    "verify-restore",
    "Verifies restored data with SQL through the Data API: schema version, row counts, checksums, a write",
    [
      { actions: ["rds:DescribeDBClusters"], resources: [SCRATCH_CLUSTERS] },
      { actions: ["rds:ModifyDBCluster"], resources: [SCRATCH_CLUSTERS], conditions: SCRATCH_TAGGED },
      { actions: ["rds-data:ExecuteStatement"], resources: [SCRATCH_CLUSTERS, TENANT_CLUSTERS] },
      { actions: ["secretsmanager:GetSecretValue"], resources: [MASTER_SECRETS] },
    ],
    {},
    300,
  ),
  spec("delete-scratch", "Deletes this execution's scratch instance and cluster (only when tagged scratch)", [
    ...describe,
    deleteScratch,
  ]),
  spec(
    "record-tenant",
    "Records a tenant's verification: outcome event, metrics by tier, consecutive failures in the registry",
    [
      { actions: ["events:PutEvents"], resources: [BUS] },
      {
        actions: ["dynamodb:UpdateItem", "dynamodb:GetItem"],
        resources: [TABLE],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["BACKUP#*"] } },
      },
      {
        actions: ["cloudwatch:PutMetricData"],
        resources: ["*"],
        conditions: { StringEquals: { "cloudwatch:namespace": "cplane/Backups" } },
        reason: "PutMetricData has no resource type in IAM; the namespace condition narrows it",
      },
    ],
    { TENANT_TABLE: TABLE, EVENT_BUS_NAME: BUS },
  ),
  spec(
    "announce-run",
    "Publishes Backup Verification Completed with the run's outcome and report summary",
    [{ actions: ["events:PutEvents"], resources: [BUS] }],
    { EVENT_BUS_NAME: BUS },
  ),
  spec(
    "sweep-scratch",
    "Deletes scratch clusters older than a few hours that a crashed run left behind (only tagged scratch)",
    [
      scan,
      { actions: ["rds:DescribeDBClusters"], resources: [`${RDS}:cluster:*`] },
      describe[1] as IamStatement,
      deleteScratch,
    ],
    { TENANT_TABLE: TABLE },
    300,
  ),
  spec(
    "snapshot-tenant",
    "Takes a tenant's weekly manual snapshot (tagged with its 30-day retention) and prunes the expired ones",
    [
      {
        actions: ["rds:CreateDBClusterSnapshot", "rds:AddTagsToResource"],
        resources: [TENANT_CLUSTERS, WEEKLY_SNAPSHOTS],
      },
      { actions: ["rds:DescribeDBClusterSnapshots"], resources: [TENANT_CLUSTERS, SNAPSHOTS] },
      {
        actions: ["rds:DeleteDBClusterSnapshot"],
        resources: [WEEKLY_SNAPSHOTS],
        conditions: { StringEquals: { "aws:ResourceTag/cplane:weekly": "true" } },
      },
    ],
  ),
] as const satisfies readonly FunctionSpec[];
