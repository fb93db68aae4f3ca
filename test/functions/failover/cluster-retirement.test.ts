/**
 * Retiring a tenant cluster that may hold writes no copy has (lib/cluster-retirement.ts: the failover's
 * re-establishing and region clearing share it): which snapshot counts as its kept copy, the snapshot
 * taken when none does, the deletion once it is available, and a cluster of another tenant refused.
 */
import {
  CreateDBClusterSnapshotCommand,
  type DBCluster,
  type DBClusterSnapshot,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { retireCluster } from "../../../functions/failover/lib/cluster-retirement.ts";
import { TENANT_ID } from "../tenant/support.ts";

const rds = mockClient(RDSClient);
const owner = { slug: "acme", tenantId: TENANT_ID };
const TAGS = [
  { Key: "cplane:tenant", Value: "acme" },
  { Key: "cplane:tenant-id", Value: TENANT_ID },
];
const cluster: DBCluster = {
  DBClusterIdentifier: "tenant-acme",
  Status: "available",
  DeletionProtection: true,
  ClusterCreateTime: new Date("2026-11-20T10:00:00Z"),
  TagList: TAGS,
};
const since = cluster.ClusterCreateTime?.toISOString() ?? "";
const inputs = (command: Parameters<typeof rds.commandCalls>[0]) =>
  rds.commandCalls(command).map((call) => call.args[0].input);
const snapshot = (id: string, at: string, status = "available"): DBClusterSnapshot => ({
  DBClusterSnapshotIdentifier: id,
  DBClusterIdentifier: "tenant-acme",
  SnapshotCreateTime: new Date(at),
  Status: status,
});

const snapshotsThere = (...snapshots: DBClusterSnapshot[]) =>
  rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: snapshots });
/** The cluster retired as re-establishing does (`final` false) or as region clearing does. */
const retire = (final: boolean) => retireCluster("us-west-2", cluster, owner, { after: since, final });

beforeEach(() => {
  rds.reset();
  rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster] });
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [{ DBInstanceIdentifier: "tenant-acme-1", DBInstanceStatus: "available" }],
  });
  rds.on(CreateDBClusterSnapshotCommand).resolves({});
  rds.on(ModifyDBClusterCommand).resolves({});
  rds.on(DeleteDBInstanceCommand).resolves({});
  rds.on(DeleteDBClusterCommand).resolves({});
});

describe("retireCluster", () => {
  it("takes a -stale- snapshot when the only one there is older than the cluster (an earlier cluster's)", async () => {
    // Prepare: a -stale- snapshot an earlier failover took of an earlier cluster of this identifier
    snapshotsThere(snapshot("tenant-acme-stale-20260101-000000", "2026-01-01T00:00:00Z"));

    // Act
    const retired = await retire(false);

    // Assess: a new snapshot of this cluster, with its tags; nothing deleted
    expect(retired).toMatchObject({
      state: "snapshotting",
      snapshot: expect.stringMatching(/^tenant-acme-stale-/),
    });
    expect(inputs(CreateDBClusterSnapshotCommand)).toEqual([
      {
        DBClusterIdentifier: "tenant-acme",
        DBClusterSnapshotIdentifier: (retired as { snapshot: string }).snapshot,
        Tags: TAGS,
      },
    ]);
    expect(inputs(DescribeDBClusterSnapshotsCommand)).toEqual([
      {
        DBClusterIdentifier: "tenant-acme",
        SnapshotType: "manual",
      },
    ]);
    expect(inputs(DeleteDBClusterCommand)).toEqual([]);
  });

  it("counts the tenant's final snapshot only where the caller says offboarding took it", async () => {
    snapshotsThere(snapshot("tenant-acme-final", "2026-11-21T10:00:00Z"));

    const reestablishing = await retire(false);
    const offboarded = await retire(true);

    expect(reestablishing.state).toBe("snapshotting");
    expect(offboarded).toMatchObject({ state: "removed", kept: "tenant-acme-final" });
  });

  it("waits while the kept snapshot is being made", async () => {
    snapshotsThere(snapshot("tenant-acme-stale-20261122-100000", "2026-11-22T10:00:00Z", "creating"));

    const retired = await retire(false);

    expect(retired).toEqual({
      state: "waiting",
      reason: "snapshot tenant-acme-stale-20261122-100000 is creating",
    });
    expect(inputs(ModifyDBClusterCommand)).toEqual([]);
    expect(inputs(CreateDBClusterSnapshotCommand)).toEqual([]);
  });

  it("once its kept snapshot is available: protection off, its instances, then the cluster", async () => {
    snapshotsThere(snapshot("tenant-acme-stale-20261122-100000", "2026-11-22T10:00:00Z"));

    const retired = await retire(false);

    expect(retired).toEqual({
      state: "removed",
      removed: ["db-instance:tenant-acme-1", "db-cluster:tenant-acme"],
      kept: "tenant-acme-stale-20261122-100000",
    });
    expect(inputs(ModifyDBClusterCommand)).toEqual([
      {
        DBClusterIdentifier: "tenant-acme",
        DeletionProtection: false,
        ApplyImmediately: true,
      },
    ]);
    expect(inputs(DeleteDBInstanceCommand)).toEqual([{ DBInstanceIdentifier: "tenant-acme-1" }]);
    expect(inputs(DeleteDBClusterCommand)).toEqual([
      {
        DBClusterIdentifier: "tenant-acme",
        SkipFinalSnapshot: true,
      },
    ]);
  });

  it("waits when the cluster is refused while its instances are still going", async () => {
    snapshotsThere(snapshot("tenant-acme-stale-20261122-100000", "2026-11-22T10:00:00Z"));
    rds.on(DeleteDBClusterCommand).rejects(
      Object.assign(new Error("Cluster cannot be deleted, it still contains DB instances"), {
        name: "InvalidDBClusterStateFault",
      }),
    );

    const retired = await retire(false);

    expect(retired).toMatchObject({
      state: "waiting",
      reason: expect.stringContaining("tenant-acme in us-west-2: DB cluster tenant-acme cannot be deleted"),
    });
  });

  it("refuses a cluster tagged for another tenant id, before anything changes", async () => {
    const foreign = {
      ...cluster,
      TagList: [
        { Key: "cplane:tenant", Value: "acme" },
        { Key: "cplane:tenant-id", Value: "someone-else" },
      ],
    };

    await expect(
      retireCluster("us-west-2", foreign, owner, { after: since, final: true }),
    ).rejects.toMatchObject({ name: "ResourceOwnedByAnotherTenantError" });
    expect(rds.calls()).toHaveLength(0);
  });
});
