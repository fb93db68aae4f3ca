/**
 * The backup steps at the AWS boundary: exact RDS inputs for the restore into scratch (isolated,
 * tagged, never public, no deletion protection), adopting a retry's own scratch, refusing someone
 * else's, quota refusals named; cleanup deleting only this execution's scratch; the policy's reads and
 * verdicts; the weekly snapshot and its pruning by age.
 */
import {
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler as checkPolicy } from "../../../functions/backup/check-policy.ts";
import { handler as deleteScratch } from "../../../functions/backup/delete-scratch.ts";
import { scratchNames } from "../../../functions/backup/lib/names.ts";
import { handler as restoreScratch } from "../../../functions/backup/restore-scratch.ts";
import { handler as snapshotTenant } from "../../../functions/backup/snapshot-tenant.ts";
import { lambdaContext } from "../../support/context.ts";
import { awsError } from "../tenant/support.ts";

const rds = mockClient(RDSClient);
const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:backup-verification:night-1";
const OTHER = "arn:aws:states:us-east-1:123456789012:execution:backup-verification:night-0";
const target = {
  slug: "acme",
  tenantId: "t-1",
  tier: "premium" as const,
  region: "us-east-1",
  clusterIdentifier: "tenant-acme",
  rtoSeconds: 300,
};
const names = scratchNames("acme", EXECUTION);
const SCRATCH_ARN = `arn:aws:rds:us-east-1:123456789012:cluster:${names.cluster}`;
const snapshotSource = {
  kind: "snapshot" as const,
  snapshotIdentifier: "rds:tenant-acme-2026-03-01-03-00",
  snapshotArn: "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:tenant-acme-2026-03-01-03-00",
  asOf: "2026-03-01T03:00:00.000Z",
};
const scratchTags = (execution: string, created: string) => [
  { Key: "cplane:scratch", Value: "true" },
  { Key: "cplane:execution", Value: execution },
  { Key: "cplane:tenant", Value: "acme" },
  { Key: "cplane:scratch-created", Value: created },
];

beforeEach(() => {
  rds.reset();
  delete process.env.SCRATCH_DB_SUBNET_GROUP;
  delete process.env.SCRATCH_SECURITY_GROUP_IDS;
});

describe("restore-scratch", () => {
  it("restores the snapshot into an isolated, tagged scratch cluster and a private instance", async () => {
    // Prepare
    process.env.SCRATCH_DB_SUBNET_GROUP = "cplane-prod-scratch";
    process.env.SCRATCH_SECURITY_GROUP_IDS = "sg-scratch";
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
    rds.on(RestoreDBClusterFromSnapshotCommand).resolves({ DBCluster: { DBClusterArn: SCRATCH_ARN } });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rds.on(CreateDBInstanceCommand).resolves({});

    // Act
    const result = await restoreScratch(
      { target, restoreFrom: snapshotSource, executionArn: EXECUTION },
      lambdaContext(),
    );

    // Assess
    const tags = scratchTags(EXECUTION, result.requestedAt);
    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: names.cluster,
      SnapshotIdentifier: "rds:tenant-acme-2026-03-01-03-00",
      Engine: "aurora-postgresql",
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      DBSubnetGroupName: "cplane-prod-scratch",
      VpcSecurityGroupIds: ["sg-scratch"],
      Tags: tags,
    });
    expect(rds.commandCalls(CreateDBInstanceCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: names.instance,
      DBClusterIdentifier: names.cluster,
      Engine: "aurora-postgresql",
      DBInstanceClass: "db.r6g.large",
      PubliclyAccessible: false,
      Tags: tags,
    });
    expect(result).toMatchObject({
      clusterIdentifier: names.cluster,
      clusterArn: SCRATCH_ARN,
      created: true,
    });
  });

  it("adopts its own scratch cluster on a retry, keeping the first request's time", async () => {
    const created = "2026-03-01T03:10:00.000Z";
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterArn: SCRATCH_ARN, TagList: scratchTags(EXECUTION, created) }],
    });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: names.instance }] });

    const result = await restoreScratch(
      { target, restoreFrom: snapshotSource, executionArn: EXECUTION },
      lambdaContext(),
    );

    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)).toHaveLength(0);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
    expect(result).toMatchObject({ created: false, requestedAt: created });
  });

  it("refuses a cluster of its name that another execution made", async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterArn: SCRATCH_ARN, TagList: scratchTags(OTHER, "2026-03-01T03:10:00.000Z") }],
    });

    await expect(
      restoreScratch({ target, restoreFrom: snapshotSource, executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toMatchObject({ name: "ScratchNotOursError" });
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });

  it("names a quota refusal RestoreQuotaExceededError (which the state machine retries)", async () => {
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
    rds.on(RestoreDBClusterFromSnapshotCommand).rejects(awsError("DBClusterQuotaExceededFault"));

    await expect(
      restoreScratch({ target, restoreFrom: snapshotSource, executionArn: EXECUTION }, lambdaContext()),
    ).rejects.toMatchObject({ name: "RestoreQuotaExceededError", retryable: true });
  });
});

