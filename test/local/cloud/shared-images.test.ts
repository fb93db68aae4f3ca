/**
 * Snapshots, copies and restores of data that did not change share one database image (one file on
 * save) instead of one copy each; what shares it still reads its own data after a restart.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CopyDBClusterSnapshotCommand,
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
import { bindLocalCloud, createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { Clock } from "../../../local/clock/clock.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createLocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

const opened: LocalCloud[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const cloud of opened.splice(0)) await stopCloud(cloud);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const rds = () => createAwsClient(RDSClient, { region: "us-east-1" });
const data = () => createAwsClient(RDSDataClient, { region: "us-east-1" });
const ARN = "arn:aws:rds:us-east-1:123456789012";

async function available(clock: Clock, id: string): Promise<void> {
  await waitUntil(
    clock,
    async () =>
      (await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0]
        ?.Status === "available",
  );
}

async function snapshotAvailable(clock: Clock, id: string): Promise<void> {
  await waitUntil(
    clock,
    async () =>
      (await rds().send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id })))
        .DBClusterSnapshots?.[0]?.Status === "available",
  );
}

describe("database images", { timeout: 180_000 }, () => {
  it("are shared by snapshots of unchanged data, their copies and restores: one file, each reads its data", async () => {
    // Prepare: a cluster with rows
    const dir = await mkdtemp(join(tmpdir(), "cplane-share-"));
    dirs.push(dir);
    const { cloud, clock } = startCloud({ dataDir: dir });
    opened.push(cloud);
    const created = await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "tenant-share",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
        ManageMasterUserPassword: true,
        EnableHttpEndpoint: true,
      }),
    );
    await rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "tenant-share-1",
        DBClusterIdentifier: "tenant-share",
        DBInstanceClass: "db.serverless",
        Engine: "aurora-postgresql",
      }),
    );
    await available(clock, "tenant-share");
    const secretArn = created.DBCluster?.MasterUserSecret?.SecretArn;
    await data().send(
      new ExecuteStatementCommand({
        resourceArn: created.DBCluster?.DBClusterArn,
        secretArn,
        sql: "create table t (id int); insert into t select generate_series(1, 42)",
      }),
    );

    // Act: two snapshots with no write between, a copy, a restore; then a save
    for (const id of ["one", "two"]) {
      await rds().send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: "tenant-share",
          DBClusterSnapshotIdentifier: id,
        }),
      );
      await snapshotAvailable(clock, id);
    }
    await rds().send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: "two",
        TargetDBClusterSnapshotIdentifier: "three",
      }),
    );
    await snapshotAvailable(clock, "three");
    await rds().send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: "restored",
        SnapshotIdentifier: "three",
        Engine: "aurora-postgresql",
      }),
    );
    await rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "restored-1",
        DBClusterIdentifier: "restored",
        DBInstanceClass: "db.serverless",
        Engine: "aurora-postgresql",
      }),
    );
    await available(clock, "restored");
    await rds().send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: "restored", EnableHttpEndpoint: true }),
    );
    await cloud.save();

    // Assess: one image file for all five
    const saved = JSON.parse(await readFile(join(dir, "cloud.json"), "utf8")) as {
      services: { RDS: { files: Record<string, string> } };
    };
    const files = saved.services.RDS.files;
    const keys = [
      `${ARN}:cluster:tenant-share`,
      `${ARN}:cluster-snapshot:one`,
      `${ARN}:cluster-snapshot:two`,
      `${ARN}:cluster-snapshot:three`,
      `${ARN}:cluster:restored`,
    ];
    expect(new Set(keys.map((key) => files[key])).size).toBe(1);
    expect(files[keys[0] ?? ""]).toBeDefined();
    expect(await readdir(join(dir, "rds"))).toHaveLength(1);

    // ...and after a restart the restored cluster reads the rows it was restored with.
    const second = createLocalCloud({ clock, dataDir: dir });
    await cloud.close();
    opened.splice(0);
    opened.push(second);
    bindLocalCloud(second);
    expect(await second.load()).toBe(true);
    const count = await data().send(
      new ExecuteStatementCommand({
        resourceArn: `${ARN}:cluster:restored`,
        secretArn,
        sql: "select count(*)::int as n from t",
      }),
    );
    expect(count.records).toEqual([[{ longValue: 42 }]]);
  });
});
