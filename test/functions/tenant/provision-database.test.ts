import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler } from "../../../functions/tenant/provision-database.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  awsError,
  CLUSTER_ARN,
  EXECUTION,
  OTHER_EXECUTION,
  setTenantEnvironment,
  TENANT_ID,
} from "./support.ts";

const rds = mockClient(RDSClient);
const dynamodb = mockClient(DynamoDBClient);
const input = { tenantId: TENANT_ID, slug: "acme", tier: "premium", executionArn: EXECUTION };
const tags = (execution = EXECUTION, tier = "premium") => [
  { Key: "cplane:tenant", Value: "acme" },
  { Key: "cplane:tenant-id", Value: TENANT_ID },
  { Key: "cplane:tier", Value: tier },
  { Key: "cplane:execution", Value: execution },
];

beforeEach(() => {
  rds.reset();
  dynamodb.reset();
  setTenantEnvironment();
  dynamodb.on(UpdateItemCommand).resolves({});
});

describe("provision-database", () => {
  it("creates an encrypted, protected Aurora PostgreSQL cluster with a writer and, for premium, a reader", async () => {
    // Prepare
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
    rds.on(CreateDBClusterCommand).resolves({ DBCluster: { DBClusterArn: CLUSTER_ARN, TagList: tags() } });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    rds.on(CreateDBInstanceCommand).resolves({});

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(rds.commandCalls(CreateDBClusterCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
      Engine: "aurora-postgresql",
      EngineVersion: "16.6",
      DatabaseName: "app",
      MasterUsername: "cplane_admin",
      ManageMasterUserPassword: true,
      StorageEncrypted: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 30,
      EnableHttpEndpoint: true,
      CopyTagsToSnapshot: true,
      Tags: tags(),
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: "db-cluster-id", Values: ["tenant-acme"] }],
    });
    expect(rds.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      {
        DBInstanceIdentifier: "tenant-acme-writer",
        DBClusterIdentifier: "tenant-acme",
        Engine: "aurora-postgresql",
        DBInstanceClass: "db.r6g.large",
        PromotionTier: 0,
        Tags: tags(),
      },
      {
        DBInstanceIdentifier: "tenant-acme-reader",
        DBClusterIdentifier: "tenant-acme",
        Engine: "aurora-postgresql",
        DBInstanceClass: "db.r6g.large",
        PromotionTier: 1,
        Tags: tags(),
      },
    ]);
    expect(result).toEqual({
      clusterIdentifier: "tenant-acme",
      clusterArn: CLUSTER_ARN,
      created: true,
      instances: ["tenant-acme-writer", "tenant-acme-reader"],
      createdInstances: ["tenant-acme-writer", "tenant-acme-reader"],
    });
  });

  it.each([
    ["standard", 14, "db.t4g.large"],
    ["basic", 7, "db.t4g.medium"],
  ])(
    "sizes a %s tenant: %i days of backups, %s writer and no reader",
    async (tier, retention, instanceClass) => {
      rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));
      rds
        .on(CreateDBClusterCommand)
        .resolves({ DBCluster: { DBClusterArn: CLUSTER_ARN, TagList: tags(EXECUTION, tier) } });
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

      await handler({ ...input, tier }, lambdaContext());

      expect(rds.commandCalls(CreateDBClusterCommand)[0]?.args[0].input.BackupRetentionPeriod).toBe(
        retention,
      );
      const instances = rds.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input);
      expect(instances.map((instance) => [instance.DBInstanceIdentifier, instance.DBInstanceClass])).toEqual([
        ["tenant-acme-writer", instanceClass],
      ]);
    },
  );

  it("adopts an existing cluster tagged for this tenant and only adds the missing instances", async () => {
    // Prepare
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { DBClusterIdentifier: "tenant-acme", DBClusterArn: CLUSTER_ARN, TagList: tags(OTHER_EXECUTION) },
      ],
    });
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: "tenant-acme-writer" }] });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(rds.commandCalls(CreateDBClusterCommand)).toHaveLength(0);
    expect(
      rds.commandCalls(CreateDBInstanceCommand).map((call) => call.args[0].input.DBInstanceIdentifier),
    ).toEqual(["tenant-acme-reader"]);
    expect(result).toMatchObject({ created: false, createdInstances: ["tenant-acme-reader"] });
  });

  it("reports a cluster created by its own earlier attempt as created, and creates nothing twice", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ DBClusterArn: CLUSTER_ARN, TagList: tags() }] });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceIdentifier: "tenant-acme-writer" },
        { DBInstanceIdentifier: "tenant-acme-reader" },
      ],
    });

    const result = await handler(input, lambdaContext());

    expect(rds.commandCalls(CreateDBClusterCommand)).toHaveLength(0);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
    expect(result).toMatchObject({ created: true });
  });

  it("refuses a cluster tagged for another tenant with ResourceOwnedByAnotherTenantError", async () => {
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [{ DBClusterArn: CLUSTER_ARN, TagList: [{ Key: "cplane:tenant", Value: "acme-old" }] }],
    });

    await expect(handler(input, lambdaContext())).rejects.toMatchObject({
      name: "ResourceOwnedByAnotherTenantError",
    });
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
  });

  it("adopts the cluster another execution created in between (DBClusterAlreadyExistsFault)", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .rejectsOnce(awsError("DBClusterNotFoundFault"))
      .resolves({ DBClusters: [{ DBClusterArn: CLUSTER_ARN, TagList: tags(OTHER_EXECUTION) }] });
    rds.on(CreateDBClusterCommand).rejects(awsError("DBClusterAlreadyExistsFault"));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    const result = await handler(input, lambdaContext());

    expect(result).toMatchObject({ created: false, clusterArn: CLUSTER_ARN });
  });

  it("records whether it created or adopted the cluster in the tenant's history", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolves({ DBClusters: [{ DBClusterArn: CLUSTER_ARN, TagList: tags(OTHER_EXECUTION) }] });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });

    await handler(input, lambdaContext());

    const update = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues?.[":entry"]?.L?.[0]?.M?.outcome).toEqual({ S: "adopted" });
    expect(update?.ExpressionAttributeValues?.[":entry"]?.L?.[0]?.M?.step).toEqual({
      S: "provision-database",
    });
  });

  it("lets RDS throttling through under its own name", async () => {
    rds.on(DescribeDBClustersCommand).rejects(awsError("Throttling"));
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({ name: "Throttling" });
  });
});
