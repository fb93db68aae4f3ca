import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../functions/tenant/announce.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  APP_SECRET_ARN,
  BUS,
  conditionalCheckFailed,
  EXECUTION,
  KEY,
  setTenantEnvironment,
  TABLE,
  TENANT_ID,
  tenantItem,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const events = mockClient(EventBridgeClient);
const ENDPOINT = "tenant-acme.cluster-abc.us-east-1.rds.amazonaws.com";
const input = {
  tenantId: TENANT_ID,
  slug: "acme",
  executionArn: EXECUTION,
  secretArn: APP_SECRET_ARN,
  endpoint: ENDPOINT,
  hostname: "acme.tenants.example.com",
};

beforeEach(() => {
  dynamodb.reset();
  events.reset();
  setTenantEnvironment();
  vi.useFakeTimers({ now: new Date("2026-11-22T10:10:00.000Z"), toFake: ["Date"] });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  return () => vi.useRealTimers();
});

describe("announce", () => {
  it("marks the tenant active and publishes Tenant Created with the secret's ARN, never a password", async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "active" }) });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    const update = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(update).toMatchObject({
      TableName: TABLE,
      Key: KEY,
      ConditionExpression: "attribute_exists(pk) AND #status IN (:from0, :from1)",
      ExpressionAttributeNames: { "#a0": "secretArn", "#a1": "endpoint", "#a2": "hostname" },
    });
    expect(unmarshall(update?.ExpressionAttributeValues ?? {})).toMatchObject({
      ":to": "active",
      ":from0": "onboarding",
      ":from1": "active",
      ":entry": [
        { at: "2026-11-22T10:10:00.000Z", step: "announce", outcome: "active", executionArn: EXECUTION },
      ],
      ":a0": APP_SECRET_ARN,
    });
    const detail = {
      tenantId: TENANT_ID,
      slug: "acme",
      tier: "premium",
      region: "us-east-1",
      secretArn: APP_SECRET_ARN,
      endpoint: ENDPOINT,
      hostname: "acme.tenants.example.com",
    };
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: BUS,
          Source: "cplane.tenants",
          DetailType: "Tenant Created",
          Detail: JSON.stringify(detail),
        },
      ],
    });
    expect(result).toEqual({ ...detail, status: "active" });
    expect(JSON.stringify(events.commandCalls(PutEventsCommand)[0]?.args[0].input)).not.toMatch(/password/i);
  });

  it("carries the run report's summary in Tenant Created", async () => {
    // Prepare
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "active" }) });
    const report = {
      outcome: "succeeded" as const,
      reason: "tenant acme is active",
      durationSeconds: 690,
      figures: [{ name: "time to active", value: 690, unit: "s" }],
    };

    // Act
    await handler({ ...input, report }, lambdaContext());

    // Assess
    const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(entry?.Detail ?? "{}").report).toEqual(report);
  });

  it("refuses to announce a tenant that is no longer onboarding, naming its state", async () => {
    dynamodb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem({ status: "offboarding" }) });

    await expect(handler(input, lambdaContext())).rejects.toMatchObject({ name: "TenantStateConflictError" });
    expect(events.calls()).toHaveLength(0);
  });

  it("says EventPublishError (retried by the state machine) when EventBridge does not take the event", async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "active" }) });
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure" }] });
    await expect(handler(input, lambdaContext())).rejects.toMatchObject({ name: "EventPublishError" });
  });
});
