import { DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler as awaitResource } from "../../../functions/ops/await-resource.ts";
import { handler as resumeWaiters } from "../../../functions/ops/resume-waiters.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  awsError,
  conditionalCheckFailed,
  EXECUTION,
  NOW,
  OTHER,
  setOpsEnvironment,
  TABLE,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const sfn = mockClient(SFNClient);
const CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:tenant-acme";
const INSTANCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:tenant-acme-writer";
const SNAPSHOT_ARN = "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:tenant-acme-final";
const TOKEN = "token-of-run-1";
const OTHER_TOKEN = "token-of-run-0";
const waiterKey = (resourceArn: string, executionArn: string) => ({
  pk: { S: `WAITER#${resourceArn}` },
  sk: { S: executionArn },
});
const cluster = (status: string, ...instances: string[]) => {
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: [{ DBClusterIdentifier: "tenant-acme", DBClusterArn: CLUSTER_ARN, Status: status }],
  });
  rds
    .on(DescribeDBInstancesCommand, { Filters: [{ Name: "db-cluster-id", Values: ["tenant-acme"] }] })
    .resolves({ DBInstances: instances.map((DBInstanceStatus) => ({ DBInstanceStatus })) });
};
const sent = () =>
  sfn.commandCalls(SendTaskSuccessCommand).map((call) => ({
    taskToken: call.args[0].input.taskToken,
    output: JSON.parse(call.args[0].input.output ?? "null"),
  }));
const deleteOf = (executionArn: string, token: string) => ({
  TableName: TABLE,
  Key: waiterKey(CLUSTER_ARN, executionArn),
  ConditionExpression: "attribute_not_exists(pk) OR taskToken = :token",
  ExpressionAttributeValues: { ":token": { S: token } },
});

beforeEach(() => {
  dynamodb.reset();
  rds.reset();
  sfn.reset();
  setOpsEnvironment();
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
});

afterEach(() => {
  vi.useRealTimers();
});

describe("await-resource", () => {
  const input = { resourceArn: CLUSTER_ARN, kind: "rds-cluster", taskToken: TOKEN, executionArn: EXECUTION };

  it("registers the waiter with its token and a day's expiry, and leaves a cluster still creating to its event", async () => {
    // Prepare
    cluster("creating", "creating");

    // Act
    const result = await awaitResource(input, lambdaContext());

    // Assess
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        ...waiterKey(CLUSTER_ARN, EXECUTION),
        kind: { S: "rds-cluster" },
        taskToken: { S: TOKEN },
        expiresAt: { N: String(NOW / 1000 + 24 * 3600) },
      },
    });
    expect(rds.commandCalls(DescribeDBClustersCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: CLUSTER_ARN,
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: "db-cluster-id", Values: ["tenant-acme"] }],
    });
    expect(sfn.calls()).toHaveLength(0);
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(0);
    expect(result).toEqual({ resumedAtOnce: false, status: "creating/creating" });
  });

  it("is not settled while one instance is still in transition", async () => {
    cluster("available", "available", "creating");

    const result = await awaitResource(input, lambdaContext());

    expect(result).toEqual({ resumedAtOnce: false, status: "available/available/creating" });
    expect(sfn.calls()).toHaveLength(0);
  });

  it("resumes the execution at once when the cluster had settled before the waiter existed, and removes the waiter", async () => {
    cluster("available", "available");

    const result = await awaitResource(input, lambdaContext());

    expect(sent()).toEqual([
      { taskToken: TOKEN, output: { resourceArn: CLUSTER_ARN, status: "available/available" } },
    ]);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      deleteOf(EXECUTION, TOKEN),
    ]);
    expect(result).toEqual({ resumedAtOnce: true, status: "available/available" });
  });

  it("counts a cluster that is gone as settled (deleted)", async () => {
    rds.on(DescribeDBClustersCommand).rejects(awsError("DBClusterNotFoundFault"));

    const result = await awaitResource(input, lambdaContext());

    expect(result).toEqual({ resumedAtOnce: true, status: "deleted" });
    expect(sent()).toEqual([{ taskToken: TOKEN, output: { resourceArn: CLUSTER_ARN, status: "deleted" } }]);
  });

  it("describes a snapshot by its ARN", async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: "creating" }] });

    const result = await awaitResource(
      { ...input, resourceArn: SNAPSHOT_ARN, kind: "rds-cluster-snapshot" },
      lambdaContext(),
    );

    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand)[0]?.args[0].input).toEqual({
      DBClusterSnapshotIdentifier: SNAPSHOT_ARN,
    });
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.kind).toEqual({
      S: "rds-cluster-snapshot",
    });
    expect(result).toEqual({ resumedAtOnce: false, status: "creating" });
  });

  it("leaves a snapshot still being copied (to another region) to its event", async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: "copying" }] });

    const result = await awaitResource(
      { ...input, resourceArn: SNAPSHOT_ARN, kind: "rds-cluster-snapshot" },
      lambdaContext(),
    );

    expect(result).toEqual({ resumedAtOnce: false, status: "copying" });
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ["a resource that is not an RDS cluster or snapshot", { resourceArn: INSTANCE_ARN }],
    ["an unknown kind", { kind: "eks-cluster" }],
    ["no task token", { taskToken: "" }],
  ])("refuses %s with InvalidInputError before any call", async (_, change) => {
    await expect(awaitResource({ ...input, ...change }, lambdaContext())).rejects.toMatchObject({
      name: "InvalidInputError",
    });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(rds.calls()).toHaveLength(0);
  });
});

