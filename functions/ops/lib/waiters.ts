/**
 * Executions waiting for an AWS resource to change: `pk = WAITER#<resource ARN>`, `sk = <execution
 * ARN>`, with the task token of the current wait. `ops/await-resource` registers one; the rule on
 * AWS's own state-change events runs `ops/resume-waiters`, which hands every waiter of a resource that
 * has settled its token back. Whichever of the two sees the settled resource first answers; the other
 * finds the token already used, which is fine.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";

const dynamodb = lazyAwsClient(DynamoDBClient);
const rds = lazyAwsClient(RDSClient);
const sfn = lazyAwsClient(SFNClient);
const table = () => requireEnv("TENANT_TABLE");

export type ResourceKind = "rds-cluster" | "rds-cluster-snapshot";

/** RDS statuses that are on their way somewhere: a workflow waiting on the resource has nothing to look at yet. */
const IN_TRANSITION = new Set([
  "creating",
  // A cluster snapshot being copied (to another region for DR): AWS lists available, copying, creating.
  "copying",
  "backing-up",
  "modifying",
  "configuring-enhanced-monitoring",
  "configuring-iam-database-auth",
  "configuring-log-exports",
  "upgrading",
  "rebooting",
  "renaming",
  "resetting-master-credentials",
  "starting",
  "stopping",
  "maintenance",
  "migrating",
  "promoting",
  "failing-over",
  "storage-optimization",
]);

export interface ResourceState {
  /** No longer in transition (available, failed, gone...): the workflow's check has something to decide. */
  readonly settled: boolean;
  readonly status: string;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /NotFound/.test(error.name);
}

/** The resource's state, as the workflow's own check would see it. A resource that is gone is settled. */
export async function describeResource(kind: ResourceKind, arn: string): Promise<ResourceState> {
  try {
    if (kind === "rds-cluster-snapshot") {
      const { DBClusterSnapshots } = await rds().send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: arn }),
      );
      const status = DBClusterSnapshots?.[0]?.Status ?? "deleted";
      return { settled: !IN_TRANSITION.has(status), status };
    }
    const { DBClusters } = await rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: arn }));
    const cluster = DBClusters?.[0];
    if (!cluster) return { settled: true, status: "deleted" };
    const { DBInstances } = await rds().send(
      new DescribeDBInstancesCommand({
        Filters: [{ Name: "db-cluster-id", Values: [cluster.DBClusterIdentifier ?? arn] }],
      }),
    );
    const statuses = [
      cluster.Status ?? "unknown",
      ...(DBInstances ?? []).map((i) => i.DBInstanceStatus ?? ""),
    ];
    return {
      settled: statuses.every((status) => !IN_TRANSITION.has(status)),
      status: statuses.join("/"),
    };
  } catch (error) {
    if (isNotFound(error)) return { settled: true, status: "deleted" };
    throw error;
  }
}

/** The cluster an instance belongs to (an instance's event wakes the waiters of its cluster). */
export async function clusterArnOfInstance(instanceArn: string): Promise<string | undefined> {
  try {
    const { DBInstances } = await rds().send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceArn }),
    );
    const clusterId = DBInstances?.[0]?.DBClusterIdentifier;
    if (!clusterId) return undefined;
    const { DBClusters } = await rds().send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }),
    );
    return DBClusters?.[0]?.DBClusterArn;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

const waiterKey = (resourceArn: string, executionArn: string) => ({
  pk: { S: `WAITER#${resourceArn}` },
  sk: { S: executionArn },
});

export interface Waiter {
  readonly resourceArn: string;
  readonly kind: ResourceKind;
  readonly executionArn: string;
  readonly taskToken: string;
}

/** Registers (or replaces: one wait at a time per execution and resource) a waiter. */
export async function putWaiter(waiter: Waiter, expiresAtSeconds: number): Promise<void> {
  await dynamodb().send(
    new PutItemCommand({
      TableName: table(),
      Item: {
        ...waiterKey(waiter.resourceArn, waiter.executionArn),
        kind: { S: waiter.kind },
        taskToken: { S: waiter.taskToken },
        // For a TTL on the table: waiters of executions that ended otherwise do not pile up.
        expiresAt: { N: String(expiresAtSeconds) },
      },
    }),
  );
}

export async function waitersOf(resourceArn: string): Promise<Waiter[]> {
  const waiters: Waiter[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: `WAITER#${resourceArn}` } },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      waiters.push({
        resourceArn,
        kind: (item.kind?.S ?? "rds-cluster") as ResourceKind,
        executionArn: item.sk?.S ?? "",
        taskToken: item.taskToken?.S ?? "",
      });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return waiters;
}

/**
 * Hands the waiter its token back with the resource's state and removes it. A token already answered
 * (by the other path) or whose wait timed out is not an error: the execution has moved on.
 */
export async function resume(waiter: Waiter, state: ResourceState): Promise<boolean> {
  let resumed = true;
  try {
    await sfn().send(
      new SendTaskSuccessCommand({
        taskToken: waiter.taskToken,
        output: JSON.stringify({ resourceArn: waiter.resourceArn, status: state.status }),
      }),
    );
  } catch (error) {
    if (
      !(error instanceof Error && ["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"].includes(error.name))
    )
      throw error;
    resumed = false;
  }
  await dynamodb()
    .send(
      new DeleteItemCommand({
        TableName: table(),
        Key: waiterKey(waiter.resourceArn, waiter.executionArn),
        // Only this wait's token: a newer wait of the same execution keeps its own.
        ConditionExpression: "attribute_not_exists(pk) OR taskToken = :token",
        ExpressionAttributeValues: { ":token": { S: waiter.taskToken } },
      }),
    )
    .catch((error: unknown) => {
      if (!(error instanceof Error && error.name === "ConditionalCheckFailedException")) throw error;
    });
  return resumed;
}
