/**
 * The local registry table has the tenant index the stacks deploy (functions/tenant/lib/registry-index.ts),
 * and the fleet listing reads tenant items alone through it; on a table made before the index (a data
 * directory from an earlier version: dynalite cannot add an index to a table) the listing scans.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTenantBriefs } from "../../../functions/tenant/lib/registry.ts";
import { createClock } from "../../../local/clock/clock.ts";
import { createRuntime, type Runtime, TENANT_TABLE } from "../../../local/runtime.ts";

let runtime: Runtime;
const region = "us-east-1";
const send = (operation: string, input: Record<string, unknown>) =>
  runtime.cloud.send({ service: "DynamoDB", operation, region, input });

/** Two tenants (with a history each) and the other items the registry holds beside them. */
async function fill(table: string): Promise<void> {
  for (const slug of ["beta", "alpha"]) {
    await send("PutItem", {
      TableName: table,
      Item: {
        pk: { S: `TENANT#${slug}` },
        sk: { S: "TENANT" },
        slug: { S: slug },
        tenantId: { S: `t-${slug}` },
        tier: { S: "basic" },
        status: { S: "active" },
        history: { L: [{ M: { step: { S: "register" } } }] },
      },
    });
    await send("PutItem", {
      TableName: table,
      Item: { pk: { S: `TENANTID#t-${slug}` }, sk: { S: "ALIAS" } },
    });
  }
  for (let i = 0; i < 5; i++) {
    await send("PutItem", {
      TableName: table,
      Item: {
        pk: { S: "REPORT#tenant-onboarding" },
        sk: { S: `2026-06-02T09:0${i}#run` },
        body: { B: "eA==" },
      },
    });
  }
}

const previousTable = process.env.TENANT_TABLE;
beforeAll(async () => {
  runtime = await createRuntime({ clock: createClock({ mode: { kind: "manual" } }) });
});
afterAll(async () => {
  process.env.TENANT_TABLE = previousTable;
  await runtime.close();
});

describe("the registry's tenant index, locally", () => {
  it("answers tenant items alone, in brief", async () => {
    // Prepare
    await fill(TENANT_TABLE);

    // Act
    const answer = (await send("Query", {
      TableName: TENANT_TABLE,
      IndexName: "by-kind",
      KeyConditionExpression: "sk = :tenant",
      ExpressionAttributeValues: { ":tenant": { S: "TENANT" } },
    })) as { Items: Record<string, unknown>[]; ScannedCount: number };

    // Assess: the two tenants, read without the aliases and reports; their history not projected.
    expect(answer.ScannedCount).toBe(2);
    expect(answer.Items.map((item) => (item.slug as { S: string }).S)).toEqual(["alpha", "beta"]);
    expect(answer.Items.every((item) => item.history === undefined)).toBe(true);

    process.env.TENANT_TABLE = TENANT_TABLE;
    expect((await listTenantBriefs()).map((t) => t.slug)).toEqual(["alpha", "beta"]);
  });

  it("lists the tenants of a table made before the index by scanning it", async () => {
    // Prepare: a table as earlier versions made it.
    const table = "cplane-local-tenants-before-index";
    await send("CreateTable", {
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    });
    await runtime.clock.advance(60_000);
    await fill(table);
    process.env.TENANT_TABLE = table;

    // Act
    const tenants = await listTenantBriefs();

    // Assess
    expect(tenants.map((t) => ({ slug: t.slug, status: t.status }))).toEqual([
      { slug: "alpha", status: "active" },
      { slug: "beta", status: "active" },
    ]);
  });
});
