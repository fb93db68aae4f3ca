/**
 * What DR keeps in the registry table: the latest readiness (`pk = DR#READINESS`, `sk = LATEST`, the
 * assessment as JSON) and, on the tenants' own items, the region they now run in after a failover.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { Leftover } from "../../../events/tenants.ts";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import { type HistoryEntry, tenantKey } from "../../tenant/lib/registry.ts";
import type { Readiness } from "./readiness.ts";

const dynamodb = lazyAwsClient(DynamoDBClient);
const READINESS_KEY = { pk: { S: "DR#READINESS" }, sk: { S: "LATEST" } };

/** The last readiness stored, from this function's table or from `from` (the CLI reading a stage). */
export async function readReadiness(from?: {
  client: DynamoDBClient;
  tableName: string;
}): Promise<Readiness | undefined> {
  const { Item } = await (from?.client ?? dynamodb()).send(
    new GetItemCommand({
      TableName: from?.tableName ?? requireEnv("TENANT_TABLE"),
      Key: READINESS_KEY,
      ConsistentRead: true,
    }),
  );
  const body = Item?.readiness?.S;
  return body ? (JSON.parse(body) as Readiness) : undefined;
}

export async function writeReadiness(readiness: Readiness): Promise<void> {
  await dynamodb().send(
    new PutItemCommand({
      TableName: requireEnv("TENANT_TABLE"),
      Item: {
        ...READINESS_KEY,
        overall: { S: readiness.overall },
        checkedAt: { S: readiness.checkedAt },
        readiness: { S: JSON.stringify(readiness) },
      },
    }),
  );
}

/** Records that a tenant now runs in `region` (its cluster promoted or restored there). */
export async function moveTenant(slug: string, region: string, entry: HistoryEntry): Promise<void> {
  await dynamodb().send(
    new UpdateItemCommand({
      TableName: requireEnv("TENANT_TABLE"),
      Key: tenantKey(slug),
      UpdateExpression: "SET #region = :region, #history = list_append(#history, :entry), #updatedAt = :now",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#region": "region", "#history": "history", "#updatedAt": "updatedAt" },
      ExpressionAttributeValues: marshall(
        { ":region": region, ":entry": [entry], ":now": entry.at },
        { removeUndefinedValues: true },
      ),
    }),
  );
}

/** Records what of an offboarded tenant is still to be removed (none: the attribute goes). */
export async function setLeftovers(
  slug: string,
  leftovers: readonly Leftover[],
  entry: HistoryEntry,
): Promise<void> {
  const keep = leftovers.length > 0;
  await dynamodb().send(
    new UpdateItemCommand({
      TableName: requireEnv("TENANT_TABLE"),
      Key: tenantKey(slug),
      UpdateExpression: `SET ${keep ? "#leftovers = :leftovers, " : ""}#history = list_append(#history, :entry), #updatedAt = :now${keep ? "" : " REMOVE #leftovers"}`,
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: {
        "#leftovers": "leftovers",
        "#history": "history",
        "#updatedAt": "updatedAt",
      },
      ExpressionAttributeValues: marshall(
        { ...(keep ? { ":leftovers": leftovers } : {}), ":entry": [entry], ":now": entry.at },
        { removeUndefinedValues: true },
      ),
    }),
  );
}
