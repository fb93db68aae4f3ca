import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import {
  BeginTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from "@aws-sdk/client-rds-data";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { Clock } from "../../../local/clock/clock.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

const PERIOD = 300_000;
const rds = () => createAwsClient(RDSClient, { region: "us-east-1" });
const data = () => createAwsClient(RDSDataClient, { region: "us-east-1" });
const cloudwatch = () => createAwsClient(CloudWatchClient, { region: "us-east-1" });

let cloud: LocalCloud | undefined;
const dirs: string[] = [];

afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function clusterWithTable(clock: Clock): Promise<{ resourceArn: string; secretArn: string }> {
  const out = await rds().send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: "busy",
      Engine: "aurora-postgresql",
      MasterUsername: "postgres",
      ManageMasterUserPassword: true,
      EnableHttpEndpoint: true,
    }),
  );
  await rds().send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: "busy-1",
      DBClusterIdentifier: "busy",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
    }),
  );
  await waitUntil(
    clock,
    async () =>
      (await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: "busy" }))).DBClusters?.[0]
        ?.Status === "available",
  );
  const target = {
    resourceArn: out.DBCluster?.DBClusterArn ?? "",
    secretArn: out.DBCluster?.MasterUserSecret?.SecretArn ?? "",
  };
  await data().send(new ExecuteStatementCommand({ ...target, sql: "create table t (n int)" }));
  return target;
}

/** The cluster's VolumeWriteIOPs sums per 5 minutes over [start, end), oldest first. */
async function volumeWrites(cluster: string, start: number, end: number) {
  const { MetricDataResults } = await cloudwatch().send(
    new GetMetricDataCommand({
      StartTime: new Date(start),
      EndTime: new Date(end),
      ScanBy: "TimestampAscending",
      MetricDataQueries: [
        {
          Id: "w",
          MetricStat: {
            Metric: {
              Namespace: "AWS/RDS",
              MetricName: "VolumeWriteIOPs",
              Dimensions: [{ Name: "DBClusterIdentifier", Value: cluster }],
            },
            Period: 300,
            Stat: "Sum",
          },
        },
      ],
    }),
  );
  const result = MetricDataResults?.[0];
  return (result?.Timestamps ?? []).map((t, i) => [t.getTime(), result?.Values?.[i]] as const);
}

describe("AWS/RDS VolumeWriteIOPs of a local cluster", () => {
  it("reports the Data API's committed writes per ended 5-minute period, zeros included, and nothing for reads or rollbacks", async () => {
    // Prepare: a cluster written to in one period, then only read and rolled back in the next.
    const started = startCloud();
    cloud = started.cloud;
    const { clock } = started;
    const target = await clusterWithTable(clock);
    await clock.sleep(PERIOD - (clock.now() % PERIOD) + 1_000);
    const written = clock.now() - (clock.now() % PERIOD);
    await data().send(new ExecuteStatementCommand({ ...target, sql: "insert into t values (1), (2)" }));
    await data().send(new ExecuteStatementCommand({ ...target, sql: "update t set n = n + 1" }));
    await clock.sleep(PERIOD);
    await data().send(new ExecuteStatementCommand({ ...target, sql: "select * from t" }));
    const { transactionId } = await data().send(new BeginTransactionCommand(target));
    await data().send(new ExecuteStatementCommand({ ...target, transactionId, sql: "delete from t" }));
    await data().send(new RollbackTransactionCommand({ ...target, transactionId }));
    await clock.sleep(2 * PERIOD);

    // Act
    const points = await volumeWrites("busy", written - 2 * PERIOD, clock.now());

    // Assess: the period of the two writes says 2, the two after it 0; the period still running has
    // no datapoint yet, and the periods before the cluster existed none.
    const ended = clock.now() - (clock.now() % PERIOD);
    expect(points.filter(([t]) => t >= written)).toEqual([
      [written, 2],
      [written + PERIOD, 0],
      [written + 2 * PERIOD, 0],
    ]);
    expect(points.at(-1)?.[0]).toBe(ended - PERIOD);
    expect(await volumeWrites("no-such-cluster", written, clock.now())).toEqual([]);
  });

  it("keeps the count of writes across a save and load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cplane-writes-"));
    dirs.push(dir);
    const started = startCloud({ dataDir: dir });
    cloud = started.cloud;
    const target = await clusterWithTable(started.clock);
    const at = started.clock.now();
    await data().send(new ExecuteStatementCommand({ ...target, sql: "insert into t values (1)" }));
    await started.clock.sleep(2 * PERIOD);
    const before = await volumeWrites("busy", at - PERIOD, started.clock.now());
    await cloud.save();
    await stopCloud(cloud);

    const again = startCloud({ dataDir: dir, clock: undefined });
    cloud = again.cloud;
    await again.cloud.load();
    await again.clock.sleep(started.clock.now() - again.clock.now());
    const after = await volumeWrites("busy", at - PERIOD, started.clock.now());

    expect(before.some(([, n]) => (n ?? 0) > 0)).toBe(true);
    expect(after).toEqual(before);
  });
});
