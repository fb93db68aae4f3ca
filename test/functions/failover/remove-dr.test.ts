/**
 * Offboarding's DR step refuses, by name and before anything changes, what it cannot do safely: a
 * tenant whose region does not answer (its final snapshot cannot be taken), and a tenant whose global
 * database writes elsewhere than the registry says (a move not recorded yet).
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler as removeDr } from "../../../functions/failover/remove-dr.ts";
import { lambdaContext } from "../../support/context.ts";
import { EXECUTION, setTenantEnvironment, TENANT_ID, tenantItem } from "../tenant/support.ts";

const rds = mockClient(RDSClient);
const dynamodb = mockClient(DynamoDBClient);
const WEST = "arn:aws:rds:us-west-2:123456789012:cluster:tenant-acme";
const EAST = "arn:aws:rds:us-east-1:123456789012:cluster:tenant-acme";
const timeout = () =>
  Object.assign(new Error("connect ETIMEDOUT"), { name: "TimeoutError", code: "ETIMEDOUT" });
const input = { tenantId: TENANT_ID, slug: "acme", executionArn: EXECUTION };

beforeEach(() => {
  rds.reset();
  dynamodb.reset();
  setTenantEnvironment();
  process.env.AWS_REGION = "us-east-1";
});

/** Only reads were sent: nothing changed. */
const onlyReads = () =>
  rds
    .calls()
    .every((call) => /^Describe/.test((call.args[0] as { constructor: { name: string } }).constructor.name));

describe("remove-dr refuses what it cannot do safely", () => {
  it("says RegionUnreachableError for a tenant moved to a region that does not answer", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ status: "offboarding", region: "us-west-2" }) });
    rds.on(DescribeDBClustersCommand).rejects(timeout());

    await expect(removeDr(input, lambdaContext())).rejects.toMatchObject({
      name: "RegionUnreachableError",
      message: expect.stringContaining("runs in us-west-2, which does not answer"),
    });
    expect(onlyReads()).toBe(true);
  });

  it("says RegionUnreachableError for a tenant at home when a region of the pair does not answer", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ status: "offboarding", region: "us-east-1" }) });
    rds.on(DescribeGlobalClustersCommand).rejects(timeout());

    await expect(removeDr(input, lambdaContext())).rejects.toMatchObject({ name: "RegionUnreachableError" });
    expect(onlyReads()).toBe(true);
  });

  it("says WriterElsewhereError when the global database writes where the registry does not say", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ status: "offboarding", region: "us-west-2" }) });
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: "tenant-acme",
          DBClusterArn: WEST,
          GlobalClusterIdentifier: "tenant-acme-global",
          Status: "available",
          TagList: [{ Key: "cplane:tenant", Value: "acme" }],
        },
      ],
    });
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: "tenant-acme-global",
          Status: "available",
          GlobalClusterMembers: [
            { DBClusterArn: EAST, IsWriter: true },
            { DBClusterArn: WEST, IsWriter: false },
          ],
        },
      ],
    });

    await expect(removeDr(input, lambdaContext())).rejects.toMatchObject({
      name: "WriterElsewhereError",
      message: expect.stringContaining("writes in us-east-1"),
    });
    expect(onlyReads()).toBe(true);
  });
});
