/** Behaviour and errors of the operations the other files do not exercise. */
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  DeleteAccessEntryCommand,
  DeleteNodegroupCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAccessEntryCommand,
  DescribeNodegroupCommand,
  DisassociateAccessPolicyCommand,
  EKSClient,
  ListAccessEntriesCommand,
  ListTagsForResourceCommand as ListEksTags,
  ListNodegroupsCommand,
  ListPodIdentityAssociationsCommand,
  TagResourceCommand,
  UpdateNodegroupConfigCommand,
} from "@aws-sdk/client-eks";
import {
  AddTagsToResourceCommand,
  CreateDBClusterCommand,
  CreateGlobalClusterCommand,
  DeleteGlobalClusterCommand,
  DescribeDBClustersCommand,
  ListTagsForResourceCommand,
  paginateDescribeDBClusters,
  RDSClient,
  RemoveFromGlobalClusterCommand,
  RemoveTagsFromResourceCommand,
  StartDBClusterCommand,
  StopDBClusterCommand,
} from "@aws-sdk/client-rds";
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  TagResourceCommand as TagSecret,
  UpdateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { createDemoFleet } from "../../../local/cloud/demo.ts";
import { externalService, formatDescription, toPutEventsEntry } from "../../../local/cloud/index.ts";
import { createRole, startCloud, stopCloud, waitUntil } from "./support.ts";

let cloud: LocalCloud | undefined;
afterEach(async () => {
  if (cloud) await stopCloud(cloud);
  cloud = undefined;
});

describe("RDS: stop/start, tags, global membership", () => {
  it("stops and starts a cluster on the clock, tags it, and leaves and deletes a global database", async () => {
    const { cloud: c, clock } = startCloud({
      durations: { auroraClusterCreate: 60_000, auroraInitialBackup: 0 },
    });
    cloud = c;
    const rds = createAwsClient(RDSClient, { region: "us-east-1" });
    const created = await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "pausable",
        Engine: "aurora-postgresql",
        MasterUsername: "postgres",
      }),
    );
    const arn = created.DBCluster?.DBClusterArn ?? "";
    const status = async () =>
      (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: "pausable" }))).DBClusters?.[0]
        ?.Status;
    await waitUntil(clock, async () => (await status()) === "available");

    await rds.send(new StopDBClusterCommand({ DBClusterIdentifier: "pausable" }));
    await expect(
      rds.send(new StopDBClusterCommand({ DBClusterIdentifier: "pausable" })),
    ).rejects.toMatchObject({ name: "InvalidDBClusterStateFault" });
    await waitUntil(clock, async () => (await status()) === "stopped");
    await rds.send(new StartDBClusterCommand({ DBClusterIdentifier: "pausable" }));
    await waitUntil(clock, async () => (await status()) === "available");
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [
          { Key: "a", Value: "1" },
          { Key: "b", Value: "2" },
        ],
      }),
    );
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ["a"] }));
    await rds.send(
      new CreateGlobalClusterCommand({ GlobalClusterIdentifier: "g", SourceDBClusterIdentifier: arn }),
    );
    await expect(
      rds.send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: "g" })),
    ).rejects.toMatchObject({ name: "InvalidGlobalClusterStateFault" });
    await rds.send(
      new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: "g", DbClusterIdentifier: arn }),
    );
    await rds.send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: "g" }));

    expect((await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList).toEqual([
      { Key: "b", Value: "2" },
    ]);
    await expect(
      rds.send(new DeleteGlobalClusterCommand({ GlobalClusterIdentifier: "g" })),
    ).rejects.toMatchObject({ name: "GlobalClusterNotFoundFault" });
    await expect(
      rds.send(
        new ListTagsForResourceCommand({ ResourceName: "arn:aws:rds:us-east-1:123456789012:db:none" }),
      ),
    ).rejects.toMatchObject({ name: "DBInstanceNotFound" });
  });
});

describe("RDS: listings page as RDS pages", () => {
  it("answers at most MaxRecords with a Marker that a cluster made meanwhile does not shift, and the paginator gets them all", async () => {
    // Prepare
    cloud = startCloud().cloud;
    const rds = createAwsClient(RDSClient, { region: "us-east-1" });
    const create = (id: string) =>
      rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: id,
          Engine: "aurora-postgresql",
          MasterUsername: "postgres",
        }),
      );
    for (let n = 0; n < 45; n++) await create(`c${String(n).padStart(2, "0")}`);

    // Act
    const first = await rds.send(new DescribeDBClustersCommand({ MaxRecords: 20 }));
    await create("c-late");
    const second = await rds.send(new DescribeDBClustersCommand({ MaxRecords: 20, Marker: first.Marker }));
    const all: string[] = [];
    for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: 20 }, {}))
      all.push(...(page.DBClusters ?? []).map((c) => c.DBClusterIdentifier ?? ""));

    // Assess
    expect(first.DBClusters?.map((c) => c.DBClusterIdentifier)).toEqual(
      Array.from({ length: 20 }, (_, n) => `c${String(n).padStart(2, "0")}`),
    );
    expect(second.DBClusters?.[0]?.DBClusterIdentifier).toBe("c20");
    expect(second.Marker).toBeDefined();
    expect(all).toHaveLength(46);
    expect(new Set(all).size).toBe(46);
    await expect(rds.send(new DescribeDBClustersCommand({ MaxRecords: 19 }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
    });
  });
});

