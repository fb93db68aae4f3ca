/**
 * A save reuses the text of a service whose change token stands (changes.ts): these tests would catch a
 * stale text. Each mutates the cloud through one path (an API call, a call that reaches another
 * service, a job, a Kubernetes write over HTTP or in process, a fault, the minute's tick) after a save
 * that filled every text, saves again, and requires that save to equal one that serialized everything
 * afresh, and the state it wrote to show the mutation once loaded into a fresh cloud.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeClusterCommand,
  EKSClient,
  ListTagsForResourceCommand,
  TagResourceCommand,
} from "@aws-sdk/client-eks";
import { CreateRoleCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import {
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import * as k8s from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { bindLocalCloud, createAwsClient } from "../../../functions/shared/aws-clients.ts";
import { createClock } from "../../../local/clock/clock.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createLocalCloud } from "../../../local/cloud/cloud.ts";
import { createDemoFleet, type DemoFleet } from "../../../local/cloud/demo.ts";
import { START, stopCloud } from "./support.ts";

const opened: LocalCloud[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const cloud of opened.splice(0)) await stopCloud(cloud);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const PRIMARY = "us-east-1";
const rds = () => createAwsClient(RDSClient, { region: PRIMARY });
const secrets = () => createAwsClient(SecretsManagerClient, { region: PRIMARY });
const eks = () => createAwsClient(EKSClient, { region: PRIMARY });
const iam = () => createAwsClient(IAMClient, { region: PRIMARY });

interface Setup {
  cloud: LocalCloud;
  fleet: DemoFleet;
  dir: string;
}

/** The demo fleet on a manual clock (time moves only when a test says), under a fresh data directory. */
async function demo(): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), "cplane-changes-"));
  dirs.push(dir);
  const clock = createClock({ mode: { kind: "manual" }, start: START });
  const cloud = createLocalCloud({ clock, dataDir: dir });
  bindLocalCloud(cloud);
  opened.push(cloud);
  const fleet = await createDemoFleet(cloud);
  return { cloud, fleet, dir };
}

async function savedServices(dir: string): Promise<Record<string, unknown>> {
  return (
    JSON.parse(await readFile(join(dir, "cloud.json"), "utf8")) as { services: Record<string, unknown> }
  ).services;
}

/**
 * Saves once to fill every service's text, runs `act`, saves again; requires that save to equal one
 * that serializes every service afresh and to differ from the first in `changes` (the act did change
 * it). Returns a fresh cloud loaded from the second save.
 */
async function checkpointAround(
  setup: Setup,
  changes: string,
  act: () => Promise<void>,
): Promise<LocalCloud> {
  const { cloud, dir } = setup;
  await cloud.save();
  const before = await savedServices(dir);
  await act();
  await cloud.save();
  const cached = await savedServices(dir);
  cloud.context.changes?.markAll();
  await cloud.save();
  const fresh = await savedServices(dir);
  expect(cached).toEqual(fresh);
  expect(cached[changes]).not.toEqual(before[changes]);
  // A fresh cloud on the same clock, reading what the cached save wrote (the fresh save wrote the same).
  const loaded = createLocalCloud({ clock: cloud.clock, dataDir: dir });
  opened.push(loaded);
  expect(await loaded.load()).toBe(true);
  bindLocalCloud(loaded);
  return loaded;
}

async function kubernetesCore(cloud: LocalCloud, name: string) {
  bindLocalCloud(cloud);
  const { cluster } = await eks().send(new DescribeClusterCommand({ name }));
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: "c", server: cluster?.endpoint ?? "", caData: cluster?.certificateAuthority?.data ?? "" },
    ],
    users: [{ name: "u", token: "k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8" }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc.makeApiClient(k8s.CoreV1Api);
}

