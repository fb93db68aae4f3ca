import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateGlobalClusterCommand,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  ListTagsForResourceCommand,
  RDSClient,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { Clock } from "../../../local/clock/clock.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

const rds = (region: string) => createAwsClient(RDSClient, { region });
const data = (region: string) => createAwsClient(RDSDataClient, { region });

async function globalDatabase(clock: Clock) {
  const primary = await rds("us-east-1").send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: "platform",
      Engine: "aurora-postgresql",
      MasterUsername: "postgres",
      EnableHttpEndpoint: true,
    }),
  );
  await rds("us-east-1").send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: "platform-1",
      DBClusterIdentifier: "platform",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
    }),
  );
  await waitUntil(
    clock,
    async () =>
      (await rds("us-east-1").send(new DescribeDBClustersCommand({ DBClusterIdentifier: "platform" })))
        .DBClusters?.[0]?.Status === "available",
  );
  await rds("us-east-1").send(
    new CreateGlobalClusterCommand({
      GlobalClusterIdentifier: "platform-global",
      SourceDBClusterIdentifier: primary.DBCluster?.DBClusterArn,
    }),
  );
  const secondary = await rds("us-west-2").send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: "platform-dr",
      Engine: "aurora-postgresql",
      GlobalClusterIdentifier: "platform-global",
      EnableHttpEndpoint: true,
    }),
  );
  await rds("us-west-2").send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: "platform-dr-1",
      DBClusterIdentifier: "platform-dr",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
    }),
  );
  await waitUntil(
    clock,
    async () =>
      (await rds("us-west-2").send(new DescribeDBClustersCommand({ DBClusterIdentifier: "platform-dr" })))
        .DBClusters?.[0]?.Status === "available",
  );
  const east = await createAwsClient(SecretsManagerClient, { region: "us-east-1" }).send(
    new CreateSecretCommand({ Name: "platform-db", SecretString: "{}" }),
  );
  const west = await createAwsClient(SecretsManagerClient, { region: "us-west-2" }).send(
    new CreateSecretCommand({ Name: "platform-db", SecretString: "{}" }),
  );
  return {
    east: { resourceArn: primary.DBCluster?.DBClusterArn ?? "", secretArn: east.ARN ?? "" },
    west: { resourceArn: secondary.DBCluster?.DBClusterArn ?? "", secretArn: west.ARN ?? "" },
  };
}

const count = async (region: string, target: { resourceArn: string; secretArn: string }) =>
  (
    await data(region).send(
      new ExecuteStatementCommand({ ...target, sql: "select count(*)::int from events" }),
    )
  ).records?.[0]?.[0]?.longValue;

