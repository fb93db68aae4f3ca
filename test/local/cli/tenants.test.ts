import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tenants } from "../../../local/cli/commands/local.ts";
import { resolveTarget } from "../../../local/cli/target.ts";
import { tenantItem } from "../../functions/tenant/support.ts";

const dynamodb = mockClient(DynamoDBClient);
let printed = "";

beforeEach(() => {
  dynamodb.reset();
  printed = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    printed += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe("cplane tenants list --target aws", () => {
  it("reads every page of the stage's registry table in its region and prints summaries without history", async () => {
    // Prepare: two pages, the second with another tenant
    const globex = { ...tenantItem({ slug: "globex", tier: "basic" }), ...marshall({ pk: "TENANT#globex" }) };
    dynamodb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [tenantItem({ status: "active" })],
        LastEvaluatedKey: { pk: { S: "TENANT#acme" } },
      })
      .resolvesOnce({ Items: [globex] });
    const target = resolveTarget({ target: "aws", region: "eu-west-1", stage: "prod" }, {});

    // Act
    const code = await tenants(target, "list", { json: true });

    // Assess
    expect(code).toBe(0);
    const scans = dynamodb.commandCalls(ScanCommand);
    expect(scans.map((call) => call.args[0].input.TableName)).toEqual([
      "cplane-prod-tenants",
      "cplane-prod-tenants",
    ]);
    expect(scans[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: { S: "TENANT#acme" } });
    expect(await scans[0]?.thisValue.config.region()).toBe("eu-west-1");
    const listed = JSON.parse(printed) as Record<string, unknown>[];
    expect(listed.map((t) => [t.slug, t.tier, t.status])).toEqual([
      ["acme", "premium", "active"],
      ["globex", "basic", "onboarding"],
    ]);
    expect(listed[0]).not.toHaveProperty("history");
  });
});

describe("cplane tenants list (table)", () => {
  it("names the regions an offboarding left something in, for the readiness run to remove", async () => {
    // Prepare
    const leftovers = [
      { region: "us-east-1", resource: "namespace acme", reason: "us-east-1 did not answer" },
      { region: "us-east-1", resource: "secret cplane/tenants/acme/db", reason: "us-east-1 did not answer" },
      { region: "us-west-2", resource: "DB cluster tenant-acme", reason: "writer held" },
    ];
    dynamodb.on(ScanCommand).resolves({ Items: [tenantItem({ status: "offboarded", leftovers })] });
    const target = resolveTarget({ target: "aws", region: "eu-west-1", stage: "prod" }, {});

    // Act
    await tenants(target, "list", {});

    // Assess
    const [header, row] = printed.trim().split("\n");
    expect(header).toMatch(/LEFT IN$/);
    expect(row).toMatch(/offboarded .* us-east-1 us-west-2$/);
  });
});