describe("Secrets Manager: update, list, tags", () => {
  it("updates a value and finds secrets by name prefix and tag", async () => {
    cloud = startCloud().cloud;
    const sm = createAwsClient(SecretsManagerClient);
    await sm.send(
      new CreateSecretCommand({
        Name: "tenant_acme",
        SecretString: "1",
        Tags: [{ Key: "tenant", Value: "acme" }],
      }),
    );
    await sm.send(new CreateSecretCommand({ Name: "other", SecretString: "x" }));
    await sm.send(new UpdateSecretCommand({ SecretId: "tenant_acme", SecretString: "2", Description: "db" }));
    await sm.send(new TagSecret({ SecretId: "other", Tags: [{ Key: "tier", Value: "basic" }] }));

    const byName = await sm.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: ["tenant_"] }] }));
    const byTag = await sm.send(new ListSecretsCommand({ Filters: [{ Key: "tag-key", Values: ["tier"] }] }));

    expect((await sm.send(new GetSecretValueCommand({ SecretId: "tenant_acme" }))).SecretString).toBe("2");
    expect(byName.SecretList?.map((s) => s.Name)).toEqual(["tenant_acme"]);
    expect(byTag.SecretList?.map((s) => s.Name)).toEqual(["other"]);
  });

  it("lists in pages of MaxResults with a token that a secret made meanwhile does not shift, in ListSecrets' own entry shape", async () => {
    // Prepare
    cloud = startCloud().cloud;
    const sm = createAwsClient(SecretsManagerClient);
    for (const name of ["s/c", "s/a", "s/e", "s/b"])
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: "v" }));

    // Act
    const first = await sm.send(new ListSecretsCommand({ MaxResults: 2 }));
    await sm.send(new CreateSecretCommand({ Name: "s/0", SecretString: "v" }));
    const second = await sm.send(new ListSecretsCommand({ MaxResults: 2, NextToken: first.NextToken }));

    // Assess
    expect(first.SecretList?.map((s) => s.Name)).toEqual(["s/a", "s/b"]);
    expect(second.SecretList?.map((s) => s.Name)).toEqual(["s/c", "s/e"]);
    expect(second.NextToken).toBeUndefined();
    const entry = first.SecretList?.[0] as Record<string, unknown>;
    expect(Object.keys(entry.SecretVersionsToStages as object)).toHaveLength(1);
    expect(entry).not.toHaveProperty("VersionIdsToStages");
    expect(entry.PrimaryRegion).toBe("us-east-1");
    await expect(sm.send(new ListSecretsCommand({ MaxResults: 101 }))).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
  });
});

