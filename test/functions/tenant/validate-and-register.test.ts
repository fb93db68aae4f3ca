import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidInputError } from "../../../functions/shared/errors.ts";
import { handler } from "../../../functions/tenant/validate-and-register.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  conditionalCheckFailed,
  EXECUTION,
  KEY,
  OTHER_EXECUTION,
  setTenantEnvironment,
  TABLE,
  TENANT_ID,
  tenantItem,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const request = { name: "Acme", tier: "premium", adminEmail: "ops@acme.test", executionArn: EXECUTION };

beforeEach(() => {
  dynamodb.reset();
  sfn.reset();
  setTenantEnvironment();
  vi.useFakeTimers({ now: new Date("2026-11-22T10:00:00.000Z"), toFake: ["Date"] });
  return () => vi.useRealTimers();
});

describe("validate-and-register", () => {
  it("registers a new tenant with a conditional write, status onboarding and a history entry", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const result = await handler(request, lambdaContext());

    // Assess
    const input = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe(TABLE);
    expect(input?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(input?.Item?.pk).toEqual(KEY.pk);
    expect(input?.Item?.sk).toEqual(KEY.sk);
    const item = unmarshall(input?.Item ?? {});
    expect(item).toEqual({
      pk: "TENANT#acme",
      sk: "TENANT",
      tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      slug: "acme",
      name: "Acme",
      tier: "premium",
      adminEmail: "ops@acme.test",
      region: "us-east-1",
      status: "onboarding",
      executionArn: EXECUTION,
      createdAt: "2026-11-22T10:00:00.000Z",
      updatedAt: "2026-11-22T10:00:00.000Z",
      history: [
        { at: "2026-11-22T10:00:00.000Z", step: "register", outcome: "registered", executionArn: EXECUTION },
      ],
    });
    expect(result).toMatchObject({
      slug: "acme",
      status: "onboarding",
      joined: false,
      tenantId: item.tenantId,
    });
  });

  it("uses the requested slug and home region", async () => {
    vi.stubEnv("TENANT_REGIONS", "us-east-1, eu-west-1");
    dynamodb.on(PutItemCommand).resolves({});
    const result = await handler({ ...request, slug: "acme-eu", region: "eu-west-1" }, lambdaContext());
    expect(result).toMatchObject({ slug: "acme-eu", region: "eu-west-1" });
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.pk).toEqual({ S: "TENANT#acme-eu" });
  });

  it("refuses a home region the control plane does not provision in, before writing anything", async () => {
    vi.stubEnv("TENANT_REGIONS", "us-east-1");
    await expect(handler({ ...request, region: "ap-south-1" }, lambdaContext())).rejects.toMatchObject({
      name: "UnsupportedRegionError",
      message: "region ap-south-1 is not a tenant home region: region: must be one of us-east-1",
    });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it("defaults the home region to the function's own", async () => {
    vi.stubEnv("TENANT_REGIONS", "");
    dynamodb.on(PutItemCommand).resolves({});
    const result = await handler(request, lambdaContext());
    expect(result.region).toBe(process.env.AWS_REGION);
  });

  it("joins the existing tenant when the same tenant is requested again", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ executionArn: OTHER_EXECUTION, status: "active" }) });

    // Act
    const result = await handler(request, lambdaContext());

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      ConsistentRead: true,
    });
    expect(result).toMatchObject({ tenantId: TENANT_ID, status: "active", joined: true });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("refuses a repeated request that asks for another tier, saying what exists, and changes nothing", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ executionArn: OTHER_EXECUTION, status: "active", tier: "premium" }) });

    // Act
    const attempt = handler({ ...request, tier: "basic" }, lambdaContext());

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: "TenantRequestConflictError",
      message: expect.stringMatching(
        /already exists \(active: premium, .*\); this request differs in tier \(basic\)/,
      ),
    });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("joins an onboarding only while the execution that drives it runs", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ executionArn: OTHER_EXECUTION, status: "onboarding" }) });
    sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });

    // Act
    const result = await handler(request, lambdaContext());

    // Assess
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: OTHER_EXECUTION,
    });
    expect(result).toMatchObject({ joined: true, executionArn: OTHER_EXECUTION });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it.each([
    [
      "is gone",
      () =>
        sfn
          .on(DescribeExecutionCommand)
          .rejects(Object.assign(new Error("gone"), { name: "ExecutionDoesNotExist" })),
    ],
    ["was stopped", () => sfn.on(DescribeExecutionCommand).resolves({ status: "ABORTED" })],
  ])(
    "takes over an onboarding whose execution %s, instead of joining an operation nobody drives",
    async (_, owner) => {
      // Prepare
      dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
      dynamodb
        .on(GetItemCommand)
        .resolves({ Item: tenantItem({ executionArn: OTHER_EXECUTION, status: "onboarding" }) });
      owner();
      dynamodb.on(UpdateItemCommand).resolves({
        Attributes: tenantItem({ executionArn: EXECUTION, status: "onboarding" }),
      });

      // Act
      const result = await handler(request, lambdaContext());

      // Assess
      const update = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
      expect(update?.ConditionExpression).toBe("attribute_exists(pk) AND #status IN (:from0)");
      expect(unmarshall(update?.ExpressionAttributeValues ?? {})).toMatchObject({
        ":to": "onboarding",
        ":from0": "onboarding",
        ":entry": [expect.objectContaining({ outcome: "taken-over", executionArn: EXECUTION })],
      });
      expect(result).toMatchObject({ joined: false, executionArn: EXECUTION });
    },
  );

  it("continues as the owner when its own registration is retried, and makes sure of the id alias", async () => {
    dynamodb
      .on(PutItemCommand, { ConditionExpression: "attribute_not_exists(pk)" })
      .rejects(conditionalCheckFailed());
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem() });
    const result = await handler(request, lambdaContext());
    expect(result).toMatchObject({ tenantId: TENANT_ID, joined: false });
    expect(dynamodb.commandCalls(PutItemCommand)[1]?.args[0].input.Item?.pk).toEqual({
      S: `TENANTID#${TENANT_ID}`,
    });
  });

  it("takes over a tenant whose onboarding failed, with a conditional status change", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ executionArn: OTHER_EXECUTION, status: "failed" }) });
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "onboarding" }) });

    // Act
    const result = await handler(request, lambdaContext());

    // Assess
    const input = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      Key: KEY,
      ConditionExpression: "attribute_exists(pk) AND #status IN (:from0)",
      UpdateExpression:
        "SET #status = :to, #updatedAt = :now, #history = list_append(#history, :entry), #a0 = :a0, #a1 = :a1, #a2 = :a2",
      ExpressionAttributeNames: {
        "#status": "status",
        "#updatedAt": "updatedAt",
        "#history": "history",
        "#a0": "executionArn",
        "#a1": "tier",
        "#a2": "adminEmail",
      },
      ReturnValues: "ALL_NEW",
    });
    expect(unmarshall(input?.ExpressionAttributeValues ?? {})).toEqual({
      ":to": "onboarding",
      ":now": "2026-11-22T10:00:00.000Z",
      ":entry": [
        {
          at: "2026-11-22T10:00:00.000Z",
          step: "register",
          outcome: "retrying",
          reason: "onboarding requested again",
          executionArn: EXECUTION,
        },
      ],
      ":from0": "failed",
      ":a0": EXECUTION,
      ":a1": "premium",
      ":a2": "ops@acme.test",
    });
    expect(result).toMatchObject({ status: "onboarding", joined: false });
  });

  it("refuses a slug that belongs to another tenant with TenantSlugTakenError", async () => {
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ name: "ACME Holdings", executionArn: OTHER_EXECUTION }) });
    await expect(handler(request, lambdaContext())).rejects.toMatchObject({ name: "TenantSlugTakenError" });
  });

  it("does not reuse the slug of an offboarded tenant", async () => {
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ status: "offboarded", executionArn: OTHER_EXECUTION }) });
    await expect(handler(request, lambdaContext())).rejects.toMatchObject({ name: "TenantSlugTakenError" });
  });

  it.each([
    [{ ...request, tier: "gold" }, /tier/],
    [{ ...request, adminEmail: "not-an-email" }, /adminEmail/],
    [{ ...request, name: "" }, /name/],
    [{ ...request, region: "Mars" }, /region/],
  ])("refuses bad input before writing anything (%o)", async (input, field) => {
    const outcome = handler(input, lambdaContext());
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
    await expect(outcome).rejects.toThrow(field);
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it("refuses invalid and reserved slugs with named errors before writing anything", async () => {
    await expect(handler({ ...request, slug: "Bad_Slug" }, lambdaContext())).rejects.toMatchObject({
      name: "InvalidSlugError",
    });
    await expect(handler({ ...request, name: "Admin" }, lambdaContext())).rejects.toMatchObject({
      name: "ReservedSlugError",
    });
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it("lets DynamoDB throttling through under its own name, for the state machine to retry", async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" }));
    await expect(handler(request, lambdaContext())).rejects.toMatchObject({
      name: "ProvisionedThroughputExceededException",
    });
  });
});