describe("resume-waiters", () => {
  const event = (SourceType: string, SourceArn: string) => ({
    version: "0",
    id: "7f1b2c3d-0000-4000-8000-000000000001",
    source: "aws.rds",
    "detail-type": SourceType === "CLUSTER" ? "RDS DB Cluster Event" : "RDS DB Instance Event",
    account: "123456789012",
    time: "2026-11-22T10:00:00Z",
    region: "us-east-1",
    resources: [SourceArn],
    detail: { SourceType, SourceArn, EventID: "RDS-EVENT-0170", Message: "DB cluster created" },
  });
  const waitersQuery = {
    TableName: TABLE,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": { S: `WAITER#${CLUSTER_ARN}` } },
    ConsistentRead: true,
  };
  const twoWaiters = () =>
    dynamodb.on(QueryCommand).resolves({
      Items: [
        { ...waiterKey(CLUSTER_ARN, EXECUTION), kind: { S: "rds-cluster" }, taskToken: { S: TOKEN } },
        { ...waiterKey(CLUSTER_ARN, OTHER), kind: { S: "rds-cluster" }, taskToken: { S: OTHER_TOKEN } },
      ],
    });

  it("wakes the waiters of the cluster an instance belongs to", async () => {
    // Prepare
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: INSTANCE_ARN })
      .resolves({ DBInstances: [{ DBClusterIdentifier: "tenant-acme" }] });
    cluster("available", "available");
    twoWaiters();

    // Act
    const result = await resumeWaiters(event("DB_INSTANCE", INSTANCE_ARN), lambdaContext());

    // Assess
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: INSTANCE_ARN,
    });
    expect(rds.commandCalls(DescribeDBClustersCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: "tenant-acme",
    });
    expect(dynamodb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual(waitersQuery);
    expect(result).toEqual({
      resourceArn: CLUSTER_ARN,
      waiting: 2,
      resumed: 2,
      status: "available/available",
    });
  });

  it("resumes nobody while the cluster is still in transition", async () => {
    cluster("available", "available", "creating");
    twoWaiters();

    const result = await resumeWaiters(event("CLUSTER", CLUSTER_ARN), lambdaContext());

    expect(sfn.calls()).toHaveLength(0);
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(0);
    expect(result).toEqual({
      resourceArn: CLUSTER_ARN,
      waiting: 2,
      resumed: 0,
      status: "available/available/creating",
    });
  });

  it("hands every waiter its own token back once the cluster settled, and removes each waiter only for that token", async () => {
    cluster("available", "available");
    twoWaiters();

    await resumeWaiters(event("CLUSTER", CLUSTER_ARN), lambdaContext());

    expect(sent()).toEqual([
      { taskToken: TOKEN, output: { resourceArn: CLUSTER_ARN, status: "available/available" } },
      { taskToken: OTHER_TOKEN, output: { resourceArn: CLUSTER_ARN, status: "available/available" } },
    ]);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      deleteOf(EXECUTION, TOKEN),
      deleteOf(OTHER, OTHER_TOKEN),
    ]);
  });

  it("tolerates a wait that timed out meanwhile (TaskTimedOut) and a waiter replaced by a newer wait", async () => {
    // Prepare
    cluster("available", "available");
    twoWaiters();
    sfn.on(SendTaskSuccessCommand, { taskToken: TOKEN }).rejects(awsError("TaskTimedOut"));
    dynamodb.on(DeleteItemCommand, { Key: waiterKey(CLUSTER_ARN, OTHER) }).rejects(conditionalCheckFailed());

    // Act
    const result = await resumeWaiters(event("CLUSTER", CLUSTER_ARN), lambdaContext());

    // Assess
    expect(result).toEqual({
      resourceArn: CLUSTER_ARN,
      waiting: 2,
      resumed: 1,
      status: "available/available",
    });
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(2);
  });

  it("lets any other Step Functions error through under its own name", async () => {
    cluster("available", "available");
    twoWaiters();
    sfn.on(SendTaskSuccessCommand).rejects(awsError("ThrottlingException"));

    await expect(resumeWaiters(event("CLUSTER", CLUSTER_ARN), lambdaContext())).rejects.toMatchObject({
      name: "ThrottlingException",
    });
  });

  it("costs one query when nobody waits for the resource", async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });

    const result = await resumeWaiters(event("CLUSTER", CLUSTER_ARN), lambdaContext());

    expect(result).toEqual({ resourceArn: CLUSTER_ARN, waiting: 0, resumed: 0 });
    expect(rds.calls()).toHaveLength(0);
    expect(dynamodb.calls()).toHaveLength(1);
  });

  it("wakes the waiters of a snapshot on its own event", async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Status: "available" }] });
    dynamodb.on(QueryCommand).resolves({
      Items: [
        {
          ...waiterKey(SNAPSHOT_ARN, EXECUTION),
          kind: { S: "rds-cluster-snapshot" },
          taskToken: { S: TOKEN },
        },
      ],
    });

    const result = await resumeWaiters(event("CLUSTER_SNAPSHOT", SNAPSHOT_ARN), lambdaContext());

    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand)[0]?.args[0].input).toEqual({
      DBClusterSnapshotIdentifier: SNAPSHOT_ARN,
    });
    expect(sent()).toEqual([
      { taskToken: TOKEN, output: { resourceArn: SNAPSHOT_ARN, status: "available" } },
    ]);
    expect(result).toMatchObject({ resourceArn: SNAPSHOT_ARN, resumed: 1 });
  });

  it("ignores an instance that belongs to no cluster (nothing is looked up for it)", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{}] });

    const result = await resumeWaiters(event("DB_INSTANCE", INSTANCE_ARN), lambdaContext());

    expect(result).toEqual({ resourceArn: undefined, waiting: 0, resumed: 0 });
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it("ignores events of source types it does not wait on, calling nothing", async () => {
    const result = await resumeWaiters(
      event("DB_PARAMETER_GROUP", "arn:aws:rds:us-east-1:123456789012:pg:tenants"),
      lambdaContext(),
    );

    expect(result).toEqual({ resourceArn: undefined, waiting: 0, resumed: 0 });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(rds.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("refuses an event that is not RDS's with InvalidInputError", async () => {
    await expect(
      resumeWaiters({ ...event("CLUSTER", CLUSTER_ARN), source: "aws.ec2" }, lambdaContext()),
    ).rejects.toMatchObject({ name: "InvalidInputError" });
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
