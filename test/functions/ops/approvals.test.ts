import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { approvalId, decide } from "../../../functions/ops/lib/approvals.ts";
import { handler } from "../../../functions/ops/request-approval.ts";
import { lambdaContext } from "../../support/context.ts";
import {
  awsError,
  BUS,
  conditionalCheckFailed,
  EXECUTION,
  NOW,
  setOpsEnvironment,
  TABLE,
} from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const events = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAbDg+secret-task-token";
const ID = approvalId(EXECUTION, "PromoteToProduction", false);
const KEY = { pk: { S: `APPROVAL#${ID}` }, sk: { S: "APPROVAL" } };
const REQUESTED_AT = new Date(NOW).toISOString();
const EXPIRES_AT = new Date(NOW + 3600_000).toISOString();
const input = {
  gate: "PromoteToProduction",
  question: "Promote api 1.4.2 to 100%?",
  evidence: { errorRate: 0.2, p99Ms: 310 },
  timeoutSeconds: 3600,
  taskToken: TOKEN,
  executionArn: EXECUTION,
};
const decision = {
  approved: true,
  decidedBy: "alice",
  decidedAt: "2026-11-22T09:59:00.000Z",
  reason: "metrics are green",
};
/** The approval as stored in the registry, as DynamoDB returns it. */
const storedItem = (overrides: Record<string, unknown> = {}) => ({
  ...KEY,
  approvalId: { S: ID },
  gate: { S: "PromoteToProduction" },
  question: { S: input.question },
  evidence: { M: { errorRate: { N: "0.2" }, p99Ms: { N: "310" } } },
  executionArn: { S: EXECUTION },
  requestedAt: { S: REQUESTED_AT },
  expiresAt: { S: EXPIRES_AT },
  escalated: { BOOL: false },
  status: { S: "pending" },
  taskToken: { S: TOKEN },
  ...overrides,
});
const publishedDetails = () =>
  events
    .commandCalls(PutEventsCommand)
    .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? "null"));

beforeEach(() => {
  dynamodb.reset();
  events.reset();
  sfn.reset();
  setOpsEnvironment();
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "event-1" }] });
  sfn.on(SendTaskSuccessCommand).resolves({});
});

afterEach(() => {
  vi.useRealTimers();
});

describe("approvalId", () => {
  it("is the same for a retried request and differs for the escalation and for another gate", () => {
    expect(ID).toMatch(/^apr-[0-9a-f]{12}$/);
    expect(approvalId(EXECUTION, "PromoteToProduction", false)).toBe(ID);
    expect(approvalId(EXECUTION, "PromoteToProduction", true)).not.toBe(ID);
    expect(approvalId(EXECUTION, "FailOver", false)).not.toBe(ID);
  });
});

describe("request-approval", () => {
  it("stores the pending approval with its token, unless one was decided already", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).resolves({});

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: storedItem(),
      ConditionExpression: "attribute_not_exists(pk) OR #status = :pending",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pending": { S: "pending" } },
    });
    expect(result).toEqual({ approvalId: ID, alreadyDecided: false });
  });

  it("announces Approval Requested on the bus without the task token", async () => {
    dynamodb.on(PutItemCommand).resolves({});

    await handler(input, lambdaContext());

    const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: BUS,
      Source: "cplane.operations",
      DetailType: "Approval Requested",
    });
    expect(JSON.parse(entry?.Detail ?? "null")).toEqual({
      approvalId: ID,
      gate: "PromoteToProduction",
      question: input.question,
      evidence: input.evidence,
      executionArn: EXECUTION,
      expiresAt: EXPIRES_AT,
      escalated: false,
    });
    expect(entry?.Detail).not.toContain(TOKEN);
  });

  it("answers a retried gate whose approval was decided already at once, and announces nothing", async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb.on(GetItemCommand).resolves({
      Item: storedItem({
        status: { S: "approved" },
        taskToken: { S: "the-first-attempt-token" },
        decision: {
          M: {
            approved: { BOOL: true },
            decidedBy: { S: "alice" },
            decidedAt: { S: decision.decidedAt },
            reason: { S: decision.reason },
          },
        },
      }),
    });

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      ConsistentRead: true,
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toEqual([
      { taskToken: TOKEN, output: expect.any(String) },
    ]);
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? "null")).toEqual({
      approvalId: ID,
      gate: "PromoteToProduction",
      ...decision,
    });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(result).toEqual({ approvalId: ID, alreadyDecided: true });
  });

  it("asks the escalation under its own approval id", async () => {
    dynamodb.on(PutItemCommand).resolves({});

    const result = await handler({ ...input, escalated: true }, lambdaContext());

    const escalatedId = approvalId(EXECUTION, "PromoteToProduction", true);
    expect(result.approvalId).toBe(escalatedId);
    expect(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.pk).toEqual({
      S: `APPROVAL#${escalatedId}`,
    });
    expect(publishedDetails()[0]).toMatchObject({ approvalId: escalatedId, escalated: true });
  });

  it.each([
    ["a gate that is not a state name", { gate: "promote to prod" }],
    ["an empty question", { question: "" }],
    ["no task token", { taskToken: "" }],
    ["a timeout of zero", { timeoutSeconds: 0 }],
  ])("refuses %s with InvalidInputError before anything is stored", async (_, change) => {
    await expect(handler({ ...input, ...change }, lambdaContext())).rejects.toMatchObject({
      name: "InvalidInputError",
    });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(events.calls()).toHaveLength(0);
  });
});