describe("delete-scratch", () => {
  const input = { slug: "acme", region: "us-east-1", executionArn: EXECUTION };

  it("deletes this execution's scratch instance, then the cluster, without a final snapshot", async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: names.cluster, Status: "available", TagList: scratchTags(EXECUTION, "x") },
      ],
    });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: names.instance,
          DBInstanceStatus: "available",
          TagList: scratchTags(EXECUTION, "x"),
        },
      ],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});

    const result = await deleteScratch(input, lambdaContext());

    expect(rds.commandCalls(DeleteDBInstanceCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: names.instance,
    });
    expect(rds.commandCalls(DeleteDBClusterCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: names.cluster,
      SkipFinalSnapshot: true,
    });
    expect(result.removed).toEqual([names.instance, names.cluster]);
  });

  it("leaves a cluster of its name that is not this execution's scratch", async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: names.cluster,
          Status: "available",
          TagList: [{ Key: "cplane:tenant", Value: "acme" }],
        },
      ],
    });

    await expect(deleteScratch(input, lambdaContext())).rejects.toMatchObject({
      name: "ScratchNotOursError",
    });
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it("says busy (retryable) while the restore still runs, having deleted the instance", async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: names.cluster, Status: "creating", TagList: scratchTags(EXECUTION, "x") },
      ],
    });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: names.instance,
          DBInstanceStatus: "creating",
          TagList: scratchTags(EXECUTION, "x"),
        },
      ],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});

    await expect(deleteScratch(input, lambdaContext())).rejects.toMatchObject({
      name: "ScratchBusyError",
      retryable: true,
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(0);
  });

  it("has nothing to do when no scratch cluster was made", async () => {
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));

    expect(await deleteScratch(input, lambdaContext())).toEqual({ removed: [] });
  });
});

describe("check-policy", () => {
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

  it("reads the cluster and its snapshots, passes a healthy tenant and restores from the newest snapshot", async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterArn: "arn:cluster:tenant-acme",
          BackupRetentionPeriod: 30,
          StorageEncrypted: true,
          MasterUserSecret: { SecretArn: "arn:secret:rds!cluster-1" },
        },
      ],
    });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: "automated" }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: "rds:old",
          Status: "available",
          SnapshotCreateTime: hoursAgo(30),
          StorageEncrypted: true,
        },
        {
          DBClusterSnapshotIdentifier: "rds:new",
          DBClusterSnapshotArn: "arn:snap:new",
          Status: "available",
          SnapshotCreateTime: hoursAgo(5),
          StorageEncrypted: true,
        },
      ],
    });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: "manual" }).resolves({
      DBClusterSnapshots: [
        { DBClusterSnapshotIdentifier: "weekly-1", Status: "available", SnapshotCreateTime: hoursAgo(48) },
      ],
    });

    const result = await checkPolicy({ target, pointInTime: null, executionArn: EXECUTION }, lambdaContext());

    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      { DBClusterIdentifier: "tenant-acme", SnapshotType: "automated" },
      {
        DBClusterIdentifier: "tenant-acme",
        SnapshotType: "manual",
        Filters: [{ Name: "tag:cplane:weekly", Values: ["true"] }],
      },
    ]);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.restoreFrom).toMatchObject({ kind: "snapshot", snapshotIdentifier: "rds:new" });
    expect(result.source).toEqual({
      clusterArn: "arn:cluster:tenant-acme",
      masterSecretArn: "arn:secret:rds!cluster-1",
    });
  });

  it("fails age, retention, encryption and the weekly snapshot with their values", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ BackupRetentionPeriod: 7, StorageEncrypted: false }] });
    rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: "automated" }).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: "rds:old",
          Status: "available",
          SnapshotCreateTime: hoursAgo(30),
          StorageEncrypted: false,
        },
      ],
    });
    rds
      .on(DescribeDBClusterSnapshotsCommand, { SnapshotType: "manual" })
      .resolves({ DBClusterSnapshots: [] });

    const result = await checkPolicy({ target, pointInTime: null, executionArn: EXECUTION }, lambdaContext());

    expect(result.checks.filter((c) => !c.ok)).toEqual([
      { check: "snapshot-age", ok: false, values: { snapshotId: "rds:old", ageHours: 30, maxAgeHours: 26 } },
      { check: "retention", ok: false, values: { retentionDays: 7, requiredDays: 30 } },
      { check: "encryption", ok: false, values: { cluster: false, snapshot: false } },
      { check: "weekly-snapshot", ok: false, values: { snapshotId: null, ageDays: null, maxAgeDays: 7 } },
    ]);
  });
});

describe("snapshot-tenant", () => {
  it("takes the weekly snapshot tagged with its retention and prunes only expired weekly ones", async () => {
    const day = 86_400_000;
    rds.on(CreateDBClusterSnapshotCommand).resolves({});
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: "weekly-tenant-acme-old",
          Status: "available",
          SnapshotCreateTime: new Date(Date.now() - 31 * day),
          TagList: [{ Key: "cplane:retention-days", Value: "30" }],
        },
        {
          DBClusterSnapshotIdentifier: "weekly-tenant-acme-recent",
          Status: "available",
          SnapshotCreateTime: new Date(Date.now() - 7 * day),
          TagList: [{ Key: "cplane:retention-days", Value: "30" }],
        },
      ],
    });
    rds.on(DeleteDBClusterSnapshotCommand).resolves({});

    const result = await snapshotTenant({ target, executionArn: EXECUTION }, lambdaContext());

    const id = `weekly-tenant-acme-${new Date().toISOString().slice(0, 10)}`;
    expect(rds.commandCalls(CreateDBClusterSnapshotCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
      DBClusterSnapshotIdentifier: id,
      Tags: [
        { Key: "cplane:weekly", Value: "true" },
        { Key: "cplane:retention-days", Value: "30" },
        { Key: "cplane:tenant", Value: "acme" },
      ],
    });
    expect(rds.commandCalls(DeleteDBClusterSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { DBClusterSnapshotIdentifier: "weekly-tenant-acme-old" },
    ]);
    expect(result).toEqual({ snapshot: id, created: true, pruned: ["weekly-tenant-acme-old"] });
  });
});
