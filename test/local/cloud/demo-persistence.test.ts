import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateDBClusterCommand, DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import * as k8s from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { bindLocalCloud, createAwsClient } from "../../../functions/shared/aws-clients.ts";
import { createClock } from "../../../local/clock/clock.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createLocalCloud } from "../../../local/cloud/cloud.ts";
import type { CloudEvent } from "../../../local/cloud/context.ts";
import { createDemoFleet } from "../../../local/cloud/demo.ts";
import { clusterCa } from "../../../local/cloud/kubernetes.ts";
import { START, startCloud, stopCloud, waitUntil } from "./support.ts";

const opened: LocalCloud[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const cloud of opened.splice(0)) await stopCloud(cloud);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("the demo fleet", () => {
  it("is ready at once: clusters, global database, zone, health checks, services with traffic and alarms", async () => {
    const events: CloudEvent[] = [];
    const { cloud, clock } = startCloud({ emitEvent: (e) => void events.push(e) });
    opened.push(cloud);
    const started = clock.now();

    const fleet = await createDemoFleet(cloud);
    const description = cloud.describe();

    expect(clock.now() - started).toBeLessThan(60_000);
    expect(description.EKS?.["us-east-1"]?.clusters).toEqual([
      expect.objectContaining({ name: "cplane-us-east-1", status: "ACTIVE" }),
    ]);
    expect(description.EKS?.["us-west-2"]?.clusters).toEqual([
      expect.objectContaining({ name: "cplane-us-west-2", status: "ACTIVE" }),
    ]);
    expect(description.RDS?.["us-east-1"]?.clusters).toEqual([
      expect.objectContaining({ id: "cplane-platform", status: "available", role: "primary" }),
    ]);
    expect(description.RDS?.["us-west-2"]?.clusters).toEqual([
      expect.objectContaining({ id: "cplane-platform-dr", status: "available", role: "secondary" }),
    ]);
    expect(fleet.alarms).toEqual([
      "cplane-region-health-us-east-1",
      "cplane-region-health-us-west-2",
      "cplane-canary-errors",
      "cplane-canary-latency",
    ]);
    expect(cloud.durations.auroraClusterCreate).toBe(8 * 60_000);
    expect(
      cloud.eks
        .kubernetes("cplane-us-east-1")
        ?.list("Deployment", "shop")
        .map((d) => d.metadata?.name),
    ).toEqual(["web-stable", "api-stable"]);

    // An hour of quiet traffic keeps every alarm OK.
    await clock.sleep(60 * 60_000);
    const states = Object.values(cloud.describe().CloudWatch ?? {}).flatMap(
      (r) => (r.alarms ?? []) as { name: string; state: string }[],
    );
    expect(states.map((a) => a.state)).toEqual(["OK", "OK", "OK", "OK"]);
    // Nothing went to ALARM on the way (a spurious region-health alarm would start a failover).
    const alarms = events.filter((e) => e["detail-type"] === "CloudWatch Alarm State Change");
    expect(alarms.filter((e) => (e.detail.state as { value: string }).value === "ALARM")).toEqual([]);
  });
});

describe("persistence under a data directory", () => {
  it("restores resources, database rows, Kubernetes objects, DynamoDB items and pending lifecycles after a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cplane-cloud-"));
    dirs.push(dataDir);
    const clock = createClock({ mode: { kind: "instant" }, start: START });
    const first = createLocalCloud({ clock, dataDir });
    bindLocalCloud(first);
    const fleet = await createDemoFleet(first);
    const data = createAwsClient(RDSDataClient, { region: "us-east-1" });
    const db = {
      resourceArn: fleet.databases["us-east-1"]?.clusterArn ?? "",
      secretArn: fleet.databases["us-east-1"]?.secretArn ?? "",
    };
    await data.send(
      new ExecuteStatementCommand({
        ...db,
        sql: "create table tenants (id text primary key); insert into tenants values ('acme'), ('globex')",
      }),
    );
    const dynamo = createAwsClient(DynamoDBClient, { region: "us-east-1" });
    await dynamo.send(
      new CreateTableCommand({
        TableName: "cplane-local-tenants",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      }),
    );
    await dynamo.send(
      new PutItemCommand({ TableName: "cplane-local-tenants", Item: { pk: { S: "TENANT#acme" } } }),
    );
    await createAwsClient(RDSClient, { region: "us-east-1" }).send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "half-made",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );
    await first.save();
    const before = JSON.stringify(first.describe().RDS);
    await first.close();
    bindLocalCloud(undefined);

    const second = createLocalCloud({ clock, dataDir });
    opened.push(second);
    bindLocalCloud(second);
    const loaded = await second.load();

    expect(loaded).toBe(true);
    expect(JSON.stringify(second.describe().RDS)).toBe(before);
    const rows = await data.send(
      new ExecuteStatementCommand({ ...db, sql: "select id from tenants order by id" }),
    );
    expect(rows.records).toEqual([[{ stringValue: "acme" }], [{ stringValue: "globex" }]]);
    const item = await dynamo.send(
      new GetItemCommand({ TableName: "cplane-local-tenants", Key: { pk: { S: "TENANT#acme" } } }),
    );
    expect(item.Item).toEqual({ pk: { S: "TENANT#acme" } });
    const endpoint = second.kubernetesEndpoints().find((e) => e.region === "us-east-1")?.endpoint ?? "";
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: endpoint, caData: clusterCa() }],
      users: [{ name: "u", token: "k8s-aws-v1.x" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const deployments = await kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: "shop" });
    expect(deployments.items.map((d) => d.metadata?.name)).toEqual(["web-stable", "api-stable"]);
    await waitUntil(
      clock,
      async () =>
        (
          await createAwsClient(RDSClient, { region: "us-east-1" }).send(
            new DescribeDBClustersCommand({ DBClusterIdentifier: "half-made" }),
          )
        ).DBClusters?.[0]?.Status === "available",
    );

    await second.reset();
    expect(await createLocalCloud({ clock, dataDir }).load()).toBe(false);
  });
});
