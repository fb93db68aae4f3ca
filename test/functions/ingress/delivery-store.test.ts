import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createDynamoDeliveryStore } from "../../../functions/ingress/lib/deliveries.ts";

const dynamodb = mockClient(DynamoDBClient);
const NOW = Date.parse("2026-11-22T00:00:00Z");
const store = () =>
  createDynamoDeliveryStore({ client: new DynamoDBClient({}), tableName: "registry", now: () => NOW });
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });

beforeEach(() => dynamodb.reset());

describe("DynamoDB delivery store", () => {
  it("claims a new delivery id with a conditional put that expires after seven days", async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await expect(store().begin("d-1")).resolves.toBe("new");
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
      TableName: "registry",
      Item: {
        pk: { S: "DELIVERY#d-1" },
        sk: { S: "DELIVERY" },
        status: { S: "in-progress" },
        expiresAt: { N: String(NOW / 1000 + 7 * 24 * 3600) },
      },
      ConditionExpression: "attribute_not_exists(pk)",
    });
  });

  it("answers duplicate when another instance claimed the id", async () => {
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    await expect(store().begin("d-1")).resolves.toBe("duplicate");
  });

  it("lets other errors through, so the provider retries", async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    await expect(store().begin("d-1")).rejects.toMatchObject({ name: "ThrottlingException" });
  });

  it("marks a published delivery done and releases one whose publish failed", async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});
    await store().complete("d-1");
    await store().abort("d-2");
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: { S: "DELIVERY#d-1" }, sk: { S: "DELIVERY" } },
      ExpressionAttributeValues: { ":done": { S: "done" } },
    });
    expect(dynamodb.commandCalls(DeleteItemCommand)[0]?.args[0].input).toEqual({
      TableName: "registry",
      Key: { pk: { S: "DELIVERY#d-2" }, sk: { S: "DELIVERY" } },
      ConditionExpression: "#status = :progress",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":progress": { S: "in-progress" } },
    });
  });

  it("never releases a delivery that completed meanwhile", async () => {
    dynamodb.on(DeleteItemCommand).rejects(conditionFailed());
    await expect(store().abort("d-1")).resolves.toBeUndefined();
  });
});
