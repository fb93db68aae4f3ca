/**
 * Saving the local cloud while it runs (the runtime's checkpoints): one moment of state, database
 * images written only when their data may have changed, cloud.json replaced only once everything it
 * names is on disk, and a signal for every change worth a save.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateDBClusterCommand, DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { afterEach, describe, expect, it } from "vitest";
import { bindLocalCloud, createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createLocalCloud } from "../../../local/cloud/cloud.ts";
import { createDemoFleet } from "../../../local/cloud/demo.ts";
import { startCloud, stopCloud } from "./support.ts";

const opened: LocalCloud[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const cloud of opened.splice(0)) await stopCloud(cloud);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cplane-save-"));
  dirs.push(dir);
  return dir;
}

/** The image files cloud.json names, and the files in rds/. */
async function images(dir: string): Promise<{ named: Record<string, string>; onDisk: string[] }> {
  const saved = JSON.parse(await readFile(join(dir, "cloud.json"), "utf8")) as {
    services: { RDS: { files: Record<string, string> } };
  };
  return { named: saved.services.RDS.files, onDisk: (await readdir(join(dir, "rds"))).sort() };
}

const rds = () => createAwsClient(RDSClient, { region: "us-east-1" });

describe("saving the local cloud while it runs", () => {
  it("writes a database image again only when the database was used since, and keeps only the images cloud.json names", async () => {
    // Prepare: the demo fleet's global database with a table, saved once
    const dir = await dataDir();
    const { cloud } = startCloud({ dataDir: dir });
    opened.push(cloud);
    const fleet = await createDemoFleet(cloud);
    const data = createAwsClient(RDSDataClient, { region: "us-east-1" });
    const db = {
      resourceArn: fleet.databases["us-east-1"]?.clusterArn ?? "",
      secretArn: fleet.databases["us-east-1"]?.secretArn ?? "",
    };
    await data.send(
      new ExecuteStatementCommand({ ...db, sql: "create table tenants (id text primary key)" }),
    );
    await cloud.clock.sleep(cloud.durations.replicationLag + 1_000); // the secondary has applied it
    await cloud.save();
    const first = await images(dir);
    expect(first.named[db.resourceArn]).toBeDefined();

    // Act 1: nothing used, saved again
    await cloud.save();
    const unchanged = await images(dir);

    // Act 2: the primary written, saved again
    await data.send(new ExecuteStatementCommand({ ...db, sql: "insert into tenants values ('acme')" }));
    await cloud.clock.sleep(cloud.durations.replicationLag + 1_000);
    await cloud.save();
    const changed = await images(dir);

    // Assess
    expect(unchanged).toEqual(first);
    expect(changed.named[db.resourceArn]).not.toBe(first.named[db.resourceArn]);
    expect(changed.onDisk).toEqual([...new Set(Object.values(changed.named))].sort());
    const second = createLocalCloud({ clock: cloud.clock, dataDir: dir });
    await cloud.close();
    opened.splice(0);
    opened.push(second);
    bindLocalCloud(second);
    expect(await second.load()).toBe(true);
    const rows = await data.send(new ExecuteStatementCommand({ ...db, sql: "select id from tenants" }));
    expect(rows.records).toEqual([[{ stringValue: "acme" }]]);
  });

  it("saves the cloud as it was when the save was called, while the files are written after", async () => {
    const dir = await dataDir();
    const { cloud, clock } = startCloud({ dataDir: dir });
    opened.push(cloud);

    const saving = cloud.save({ background: true });
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "after-the-save",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );
    await saving;

    const second = createLocalCloud({ clock, dataDir: dir });
    opened.push(second);
    await second.load();
    bindLocalCloud(second);
    const described = await rds()
      .send(new DescribeDBClustersCommand({ DBClusterIdentifier: "after-the-save" }))
      .catch((error: Error) => error.name);
    expect(described).toBe("DBClusterNotFoundFault");
  });

  it("replaces cloud.json only once the write it must follow is on disk, and keeps the old one when that fails", async () => {
    // Prepare
    const dir = await dataDir();
    const { cloud } = startCloud({ dataDir: dir });
    opened.push(cloud);
    await cloud.save();
    const before = await readFile(join(dir, "cloud.json"), "utf8");
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "unsaved",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );

    // Act
    const failed = cloud.save({ commitAfter: Promise.reject(new Error("the clock could not be written")) });

    // Assess
    await expect(failed).rejects.toThrow("the clock could not be written");
    expect(await readFile(join(dir, "cloud.json"), "utf8")).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(["cloud.json", "rds"]);
  });

  it("files each past hour of metrics once, writes an hour again only when a late sample joins it, and loads them all", async () => {
    // Prepare: three whole hours of a metric, one sample a minute, and one sample in the hour now
    const dir = await dataDir();
    const { cloud, clock } = startCloud({ dataDir: dir });
    opened.push(cloud);
    const record = (t: number) =>
      cloud.cloudwatch.record("us-east-1", "Bench", "Requests", [{ Name: "Service", Value: "web" }], {
        t,
        values: [1],
        counts: [1],
      });
    const start = clock.now();
    for (let minute = 0; minute < 180; minute++) record(start + minute * 60_000);
    await clock.sleep(180 * 60_000);
    record(clock.now());
    const hourFiles = async () => (await readdir(join(dir, "cloudwatch"))).sort();
    const recent = async () =>
      Object.values(
        (
          JSON.parse(await readFile(join(dir, "cloud.json"), "utf8")) as {
            services: { CloudWatch: { recent: Record<string, unknown[]> } };
          }
        ).services.CloudWatch.recent,
      ).flat().length;

    // Act
    await cloud.save();
    const first = await hourFiles();
    await cloud.save();
    const again = await hourFiles();
    record(start + 5 * 60_000 + 1);
    await cloud.save();
    const late = await hourFiles();

    // Assess: only the current hour is in cloud.json; one earlier hour was written again
    expect(start % 3_600_000).toBe(0);
    expect(first).toHaveLength(3);
    expect(again).toEqual(first);
    expect(late.filter((f) => !first.includes(f))).toHaveLength(1);
    expect(late).toHaveLength(first.length);
    expect(await recent()).toBe(1);
    const samples = () =>
      (cloud.describe().CloudWatch?.["us-east-1"]?.metrics as { samples: number }[] | undefined)?.[0]
        ?.samples;
    const before = samples();
    const second = createLocalCloud({ clock, dataDir: dir });
    opened.push(second);
    await second.load();
    expect(before).toBe(182);
    expect(
      (second.describe().CloudWatch?.["us-east-1"]?.metrics as { samples: number }[] | undefined)?.[0]
        ?.samples,
    ).toBe(182);
  });

  it("tells of changes worth a save (API writes, lifecycle steps, faults), not of reads", async () => {
    const { cloud, clock } = startCloud();
    opened.push(cloud);
    let changes = 0;
    cloud.onChange(() => changes++);

    await rds().send(new DescribeDBClustersCommand({}));
    const afterRead = changes;
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "lifecycle",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );
    const afterCreate = changes;
    await clock.sleep(60 * 60_000);
    const afterLifecycle = changes;
    cloud.faults.throttle({ service: "RDS" });
    const afterFault = changes;

    expect(afterRead).toBe(0);
    expect(afterCreate).toBe(1);
    expect(afterLifecycle).toBeGreaterThan(afterCreate);
    expect(afterFault).toBe(afterLifecycle + 1);
  });
});