describe("a checkpoint after a change reuses no stale text", () => {
  it("holds a change made by an API call to the service (IAM CreateRole)", async () => {
    const setup = await demo();
    const loaded = await checkpointAround(setup, "IAM", async () => {
      await iam().send(
        new CreateRoleCommand({
          RoleName: "after-save",
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" },
            ],
          }),
        }),
      );
    });
    expect((await iam().send(new GetRoleCommand({ RoleName: "after-save" }))).Role?.RoleName).toBe(
      "after-save",
    );
    expect(loaded).toBeDefined();
  });

  it("holds a change made by an API call to a secret, bytes included (Secrets Manager PutSecretValue)", async () => {
    const setup = await demo();
    const secretArn = setup.fleet.databases[PRIMARY]?.secretArn ?? "";
    await checkpointAround(setup, "SecretsManager", async () => {
      await secrets().send(
        new PutSecretValueCommand({ SecretId: secretArn, SecretBinary: new Uint8Array([1, 2, 3]) }),
      );
    });
    const value = await secrets().send(new GetSecretValueCommand({ SecretId: secretArn }));
    expect([...(value.SecretBinary ?? [])]).toEqual([1, 2, 3]);
  });

  it("holds another service's change made by a call (RDS CreateDBCluster creates its managed secret)", async () => {
    const setup = await demo();
    await checkpointAround(setup, "SecretsManager", async () => {
      await rds().send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: "managed",
          Engine: "aurora-postgresql",
          MasterUsername: "admin",
          ManageMasterUserPassword: true,
        }),
      );
    });
    const { DBClusters } = await rds().send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: "managed" }),
    );
    const secretArn = DBClusters?.[0]?.MasterUserSecret?.SecretArn ?? "";
    expect(secretArn).toContain("rds!cluster-");
    expect((await secrets().send(new DescribeSecretCommand({ SecretId: secretArn }))).ARN).toBe(secretArn);
  });

  it("holds RDS's change made by a Data API call (the cluster's write counts)", async () => {
    const setup = await demo();
    const db = {
      resourceArn: setup.fleet.databases[PRIMARY]?.clusterArn ?? "",
      secretArn: setup.fleet.databases[PRIMARY]?.secretArn ?? "",
    };
    const data = createAwsClient(RDSDataClient, { region: PRIMARY });
    await data.send(new ExecuteStatementCommand({ ...db, sql: "create table t (n int)" }));
    await checkpointAround(setup, "RDS", async () => {
      await data.send(new ExecuteStatementCommand({ ...db, sql: "insert into t values (1)" }));
    });
    const saved = (await savedServices(setup.dir)).RDS as {
      state: { clusters: { arn: string; writes?: [number, number][] }[] };
    };
    const writes = saved.state.clusters.find((c) => c.arn === db.resourceArn)?.writes ?? [];
    expect(writes.reduce((sum, [, count]) => sum + count, 0)).toBe(2);
  });

  it("holds a change made by an EKS call (TagResource)", async () => {
    const setup = await demo();
    const name = setup.fleet.clusters[PRIMARY] ?? "";
    const { cluster } = await eks().send(new DescribeClusterCommand({ name }));
    await checkpointAround(setup, "EKS", async () => {
      await eks().send(
        new TagResourceCommand({ resourceArn: cluster?.arn ?? "", tags: { team: "checkpoints" } }),
      );
    });
    const { tags } = await eks().send(new ListTagsForResourceCommand({ resourceArn: cluster?.arn ?? "" }));
    expect(tags).toMatchObject({ team: "checkpoints" });
  });

  it("holds a change made by a lifecycle job alone (an RDS cluster becoming available)", async () => {
    const setup = await demo();
    await rds().send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "later",
        Engine: "aurora-postgresql",
        MasterUsername: "admin",
        MasterUserPassword: "password-1",
      }),
    );
    await checkpointAround(setup, "RDS", async () => {
      // No call: only the clock, which runs the cluster's lifecycle jobs.
      await setup.cloud.clock.advance(setup.cloud.durations.auroraClusterCreate + 1_000);
    });
    const { DBClusters } = await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: "later" }));
    expect(DBClusters?.[0]?.Status).not.toBe("creating");
  });

  it("holds a change made by a Secrets Manager job alone (a deleted secret purged after its window)", async () => {
    const setup = await demo();
    const secretArn = setup.fleet.databases["us-west-2"]?.secretArn ?? "";
    const west = createAwsClient(SecretsManagerClient, { region: "us-west-2" });
    await west.send(new DeleteSecretCommand({ SecretId: secretArn, RecoveryWindowInDays: 7 }));
    // A day between ticks: the manual clock runs every timer on its way through the week.
    setup.cloud.durations.metricsTick = 24 * 60 * 60_000;
    await checkpointAround(setup, "SecretsManager", async () => {
      await setup.cloud.clock.advance(8 * 24 * 60 * 60_000);
    });
    await expect(west.send(new DescribeSecretCommand({ SecretId: secretArn }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("holds a Kubernetes delete made through the loopback API (no resourceVersion moves)", async () => {
    const setup = await demo();
    const name = setup.fleet.clusters[PRIMARY] ?? "";
    const core = await kubernetesCore(setup.cloud, name);
    const loaded = await checkpointAround(setup, "EKS", async () => {
      await core.deleteNamespacedService({ name: "api", namespace: setup.fleet.namespace });
    });
    const services = (
      await (
        await kubernetesCore(loaded, name)
      ).listNamespacedService({
        namespace: setup.fleet.namespace,
      })
    ).items.map((s) => s.metadata?.name);
    expect(services).toEqual(["web"]);
  });

  it("holds what a rollout's jobs alone changed (a Deployment scaled up in process before the save)", async () => {
    const setup = await demo();
    const name = setup.fleet.clusters[PRIMARY] ?? "";
    setup.cloud.eks.kubernetes(name, PRIMARY)?.apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web-stable", namespace: setup.fleet.namespace },
      spec: { replicas: 5 },
    });
    const loaded = await checkpointAround(setup, "EKS", async () => {
      // No write: only the clock, which runs the rollout's steps.
      await setup.cloud.clock.advance(10 * setup.cloud.durations.podReady);
    });
    const deployment = loaded.eks
      .kubernetes(name, PRIMARY)
      ?.get("Deployment", setup.fleet.namespace, "web-stable");
    expect(deployment?.status).toMatchObject({ readyReplicas: 5 });
  });

  it("holds a change made by a fault (a snapshot corrupted)", async () => {
    const setup = await demo();
    const cluster = setup.fleet.databases[PRIMARY]?.clusterArn.split(":").pop() ?? "";
    await rds().send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: cluster,
        DBClusterSnapshotIdentifier: "kept",
      }),
    );
    await setup.cloud.clock.advance(setup.cloud.durations.clusterSnapshot + 1_000);
    await checkpointAround(setup, "RDS", async () => {
      setup.cloud.faults.corruptSnapshot("kept", { region: PRIMARY, mode: "unrestorable" });
    });
    const saved = (await savedServices(setup.dir)).RDS as {
      state: { snapshots: { id: string; corruption?: string }[] };
    };
    expect(saved.state.snapshots.find((s) => s.id === "kept")?.corruption).toBe("unrestorable");
    const { DBClusterSnapshots } = await rds().send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: "kept" }),
    );
    expect(DBClusterSnapshots?.[0]?.DBClusterSnapshotIdentifier).toBe("kept");
  });

  it("holds what the minute's tick changed (traffic, health checks, metrics)", async () => {
    const setup = await demo();
    await checkpointAround(setup, "CloudWatch", async () => {
      await setup.cloud.ticker.tickNow();
    });
  });
});