describe("Aurora global databases", () => {
  it("keep the tags they were created with, as IAM's resource-tag conditions read them", async () => {
    const started = startCloud();
    cloud = started.cloud;
    const created = await rds("us-east-1").send(
      new CreateGlobalClusterCommand({
        GlobalClusterIdentifier: "tenant-acme-global",
        Engine: "aurora-postgresql",
        Tags: [{ Key: "cplane:tenant", Value: "acme" }],
      }),
    );

    const tags = await rds("us-east-1").send(
      new ListTagsForResourceCommand({ ResourceName: created.GlobalCluster?.GlobalClusterArn }),
    );

    expect(tags.TagList).toEqual([{ Key: "cplane:tenant", Value: "acme" }]);
  });

  it("detach their writer only once it is the last member", async () => {
    const started = startCloud();
    cloud = started.cloud;
    const { east, west } = await globalDatabase(started.clock);
    const detach = (region: string, arn: string) =>
      rds(region).send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: "platform-global",
          DbClusterIdentifier: arn,
        }),
      );

    await expect(detach("us-east-1", east.resourceArn)).rejects.toMatchObject({
      name: "InvalidGlobalClusterStateFault",
    });
    await detach("us-west-2", west.resourceArn);
    await detach("us-east-1", east.resourceArn);

    const { GlobalClusters } = await rds("us-east-1").send(
      new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: "platform-global" }),
    );
    expect(GlobalClusters?.[0]?.GlobalClusterMembers).toEqual([]);
  });

  it("report the secondary's replication lag every minute, and none while the writer's region is down", async () => {
    // Prepare
    const started = startCloud({ durations: { replicationLag: 2_000 } });
    cloud = started.cloud;
    const { clock } = started;
    await globalDatabase(clock);
    await clock.sleep(5 * 60_000);
    const downFrom = clock.now();
    started.cloud.faults.regionDown("us-east-1");
    await clock.sleep(3 * 60_000);
    started.cloud.faults.regionUp("us-east-1");
    const upFrom = clock.now();
    await clock.sleep(2 * 60_000);

    // Act
    const lag = async (cluster: string, region: string) => {
      const { MetricDataResults } = await createAwsClient(CloudWatchClient, { region }).send(
        new GetMetricDataCommand({
          StartTime: new Date(downFrom - 5 * 60_000),
          EndTime: new Date(clock.now()),
          ScanBy: "TimestampAscending",
          MetricDataQueries: [
            {
              Id: "lag",
              MetricStat: {
                Metric: {
                  Namespace: "AWS/RDS",
                  MetricName: "AuroraGlobalDBRPOLag",
                  Dimensions: [{ Name: "DBClusterIdentifier", Value: cluster }],
                },
                Period: 60,
                Stat: "Maximum",
              },
            },
          ],
        }),
      );
      const result = MetricDataResults?.[0];
      return (result?.Timestamps ?? []).map((t, i) => [t.getTime(), result?.Values?.[i]] as const);
    };
    const secondary = await lag("platform-dr", "us-west-2");

    // Assess: a datapoint of 2,000 ms a minute, none for the minutes of the outage; the writer has none.
    expect(secondary.length).toBeGreaterThan(5);
    expect(secondary.every(([, v]) => v === 2_000)).toBe(true);
    expect(secondary.filter(([t]) => t >= downFrom && t < upFrom - 60_000)).toEqual([]);
    expect(secondary.some(([t]) => t >= upFrom)).toBe(true);
    expect(await lag("platform", "us-east-1")).toEqual([]);
  });

  it("replicate the primary's writes to a read-only secondary after the lag", async () => {
    const started = startCloud({ durations: { replicationLag: 2_000 } });
    cloud = started.cloud;
    const { east, west } = await globalDatabase(started.clock);

    await data("us-east-1").send(
      new ExecuteStatementCommand({ ...east, sql: "create table events (id serial primary key, body text)" }),
    );
    await data("us-east-1").send(
      new ExecuteStatementCommand({ ...east, sql: "insert into events (body) values ('a'), ('b')" }),
    );
    await started.clock.sleep(2_500);
    const replicated = await count("us-west-2", west);
    const readOnly = await data("us-west-2")
      .send(new ExecuteStatementCommand({ ...west, sql: "insert into events (body) values ('x')" }))
      .catch((e: unknown) => e);
    const described = await rds("us-east-1").send(
      new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: "platform-global" }),
    );

    expect(replicated).toBe(2);
    expect(readOnly).toMatchObject({ name: "DatabaseErrorException" });
    expect((readOnly as Error).message).toContain("read-only transaction");
    expect(described.GlobalClusters?.[0]?.GlobalClusterMembers?.map((m) => m.IsWriter)).toEqual([
      true,
      false,
    ]);
  });

  it("switches over without losing writes, and fails over with AllowDataLoss losing what had not arrived", async () => {
    const started = startCloud({ durations: { replicationLag: 60_000 } });
    cloud = started.cloud;
    const { east, west } = await globalDatabase(started.clock);
    await data("us-east-1").send(
      new ExecuteStatementCommand({ ...east, sql: "create table events (id serial primary key, body text)" }),
    );
    await started.clock.sleep(61_000);

    // A switchover delivers writes in flight before the roles change.
    await data("us-east-1").send(
      new ExecuteStatementCommand({ ...east, sql: "insert into events (body) values ('before switchover')" }),
    );
    await rds("us-east-1").send(
      new SwitchoverGlobalClusterCommand({
        GlobalClusterIdentifier: "platform-global",
        TargetDbClusterIdentifier: west.resourceArn,
      }),
    );
    await waitUntil(
      started.clock,
      async () =>
        (
          await rds("us-east-1").send(
            new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: "platform-global" }),
          )
        ).GlobalClusters?.[0]?.Status === "available",
      { everyMs: 10_000 },
    );
    expect(await count("us-west-2", west)).toBe(1);

    // Now us-west-2 writes; its region fails with a write not yet replicated.
    await data("us-west-2").send(
      new ExecuteStatementCommand({ ...west, sql: "insert into events (body) values ('lost')" }),
    );
    cloud.faults.regionDown("us-west-2");
    await expect(
      rds("us-east-1").send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: "platform-global",
          TargetDbClusterIdentifier: east.resourceArn,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidGlobalClusterStateFault" });
    const failover = await rds("us-east-1").send(
      new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: "platform-global",
        TargetDbClusterIdentifier: east.resourceArn,
        AllowDataLoss: true,
      }),
    );
    await waitUntil(
      started.clock,
      async () =>
        (
          await rds("us-east-1").send(
            new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: "platform-global" }),
          )
        ).GlobalClusters?.[0]?.Status === "available",
      { everyMs: 10_000 },
    );

    expect(failover.GlobalCluster?.FailoverState).toMatchObject({
      Status: "failing-over",
      IsDataLossAllowed: true,
    });
    expect(await count("us-east-1", east)).toBe(1);
    await data("us-east-1").send(
      new ExecuteStatementCommand({ ...east, sql: "insert into events (body) values ('after failover')" }),
    );
    expect(await count("us-east-1", east)).toBe(2);
  });
});
