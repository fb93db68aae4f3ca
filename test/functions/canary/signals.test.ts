import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler as awaitSignal } from "../../../functions/canary/await-signal.ts";
import { handler as signal } from "../../../functions/canary/signal.ts";
import { lambdaContext } from "../../support/context.ts";
import { setTenantEnvironment, TABLE } from "../tenant/support.ts";
import { EXECUTION } from "./support.ts";

const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const KEY = { pk: { S: "CANARY#web" }, sk: { S: "CANARY" } };

beforeEach(() => {
  dynamodb.reset();
  sfn.reset();
  setTenantEnvironment();
  sfn.on(SendTaskSuccessCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
});

/** The canary errors alarm of the demo fleet entering ALARM, as CloudWatch announces it. */
const alarm = (state = "ALARM") => ({
  version: "0",
  id: "a1",
  "detail-type": "CloudWatch Alarm State Change",
  source: "aws.cloudwatch",
  account: "123456789012",
  time: "2026-12-01T10:05:00Z",
  region: "us-east-1",
  resources: [],
  detail: {
    alarmName: "cplane-canary-errors",
    state: {
      value: state,
      reason:
        "Threshold Crossed: 2 out of the last 2 datapoints [4.8 (01/12/26 10:04:00), 4.6 (01/12/26 10:03:00)] were greater than the threshold (1.0).",
      timestamp: "2026-12-01T10:05:00.000+0000",
    },
    previousState: { value: "OK", reason: "ok", timestamp: "2026-12-01T09:00:00.000+0000" },
    configuration: {
      metrics: [
        {
          id: "errors",
          metricStat: {
            metric: {
              namespace: "cplane/Traffic",
              name: "Errors",
              dimensions: { Namespace: "shop", Service: "web", Version: "canary" },
            },
            period: 60,
            stat: "Sum",
          },
          returnData: false,
        },
        { id: "rate", expression: "100 * errors / requests", returnData: true },
      ],
    },
  },
});

describe("signal", () => {
  it("aborts web's canary when its alarm enters ALARM, handing the command to the waiting execution", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({
      Item: marshall({
        pk: "CANARY#web",
        sk: "CANARY",
        service: "web",
        executionArn: EXECUTION,
        taskToken: "token-1",
      }),
    });

    // Act
    const result = await signal(alarm(), lambdaContext());

    // Assess
    expect(result).toEqual({
      service: "web",
      command: "abort",
      executionArn: EXECUTION,
      status: "delivered",
    });
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      ConsistentRead: true,
    });
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(sent?.taskToken).toBe("token-1");
    expect(JSON.parse(sent?.output ?? "{}")).toEqual({
      command: "abort",
      requestedBy: "alarm cplane-canary-errors",
      reason: expect.stringContaining("cplane-canary-errors entered ALARM: Threshold Crossed"),
      at: "2026-12-01T10:05:00Z",
      alarm: { name: "cplane-canary-errors", measured: 4.8, threshold: 1 },
    });
  });

  it("keeps a person's command pending when the execution is not waiting (its token is spent)", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({
      Item: marshall({
        pk: "CANARY#web",
        sk: "CANARY",
        service: "web",
        executionArn: EXECUTION,
        taskToken: "old",
      }),
    });
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error("gone"), { name: "TaskTimedOut" }));

    // Act
    const result = await signal({ service: "web", command: "pause", requestedBy: "ana" }, lambdaContext());

    // Assess
    expect(result.status).toBe("pending");
    const update = dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(update).toMatchObject({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: "SET pending = :command REMOVE taskToken",
      ConditionExpression: "executionArn = :execution",
    });
    expect(update?.ExpressionAttributeValues?.[":command"]?.M?.command).toEqual({ S: "pause" });
  });

  it("ignores an alarm for a service with no running canary, and an alarm going back to OK", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({});

    // Act / Assess
    expect((await signal(alarm(), lambdaContext())).status).toBe("ignored");
    expect((await signal(alarm("OK"), lambdaContext())).status).toBe("ignored");
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toEqual([]);
  });

  it("refuses a person's command for a service with no running canary, by name", async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({});

    // Act / Assess
    await expect(
      signal({ service: "web", command: "abort", requestedBy: "ana" }, lambdaContext()),
    ).rejects.toThrow(expect.objectContaining({ name: "NoRunningCanaryError" }));
  });
});

describe("await-signal", () => {
  it("stores the wait's token for this execution, and hands back at once a command that came meanwhile", async () => {
    // Prepare
    const pending = {
      command: "promote",
      requestedBy: "ana",
      reason: "looks fine",
      at: "2026-12-01T10:00:00Z",
    };
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: marshall({ executionArn: EXECUTION, pending }) });

    // Act
    const result = await awaitSignal(
      { service: "web", taskToken: "token-2", executionArn: EXECUTION },
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ pending: "promote" });
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: KEY,
      UpdateExpression: "SET taskToken = :token REMOVE pending",
      ConditionExpression: "executionArn = :execution",
      ExpressionAttributeValues: { ":token": { S: "token-2" }, ":execution": { S: EXECUTION } },
      ReturnValues: "ALL_OLD",
    });
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(sent).toEqual({ taskToken: "token-2", output: JSON.stringify(pending) });
  });
});
