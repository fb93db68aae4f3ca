/**
 * Issue 5's "Done when" script: create a cluster, write rows through the Data API, snapshot, restore
 * into a new cluster and read the rows back, on the instant clock.
 */
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  ModifyDBClusterCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
} from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

describe("the Data API round trip through a snapshot", () => {
  it("reads back, from a cluster restored from a snapshot, the rows written before it", async () => {
    // Prepare
    const started = startCloud();
    cloud = started.cloud;
    const { clock } = started;
    const rds = createAwsClient(RDSClient, { region: "us-east-1" });
    const data = createAwsClient(RDSDataClient, { region: "us-east-1" });
    const available = (id: string) => async () => {
      const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
      return out.DBClusters?.[0]?.Status === "available";
    };
    const created = await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "tenant-acme",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
        ManageMasterUserPassword: true,
        EnableHttpEndpoint: true,
        StorageEncrypted: true,
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "tenant-acme-1",
        DBClusterIdentifier: "tenant-acme",
        DBInstanceClass: "db.serverless",
        Engine: "aurora-postgresql",
      }),
    );
    const creationMs = await waitUntil(clock, available("tenant-acme"));
    const resourceArn = created.DBCluster?.DBClusterArn ?? "";
    const secretArn = created.DBCluster?.MasterUserSecret?.SecretArn ?? "";

    await data.send(
      new ExecuteStatementCommand({
        resourceArn,
        secretArn,
        sql: "create table orders (id int primary key, customer text not null, total numeric(10,2), placed_at timestamptz)",
      }),
    );
    for (const [id, customer, total] of [
      [1, "ada", "10.50"],
      [2, "grace", "99.99"],
      [3, "linus", "0.01"],
    ] as const) {
      await data.send(
        new ExecuteStatementCommand({
          resourceArn,
          secretArn,
          sql: "insert into orders values (:id, :customer, :total, :at)",
          parameters: [
            { name: "id", value: { longValue: id } },
            { name: "customer", value: { stringValue: customer } },
            { name: "total", value: { stringValue: total }, typeHint: "DECIMAL" },
            { name: "at", value: { stringValue: "2026-03-01 12:00:00" }, typeHint: "TIMESTAMP" },
          ],
        }),
      );
    }

    // Act
    await rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: "tenant-acme",
        DBClusterSnapshotIdentifier: "acme-manual-1",
      }),
    );
    await waitUntil(clock, async () => {
      const out = await rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: "acme-manual-1" }),
      );
      return out.DBClusterSnapshots?.[0]?.Status === "available";
    });
    // Rows written after the snapshot must not appear in the restore.
    await data.send(
      new ExecuteStatementCommand({
        resourceArn,
        secretArn,
        sql: "insert into orders values (4, 'late', 1, now())",
      }),
    );
    const restored = await rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: "acme-verify",
        SnapshotIdentifier: "acme-manual-1",
        Engine: "aurora-postgresql",
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "acme-verify-1",
        DBClusterIdentifier: "acme-verify",
        DBInstanceClass: "db.serverless",
        Engine: "aurora-postgresql",
      }),
    );
    const restoreMs = await waitUntil(clock, available("acme-verify"));
    // As on AWS, a restored cluster needs its Data API endpoint enabled again.
    await rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: "acme-verify", EnableHttpEndpoint: true }),
    );
    const read = await data.send(
      new ExecuteStatementCommand({
        resourceArn: restored.DBCluster?.DBClusterArn,
        secretArn,
        sql: "select id, customer, total, placed_at from orders order by id",
        includeResultMetadata: true,
      }),
    );

    // Assess
    expect(creationMs).toBeGreaterThanOrEqual(8 * 60_000);
    expect(restoreMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(read.records).toEqual([
      [
        { longValue: 1 },
        { stringValue: "ada" },
        { stringValue: "10.50" },
        { stringValue: "2026-03-01 12:00:00" },
      ],
      [
        { longValue: 2 },
        { stringValue: "grace" },
        { stringValue: "99.99" },
        { stringValue: "2026-03-01 12:00:00" },
      ],
      [
        { longValue: 3 },
        { stringValue: "linus" },
        { stringValue: "0.01" },
        { stringValue: "2026-03-01 12:00:00" },
      ],
    ]);
    expect(read.columnMetadata?.map((c) => c.typeName)).toEqual(["int4", "text", "numeric", "timestamptz"]);
  });
});
