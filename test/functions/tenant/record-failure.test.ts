import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../functions/tenant/record-failure.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  BUS,
  EXECUTION,
  KEY,
  OTHER_EXECUTION,
  setTenantEnvironment,
  TABLE,
  TENANT_ID,
  tenantItem,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const events = mockClient(EventBridgeClient);
const lambdaCause = JSON.stringify({
  errorType: "MigrationFailedError",
  errorMessage: "migration 0002 (projects) failed",
  trace: ["MigrationFailedError: ...", "at migrate (...)"],
});
const failure = { step: "migrate-database", error: "MigrationFailedError", cause: lambdaCause };

function publishedDetail() {
  const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
  return { type: entry?.DetailType, bus: entry?.EventBusName, detail: JSON.parse(entry?.Detail ?? "{}") };
}

beforeEach(() => {
  dynamodb.reset();
  events.reset();
  setTenantEnvironment();
  vi.useFakeTimers({ now: new Date("2026-11-22T10:20:00.000Z"), toFake: ["Date"] });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  dynamodb.on(UpdateItemCommand).resolves({ Attributes: tenantItem({ status: "failed" }) });
  return () => vi.useRealTimers();
});

describe("record-failure", () => {
  it("marks the tenant failed with the step and reason, and publishes Tenant Onboarding Failed", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem() });

    // Act
    const result = await handler(
      {
        workflow: "onboarding",
        executionArn: EXECUTION,
        slug: "acme",
        name: "Acme",
        failure,
        compensation: { removed: ["db-cluster:tenant-acme"] },
      },
      lambdaContext(),
    );

    // Assess
    const update = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(update).toMatchObject({ TableName: TABLE, Key: KEY });
    expect(unmarshall(update?.ExpressionAttributeValues ?? {})).toEqual({
      ":to": "failed",
      ":now": "2026-11-22T10:20:00.000Z",
      ":from0": "onboarding",
      ":from1": "failed",
      ":entry": [
        {
          at: "2026-11-22T10:20:00.000Z",
          step: "migrate-database",
          outcome: "failed",
          reason: "MigrationFailedError: migration 0002 (projects) failed",
          executionArn: EXECUTION,
        },
      ],
      ":a0": {
        step: "migrate-database",
        error: "MigrationFailedError",
        cause: "migration 0002 (projects) failed",
      },
    });
    expect(publishedDetail()).toEqual({
      type: "Tenant Onboarding Failed",
      bus: BUS,
      detail: {
        tenantId: TENANT_ID,
        slug: "acme",
        step: "migrate-database",
        error: "MigrationFailedError",
        reason: "migration 0002 (projects) failed",
        executionArn: EXECUTION,
        name: "Acme",
      },
    });
    expect(result).toMatchObject({ recorded: true, reason: "migration 0002 (projects) failed" });
  });

  it("answers a request refused before registration with the failure event only", async () => {
    // Act
    const result = await handler(
      {
        workflow: "onboarding",
        executionArn: EXECUTION,
        name: 42,
        failure: {
          step: "validate-and-register",
          error: "InvalidInputError",
          cause: "invalid input: name: expected string",
        },
        compensation: null,
      },
      lambdaContext(),
    );

    // Assess
    expect(dynamodb.calls()).toHaveLength(0);
    expect(publishedDetail().detail).toEqual({
      step: "validate-and-register",
      error: "InvalidInputError",
      reason: "invalid input: name: expected string",
      executionArn: EXECUTION,
    });
    expect(result.recorded).toBe(false);
  });

  it("carries the run report's summary in the failure event", async () => {
    // Prepare
    const report = {
      outcome: "failed" as const,
      reason: "migrate-database: migration 0002 (projects) failed",
      durationSeconds: 702,
      figures: [{ name: "time to failure", value: 702, unit: "s" }],
    };

    // Act
    await handler(
      { workflow: "onboarding", executionArn: EXECUTION, failure, compensation: null, report },
      lambdaContext(),
    );

    // Assess
    expect(publishedDetail()).toMatchObject({ type: "Tenant Onboarding Failed", detail: { report } });
  });

  it("leaves a tenant that another execution drives alone, and still answers", async () => {
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: tenantItem({ executionArn: OTHER_EXECUTION, status: "active" }) });

    await handler(
      { workflow: "onboarding", executionArn: EXECUTION, slug: "acme", failure },
      lambdaContext(),
    );

    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(publishedDetail().type).toBe("Tenant Onboarding Failed");
  });

  it("notes a failed compensation in the history", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem() });

    await handler(
      {
        workflow: "onboarding",
        executionArn: EXECUTION,
        slug: "acme",
        failure,
        compensation: { error: "TransientError: busy" },
      },
      lambdaContext(),
    );

    const values = unmarshall(
      dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {},
    );
    expect(values[":entry"][0].reason).toBe(
      "MigrationFailedError: migration 0002 (projects) failed; compensation failed: TransientError: busy",
    );
  });

  it("records an offboarding failure in the history without changing the status, and publishes Tenant Offboarding Failed", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: tenantItem({ status: "offboarding" }) });

    // Act
    await handler(
      {
        workflow: "offboarding",
        executionArn: EXECUTION,
        slug: "acme",
        failure: {
          step: "check-snapshot",
          error: "FinalSnapshotTimeoutError",
          cause: "not available after 120 minutes",
        },
      },
      lambdaContext(),
    );

    // Assess
    const update = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(update?.UpdateExpression).toBe("SET #history = list_append(#history, :entry), #updatedAt = :now");
    expect(publishedDetail()).toMatchObject({
      type: "Tenant Offboarding Failed",
      detail: { slug: "acme", error: "FinalSnapshotTimeoutError", reason: "not available after 120 minutes" },
    });
  });
});