describe("decide", () => {
  const request = {
    approvalId: ID,
    approved: true,
    decidedBy: "alice",
    reason: "metrics are green",
    now: NOW,
  };
  const decidedAt = new Date(NOW).toISOString();

  it("records the decision only if still pending, hands it to the waiting task, then announces it", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem() });
    dynamodb.on(UpdateItemCommand).resolves({});

    // Act
    const approval = await decide(request);

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      ConsistentRead: true,
    });
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: "SET #status = :status, #decision = :decision",
      ConditionExpression: "#status = :pending",
      ExpressionAttributeNames: { "#status": "status", "#decision": "decision" },
      ExpressionAttributeValues: {
        ":status": { S: "approved" },
        ":decision": {
          M: {
            approved: { BOOL: true },
            decidedBy: { S: "alice" },
            decidedAt: { S: decidedAt },
            reason: { S: "metrics are green" },
          },
        },
        ":pending": { S: "pending" },
      },
    });
    const send = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(send?.taskToken).toBe(TOKEN);
    expect(JSON.parse(send?.output ?? "null")).toEqual({
      approvalId: ID,
      gate: "PromoteToProduction",
      approved: true,
      decidedBy: "alice",
      decidedAt,
      reason: "metrics are green",
    });
    const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: BUS,
      Source: "cplane.operations",
      DetailType: "Approval Decided",
    });
    expect(JSON.parse(entry?.Detail ?? "null")).toEqual({
      approvalId: ID,
      gate: "PromoteToProduction",
      executionArn: EXECUTION,
      approved: true,
      decidedBy: "alice",
      decidedAt,
      reason: "metrics are green",
    });
    expect(approval).toMatchObject({ status: "approved", decision: { approved: true, decidedBy: "alice" } });
    expect(approval).not.toHaveProperty("taskToken");
  });

  it("records a rejection as rejected", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem() });
    dynamodb.on(UpdateItemCommand).resolves({});

    const approval = await decide({ ...request, approved: false, reason: "p99 too close to the limit" });

    const update = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues?.[":status"]).toEqual({ S: "rejected" });
    expect(approval.status).toBe("rejected");
    expect(publishedDetails()[0]).toMatchObject({ approved: false, reason: "p99 too close to the limit" });
  });

  it.each([
    ["an unknown approval with ApprovalNotFoundError", undefined, "ApprovalNotFoundError"],
    [
      "a decided approval with ApprovalAlreadyDecidedError",
      storedItem({ status: { S: "rejected" } }),
      "ApprovalAlreadyDecidedError",
    ],
    [
      "an approval whose time ran out with ApprovalExpiredError",
      storedItem({ expiresAt: { S: new Date(NOW).toISOString() } }),
      "ApprovalExpiredError",
    ],
  ])("refuses %s, changing nothing", async (_, Item, name) => {
    dynamodb.on(GetItemCommand).resolves(Item ? { Item } : {});

    await expect(decide(request)).rejects.toMatchObject({ name });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(events.calls()).toHaveLength(0);
  });

  it("refuses a decision that lost the race to another one with ApprovalAlreadyDecidedError", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem() });
    dynamodb.on(UpdateItemCommand).rejects(conditionalCheckFailed());

    await expect(decide(request)).rejects.toMatchObject({ name: "ApprovalAlreadyDecidedError" });
    expect(sfn.calls()).toHaveLength(0);
    expect(events.calls()).toHaveLength(0);
  });

  it("keeps the decision but says ApprovalExpiredError when the execution no longer waits (TaskTimedOut)", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem() });
    dynamodb.on(UpdateItemCommand).resolves({});
    sfn.on(SendTaskSuccessCommand).rejects(awsError("TaskTimedOut"));

    await expect(decide(request)).rejects.toMatchObject({
      name: "ApprovalExpiredError",
      cause: { name: "TaskTimedOut" },
    });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(dynamodb.calls()).toHaveLength(2);
  });

  it("lets Step Functions throttling through under its own name", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem() });
    dynamodb.on(UpdateItemCommand).resolves({});
    sfn.on(SendTaskSuccessCommand).rejects(awsError("ThrottlingException"));

    await expect(decide(request)).rejects.toMatchObject({ name: "ThrottlingException" });
  });

  it("uses the store it is given: its table, clients and bus (the CLI against a stage)", async () => {
    // Prepare
    const store = {
      table: "cplane-prod-registry",
      busName: "cplane-prod-bus",
      dynamodb: new DynamoDBClient({ region: "eu-west-1" }),
      sfn: new SFNClient({ region: "eu-west-1" }),
      events: new EventBridgeClient({ region: "eu-west-1" }),
    };
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem() });
    dynamodb.on(UpdateItemCommand).resolves({});

    // Act
    await decide(request, store);

    // Assess
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input.TableName).toBe("cplane-prod-registry");
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input.TableName).toBe("cplane-prod-registry");
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe(
      "cplane-prod-bus",
    );
  });
});
