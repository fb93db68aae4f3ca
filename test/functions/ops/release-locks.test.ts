import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler } from "../../../functions/ops/release-locks.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  conditionalCheckFailed,
  EXECUTION,
  leaseItem,
  lockKey,
  NOW,
  OTHER,
  ownerKey,
  setOpsEnvironment,
  TABLE,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);

beforeEach(() => {
  dynamodb.reset();
  setOpsEnvironment();
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  // Leases stored without `exclusiveUntil` (as these fixtures are): the one-update shared path does not
  // apply, and the handlers go through read, decide and write (test/functions/ops/leases.test.ts has both).
  dynamodb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
  dynamodb
    .on(GetItemCommand, { Key: lockKey("fleet") })
    .resolves({ Item: leaseItem("fleet", { [EXECUTION]: { mode: "shared", until: NOW + 10 } }, 3) });
  dynamodb
    .on(GetItemCommand, { Key: lockKey("tenant:acme") })
    .resolves({ Item: leaseItem("tenant:acme", { [OTHER]: { mode: "exclusive", until: NOW + 10 } }, 5) });
});

describe("release-locks", () => {
  it("finds everything the execution holds through its index items and gives back what it still holds", async () => {
    // Prepare: the index also names tenant:acme, taken over by OTHER since.
    dynamodb.on(QueryCommand).resolves({
      Items: [
        { ...ownerKey(EXECUTION, "fleet"), lock: { S: "fleet" } },
        { ...ownerKey(EXECUTION, "tenant:acme"), lock: { S: "tenant:acme" } },
      ],
    });

    // Act
    const result = await handler({ executionArn: EXECUTION }, lambdaContext());

    // Assess
    expect(dynamodb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      KeyConditionExpression: "pk = :owner AND begins_with(sk, :lock)",
      ExpressionAttributeValues: { ":owner": { S: `OWNER#${EXECUTION}` }, ":lock": { S: "LOCK#" } },
    });
    expect(dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: {
          ...lockKey("fleet"),
          name: { S: "fleet" },
          holders: { M: {} },
          version: { N: "4" },
          exclusiveUntil: { N: "0" },
        },
        ConditionExpression: "version = :previous",
        ExpressionAttributeValues: { ":previous": { N: "3" } },
      },
    ]);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: ownerKey(EXECUTION, "fleet") },
      { TableName: TABLE, Key: ownerKey(EXECUTION, "tenant:acme") },
    ]);
    expect(result).toEqual({ released: ["fleet"] });
  });

  it("releases only the locks named, without reading the index", async () => {
    const result = await handler({ executionArn: EXECUTION, locks: ["fleet"] }, lambdaContext());

    expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input.Key)).toEqual([
      lockKey("fleet"),
    ]);
    expect(result).toEqual({ released: ["fleet"] });
  });

  it("is safe to run twice: an execution that holds nothing releases nothing", async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });

    const result = await handler({ executionArn: EXECUTION }, lambdaContext());

    expect(result).toEqual({ released: [] });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it.each([
    ["a bad lock name", { executionArn: EXECUTION, locks: ["tenant:a b"] }],
    ["no execution", { executionArn: "" }],
  ])("refuses %s with InvalidInputError before any call", async (_, input) => {
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({ name: "InvalidInputError" });
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
