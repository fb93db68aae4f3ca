/**
 * Listing the fleet in brief reads the registry's index of tenant items (registry-index.ts), and scans
 * the table where the index cannot answer: a local table made before the index, or an index still
 * being built on AWS.
 */
import { DynamoDBClient, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { listTenantBriefs } from "../../../functions/tenant/lib/registry.ts";
import { setTenantEnvironment, TABLE } from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);

const PROJECTION = {
  ProjectionExpression: "#f0, #f1, #f2, #f3, #f4, #f5, #f6",
  ExpressionAttributeNames: {
    "#f0": "slug",
    "#f1": "tenantId",
    "#f2": "tier",
    "#f3": "status",
    "#f4": "region",
    "#f5": "createdAt",
    "#f6": "leftovers",
  },
  ExpressionAttributeValues: { ":tenant": { S: "TENANT" } },
};
const brief = (slug: string) => marshall({ slug, tenantId: `t-${slug}`, tier: "basic", status: "active" });
const awsError = (message: string) => Object.assign(new Error(message), { name: "ValidationException" });

beforeEach(() => {
  dynamodb.reset();
  setTenantEnvironment();
});

describe("listTenantBriefs", () => {
  it("queries the tenant index page by page and answers the tenants by slug", async () => {
    // Prepare
    const next = { pk: { S: "TENANT#b" }, sk: { S: "TENANT" } };
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({ Items: [brief("zeta"), brief("beta")], LastEvaluatedKey: next })
      .resolvesOnce({ Items: [brief("alpha")] });

    // Act
    const tenants = await listTenantBriefs();

    // Assess
    expect(tenants.map((t) => t.slug)).toEqual(["alpha", "beta", "zeta"]);
    const queries = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toEqual([
      {
        TableName: TABLE,
        IndexName: "by-kind",
        KeyConditionExpression: "sk = :tenant",
        ...PROJECTION,
        ExclusiveStartKey: undefined,
      },
      {
        TableName: TABLE,
        IndexName: "by-kind",
        KeyConditionExpression: "sk = :tenant",
        ...PROJECTION,
        ExclusiveStartKey: next,
      },
    ]);
    expect(dynamodb.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it.each([
    "The table does not have the specified index: by-kind",
    "Cannot read from backfilling global secondary index: by-kind",
  ])("scans the table when the index answers %j", async (message) => {
    // Prepare
    dynamodb.on(QueryCommand).rejects(awsError(message));
    dynamodb.on(ScanCommand).resolves({ Items: [brief("acme")] });

    // Act
    const tenants = await listTenantBriefs();

    // Assess
    expect(tenants.map((t) => t.slug)).toEqual(["acme"]);
    expect(dynamodb.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, FilterExpression: "sk = :tenant", ...PROJECTION, ExclusiveStartKey: undefined },
    ]);
  });

  it("does not hide any other failure behind a scan", async () => {
    dynamodb.on(QueryCommand).rejects(awsError("One or more parameter values were invalid"));

    await expect(listTenantBriefs()).rejects.toThrow(/parameter values were invalid/);
    expect(dynamodb.commandCalls(ScanCommand)).toHaveLength(0);
  });
});