describe("EKS: node group and access lifecycle on the demo fleet", () => {
  it("lists, scales down, deletes node groups; removes access entries, policies and pod identities", async () => {
    const { cloud: c, clock } = startCloud();
    cloud = c;
    await createDemoFleet(c);
    const eks = createAwsClient(EKSClient, { region: "us-east-1" });
    const clusterName = "cplane-us-east-1";
    const principalArn = await createRole("x");
    await c.send({
      service: "EKS",
      operation: "CreateAccessEntry",
      region: "us-east-1",
      input: { clusterName, principalArn },
    });
    await c.send({
      service: "EKS",
      operation: "AssociateAccessPolicy",
      region: "us-east-1",
      input: {
        clusterName,
        principalArn,
        policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        accessScope: { type: "cluster" },
      },
    });
    const pod = (await c.send({
      service: "EKS",
      operation: "CreatePodIdentityAssociation",
      region: "us-east-1",
      input: {
        clusterName,
        namespace: "shop",
        serviceAccount: "web",
        roleArn: "arn:aws:iam::123456789012:role/web",
      },
    })) as { association: { associationId: string } };

    expect((await eks.send(new ListNodegroupsCommand({ clusterName }))).nodegroups).toEqual(["general"]);
    await eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName,
        nodegroupName: "general",
        scalingConfig: { desiredSize: 1 },
      }),
    );
    await expect(
      eks.send(
        new UpdateNodegroupConfigCommand({
          clusterName,
          nodegroupName: "general",
          scalingConfig: { desiredSize: 2 },
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceInUseException" });
    await expect(
      eks.send(
        new UpdateNodegroupConfigCommand({
          clusterName,
          nodegroupName: "missing",
          scalingConfig: { desiredSize: 2 },
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await waitUntil(
      clock,
      async () =>
        (await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: "general" }))).nodegroup
          ?.status === "ACTIVE",
      { everyMs: 10_000 },
    );
    expect(c.eks.nodegroupsOf("us-east-1")[0]?.nodes).toBe(1);
    await eks.send(new DeleteNodegroupCommand({ clusterName, nodegroupName: "general" }));
    await waitUntil(
      clock,
      async () => (await eks.send(new ListNodegroupsCommand({ clusterName }))).nodegroups?.length === 0,
    );

    await eks.send(
      new DisassociateAccessPolicyCommand({
        clusterName,
        principalArn,
        policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
      }),
    );
    expect(
      (await eks.send(new DescribeAccessEntryCommand({ clusterName, principalArn }))).accessEntry
        ?.principalArn,
    ).toBe(principalArn);
    await eks.send(new DeleteAccessEntryCommand({ clusterName, principalArn }));
    expect((await eks.send(new ListAccessEntriesCommand({ clusterName }))).accessEntries).toEqual([]);
    await eks.send(
      new DeletePodIdentityAssociationCommand({ clusterName, associationId: pod.association.associationId }),
    );
    expect((await eks.send(new ListPodIdentityAssociationsCommand({ clusterName }))).associations).toEqual(
      [],
    );
    const arn = "arn:aws:eks:us-east-1:123456789012:cluster/cplane-us-east-1";
    await eks.send(new TagResourceCommand({ resourceArn: arn, tags: { team: "platform" } }));
    expect((await eks.send(new ListEksTags({ resourceArn: arn }))).tags).toEqual({
      app: "cplane",
      team: "platform",
    });
    expect(formatDescription(c.describe())).toContain("cplane-us-east-1");
  });
});

describe("CloudWatch: history and deletion", () => {
  it("keeps the alarm history and deletes alarms, refusing unknown names", async () => {
    cloud = startCloud().cloud;
    const cw = createAwsClient(CloudWatchClient, { region: "us-east-1" });
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: "a",
        Namespace: "X",
        MetricName: "Y",
        Statistic: "Sum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanThreshold",
      }),
    );
    await cw.send(new SetAlarmStateCommand({ AlarmName: "a", StateValue: "ALARM", StateReason: "x" }));

    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "a" }));
    await expect(cw.send(new DeleteAlarmsCommand({ AlarmNames: ["a", "ghost"] }))).rejects.toMatchObject({
      name: "ResourceNotFound",
    });
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ["a"] }));

    expect(history.AlarmHistoryItems?.[0]?.HistorySummary).toBe(
      "Alarm updated from INSUFFICIENT_DATA to ALARM",
    );
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
    await expect(
      cw.send(
        new PutMetricAlarmCommand({
          AlarmName: "b",
          EvaluationPeriods: 1,
          ComparisonOperator: "GreaterThanThreshold",
          Threshold: 1,
        }),
      ),
    ).rejects.toMatchObject({ name: "ValidationError" });
  });
});

describe("services the runtime plugs in", () => {
  it("answers an external service's operations through the same binding, and converts emitted events to PutEvents entries", async () => {
    const { cloud: c } = startCloud();
    cloud = c;
    const received: unknown[] = [];
    c.register(
      externalService("EventBridge", {
        PutEvents: (input: { Entries?: unknown[] }) => {
          received.push(...(input.Entries ?? []));
          return { FailedEntryCount: 0, Entries: [{ EventId: "1" }] };
        },
      }),
    );
    const { EventBridgeClient, PutEventsCommand } = await import("@aws-sdk/client-eventbridge");

    const out = await createAwsClient(EventBridgeClient).send(
      new PutEventsCommand({
        Entries: [{ Source: "cplane.tenants", DetailType: "Tenant Created", Detail: "{}" }],
      }),
    );
    const entry = toPutEventsEntry({
      version: "0",
      id: "1",
      "detail-type": "CloudWatch Alarm State Change",
      source: "aws.cloudwatch",
      account: "123456789012",
      time: "2026-03-01T00:00:00Z",
      region: "us-east-1",
      resources: ["arn"],
      detail: { alarmName: "a" },
    });

    expect(out.FailedEntryCount).toBe(0);
    expect(received).toEqual([{ Source: "cplane.tenants", DetailType: "Tenant Created", Detail: "{}" }]);
    expect(entry).toEqual({
      Source: "aws.cloudwatch",
      DetailType: "CloudWatch Alarm State Change",
      Detail: '{"alarmName":"a"}',
      Resources: ["arn"],
      Time: new Date("2026-03-01T00:00:00Z"),
    });
  });
});
