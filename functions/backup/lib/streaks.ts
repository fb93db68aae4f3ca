/**
 * Each tenant's run of consecutive failed verifications, in the registry (`pk = BACKUP#<slug>`,
 * `sk = STREAK`): a failure adds one, a pass resets it. A retry of the same execution's record changes
 * nothing (the item names the last execution counted).
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import { now } from "./inputs.ts";
import { isAwsError } from "./rds.ts";

const dynamodb = lazyAwsClient(DynamoDBClient);

export const streakKey = (slug: string) => ({ pk: { S: `BACKUP#${slug}` }, sk: { S: "STREAK" } });

/** Counts this execution's outcome for the tenant; returns the consecutive failures after it. */
export async function recordRun(
  slug: string,
  executionArn: string,
  outcome: "verified" | "failed",
): Promise<number> {
  const TableName = requireEnv("TENANT_TABLE");
  try {
    const { Attributes } = await dynamodb().send(
      new UpdateItemCommand({
        TableName,
        Key: streakKey(slug),
        UpdateExpression:
          outcome === "failed"
            ? "SET lastExecution = :exec, lastOutcome = :outcome, updatedAt = :now ADD consecutiveFailures :one"
            : "SET lastExecution = :exec, lastOutcome = :outcome, updatedAt = :now, consecutiveFailures = :zero",
        ConditionExpression: "attribute_not_exists(lastExecution) OR lastExecution <> :exec",
        ExpressionAttributeValues: {
          ":exec": { S: executionArn },
          ":outcome": { S: outcome },
          ":now": { S: now() },
          ...(outcome === "failed" ? { ":one": { N: "1" } } : { ":zero": { N: "0" } }),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Number(Attributes?.consecutiveFailures?.N ?? 0);
  } catch (error) {
    if (!isAwsError(error, "ConditionalCheckFailedException")) throw error;
    const { Item } = await dynamodb().send(
      new GetItemCommand({ TableName, Key: streakKey(slug), ConsistentRead: true }),
    );
    return Number(Item?.consecutiveFailures?.N ?? 0);
  }
}
