import {
  CopyDBClusterSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  ListTagsForResourceCommand,
  ModifyDBClusterCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
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

const rds = (region = "us-east-1") => createAwsClient(RDSClient, { region });
const status = async (id: string, region = "us-east-1") =>
  (await rds(region).send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0]
    ?.Status;

async function cluster(
  clock: Clock,
  id: string,
  extra: Partial<ConstructorParameters<typeof CreateDBClusterCommand>[0]> = {},
) {
  const out = await rds().send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: "aurora-postgresql",
      MasterUsername: "postgres",
      ManageMasterUserPassword: true,
      EnableHttpEndpoint: true,
      ...extra,
    }),
  );
  await rds().send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: `${id}-1`,
      DBClusterIdentifier: id,
      DBInstanceClass: "db.serverless",
      Engine: "aurora-postgresql",
    }),
  );
  await waitUntil(clock, async () => (await status(id)) === "available");
  return out.DBCluster;
}

describe("Aurora clusters", () => {
  it("go creating -> backing-up -> available over simulated minutes, with tags and a managed master secret", async () => {
    const started = startCloud();
    cloud = started.cloud;
    const seen: string[] = [];
    const created = await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "tenant-acme",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
        ManageMasterUserPassword: true,
        Tags: [{ Key: "tenant", Value: "acme" }],
      }),
    );

    const took = await waitUntil(started.clock, async () => {
      const s = (await status("tenant-acme")) ?? "";
      if (seen.at(-1) !== s) seen.push(s);
      return s === "available";
    });
    const secret = await createAwsClient(SecretsManagerClient).send(
      new GetSecretValueCommand({ SecretId: created.DBCluster?.MasterUserSecret?.SecretArn }),
    );
    const tags = await rds().send(
      new ListTagsForResourceCommand({ ResourceName: created.DBCluster?.DBClusterArn }),
    );
    const filtered = await rds().send(
      new DescribeDBClustersCommand({ Filters: [{ Name: "engine", Values: ["aurora-postgresql"] }] }),
    );

    expect(seen).toEqual(["creating", "backing-up", "available"]);
    expect(took).toBeGreaterThanOrEqual(10 * 60_000);
    expect(JSON.parse(secret.SecretString ?? "{}")).toMatchObject({ username: "postgres" });
    expect(tags.TagList).toEqual([{ Key: "tenant", Value: "acme" }]);
    expect(filtered.DBClusters?.map((c) => c.DBClusterIdentifier)).toEqual(["tenant-acme"]);
  });

  it("honours the durations a test sets", async () => {
    const started = startCloud({ durations: { auroraClusterCreate: 60_000, auroraInitialBackup: 0 } });
    cloud = started.cloud;
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "quick",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );

    const took = await waitUntil(started.clock, async () => (await status("quick")) === "available", {
      everyMs: 10_000,
    });

    expect(took).toBeLessThanOrEqual(70_000);
  });

  it("refuses duplicates, bad identifiers and unknown clusters with AWS's errors", async () => {
    const started = startCloud();
    cloud = started.cloud;
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "dup",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );

    await expect(
      rds().send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: "dup",
          Engine: "aurora-postgresql",
          MasterUsername: "postgres",
        }),
      ),
    ).rejects.toMatchObject({ name: "DBClusterAlreadyExistsFault" });
    await expect(
      rds().send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: "1bad--id",
          Engine: "aurora-postgresql",
          MasterUsername: "postgres",
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(
      rds().send(new ModifyDBClusterCommand({ DBClusterIdentifier: "dup", DeletionProtection: true })),
    ).rejects.toMatchObject({ name: "InvalidDBClusterStateFault" });
    await expect(
      rds().send(new DeleteDBClusterCommand({ DBClusterIdentifier: "ghost", SkipFinalSnapshot: true })),
    ).rejects.toMatchObject({ name: "DBClusterNotFoundFault" });
    // Regions are separate: the cluster does not exist in the secondary.
    await expect(
      rds("us-west-2").send(new DescribeDBClustersCommand({ DBClusterIdentifier: "dup" })),
    ).rejects.toMatchObject({ name: "DBClusterNotFoundFault" });
  });

  it("enforces deletion protection, refuses to delete a cluster with instances, and takes the final snapshot", async () => {
    const started = startCloud();
    cloud = started.cloud;
    await cluster(started.clock, "tenant-gone", { DeletionProtection: true });

    await expect(
      rds().send(new DeleteDBClusterCommand({ DBClusterIdentifier: "tenant-gone", SkipFinalSnapshot: true })),
    ).rejects.toMatchObject({ name: "InvalidParameterCombination" });
    await rds().send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: "tenant-gone", DeletionProtection: false }),
    );
    await expect(
      rds().send(new DeleteDBClusterCommand({ DBClusterIdentifier: "tenant-gone", SkipFinalSnapshot: true })),
    ).rejects.toMatchObject({ name: "InvalidDBClusterStateFault" });
    await rds().send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: "tenant-gone-1" }));
    await expect(
      rds().send(new DeleteDBClusterCommand({ DBClusterIdentifier: "tenant-gone" })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    const deleting = await rds().send(
      new DeleteDBClusterCommand({
        DBClusterIdentifier: "tenant-gone",
        FinalDBSnapshotIdentifier: "tenant-gone-final",
      }),
    );
    await waitUntil(started.clock, async () => (await status("tenant-gone").catch(() => "gone")) === "gone");
    const final = await rds().send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: "tenant-gone-final" }),
    );

    expect(deleting.DBCluster?.Status).toBe("deleting");
    expect(final.DBClusterSnapshots?.[0]).toMatchObject({
      SnapshotType: "manual",
      DBClusterIdentifier: "tenant-gone",
    });
  });

  it("takes automated snapshots daily and keeps them for the retention period", async () => {
    const started = startCloud();
    cloud = started.cloud;
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "daily",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
        BackupRetentionPeriod: 2,
      }),
    );

    await started.clock.sleep(5 * 24 * 60 * 60_000);
    const automated = await rds().send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: "daily", SnapshotType: "automated" }),
    );

    const ages = (automated.DBClusterSnapshots ?? []).map(
      (s) => (started.clock.now() - (s.SnapshotCreateTime?.getTime() ?? 0)) / 86_400_000,
    );
    expect(ages.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...ages)).toBeLessThanOrEqual(2.01);
    expect(automated.DBClusterSnapshots?.[0]?.DBClusterSnapshotIdentifier).toMatch(
      /^rds:daily-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/,
    );
  });

  it("copies a snapshot to the other region and restores it there with its data; a corrupted one loses rows", async () => {
    const started = startCloud();
    cloud = started.cloud;
    const source = await cluster(started.clock, "tenant-copy");
    const data = createAwsClient(RDSDataClient, { region: "us-east-1" });
    const target = { resourceArn: source?.DBClusterArn, secretArn: source?.MasterUserSecret?.SecretArn };
    await data.send(
      new ExecuteStatementCommand({
        ...target,
        sql: "create table t (id int); insert into t select generate_series(1, 100)",
      }),
    );
    await rds().send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: "tenant-copy",
        DBClusterSnapshotIdentifier: "copy-me",
      }),
    );
    await waitUntil(
      started.clock,
      async () =>
        (await rds().send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: "copy-me" })))
          .DBClusterSnapshots?.[0]?.Status === "available",
    );

    const arn = "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:copy-me";
    await rds("us-west-2").send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: arn,
        TargetDBClusterSnapshotIdentifier: "copied",
      }),
    );
    await waitUntil(
      started.clock,
      async () =>
        (
          await rds("us-west-2").send(
            new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: "copied" }),
          )
        ).DBClusterSnapshots?.[0]?.Status === "available",
    );
    cloud.faults.corruptSnapshot("copied", { region: "us-west-2", mode: "rows" });
    const restored = await rds("us-west-2").send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: "verify",
        SnapshotIdentifier: "copied",
        Engine: "aurora-postgresql",
      }),
    );
    await rds("us-west-2").send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "verify-1",
        DBClusterIdentifier: "verify",
        DBInstanceClass: "db.serverless",
        Engine: "aurora-postgresql",
      }),
    );
    await waitUntil(started.clock, async () => (await status("verify", "us-west-2")) === "available");
    await rds("us-west-2").send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: "verify", EnableHttpEndpoint: true }),
    );
    // The master secret of the source lives in us-east-1; the verifier uses a secret in its own region.
    const { ARN } = await cloud.secrets.operations.CreateSecret(
      { Name: "verify-secret", SecretString: "{}" },
      "us-west-2",
    );
    const count = await createAwsClient(RDSDataClient, { region: "us-west-2" }).send(
      new ExecuteStatementCommand({
        resourceArn: restored.DBCluster?.DBClusterArn,
        secretArn: ARN,
        sql: "select count(*)::int from t",
      }),
    );

    const rows = count.records?.[0]?.[0]?.longValue ?? 0;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(100);
  });

  it("fails a restore from an unrestorable snapshot", async () => {
    const started = startCloud();
    cloud = started.cloud;
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "src",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );
    await waitUntil(started.clock, async () => (await status("src")) === "available");
    await rds().send(
      new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: "src", DBClusterSnapshotIdentifier: "bad" }),
    );
    cloud.faults.corruptSnapshot("bad", { mode: "unrestorable" });
    await started.clock.sleep(10 * 60_000);

    await rds().send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: "restored",
        SnapshotIdentifier: "bad",
        Engine: "aurora-postgresql",
      }),
    );
    await started.clock.sleep(60 * 60_000);

    expect(await status("restored")).toBe("incompatible-restore");
    await expect(
      rds().send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: "r2",
          SnapshotIdentifier: "missing",
          Engine: "aurora-postgresql",
        }),
      ),
    ).rejects.toMatchObject({ name: "DBClusterSnapshotNotFoundFault" });
  });
  it("restores to a point in time only within the window DescribeDBClusters reports", async () => {
    const started = startCloud();
    cloud = started.cloud;
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "pitr",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );
    await waitUntil(started.clock, async () => (await status("pitr")) === "available");
    await started.clock.sleep(60 * 60_000);
    const described = (await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: "pitr" })))
      .DBClusters?.[0];
    const earliest = described?.EarliestRestorableTime?.getTime() ?? 0;
    const restore = (id: string, at: number) =>
      rds().send(
        new RestoreDBClusterToPointInTimeCommand({
          DBClusterIdentifier: id,
          SourceDBClusterIdentifier: "pitr",
          RestoreToTime: new Date(at),
        }),
      );

    // Before the cluster existed (a month before), and in the future: refused, nothing created.
    await expect(restore("before", earliest - 30 * 86_400_000)).rejects.toMatchObject({
      name: "InvalidRestoreFault",
      message: expect.stringContaining("is outside the restorable window of DB cluster pitr"),
    });
    await expect(restore("future", started.clock.now() + 3_600_000)).rejects.toMatchObject({
      name: "InvalidRestoreFault",
    });
    expect(await status("before").catch((error: Error) => error.name)).toBe("DBClusterNotFoundFault");
    // Within the window: restored.
    await restore("within", earliest + 10 * 60_000);
    expect(await status("within")).toBe("creating");
  });
});
