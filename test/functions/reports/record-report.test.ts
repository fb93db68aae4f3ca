import { gunzipSync } from "node:zlib";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { handler, type RecordReportInput } from "../../../functions/reports/record-report.ts";
import { InvalidInputError } from "../../../functions/shared/errors.ts";
import { lambdaContext } from "../../support/context.ts";

const sfn = mockClient(SFNClient);
const dynamodb = mockClient(DynamoDBClient);
const TABLE = "cplane-test-tenants";
const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:cplane-test-tenant-onboarding:run-7";
const T0 = Date.parse("2026-11-22T10:00:00.000Z");
const t = (seconds: number) => new Date(T0 + seconds * 1000);

/** Onboarding, in the middle of its report step (entered at 10:11:30, its Lambda scheduled). */
function history(): HistoryEvent[] {
  let id = 0;
  const event = (type: string, seconds: number, extra: object = {}): HistoryEvent =>
    ({ id: ++id, previousEventId: id - 1, type, timestamp: t(seconds), ...extra }) as HistoryEvent;
  const state = (kind: string, name: string, from: number, to: number) => [
    event(`${kind}StateEntered`, from, { stateEnteredEventDetails: { name } }),
    ...(kind === "Task"
      ? [event("TaskScheduled", from), event("TaskStarted", from), event("TaskSucceeded", to)]
      : []),
    event(`${kind}StateExited`, to, { stateExitedEventDetails: { name } }),
  ];
  return [
    event("ExecutionStarted", 0),
    ...state("Pass", "Initialize", 0, 0),
    ...state("Task", "ProvisionDatabase", 0, 1),
    ...state("Wait", "WaitForDatabase", 1, 601),
    ...state("Task", "Announce", 601, 690),
    event("TaskStateEntered", 690, { stateEnteredEventDetails: { name: "RecordReport" } }),
    event("TaskScheduled", 690),
  ];
}

const input = (overrides: Partial<RecordReportInput> = {}): RecordReportInput => ({
  executionArn: EXECUTION,
  workflow: "tenant-onboarding",
  trigger: { type: "event", source: "cplane.tenants: Tenant Requested", id: "evt-1" },
  outcome: "succeeded",
  reason: "tenant acme is active",
  decisions: [
    {
      name: "database-ready",
      outcome: "proceed",
      inputs: { status: "available", waitedSeconds: 600 },
      thresholds: { deadlineSeconds: 5400 },
    },
  ],
  figures: [
    { name: "time to active", value: 690, unit: "s", key: true },
    { name: "database creation", value: 600, unit: "s" },
  ],
  ...overrides,
});

function puts() {
  return dynamodb.commandCalls(PutItemCommand).map((call) => {
    const { TableName, Item } = call.args[0].input;
    return { TableName, item: unmarshall(Item ?? {}) };
  });
}

beforeEach(() => {
  sfn.reset();
  dynamodb.reset();
  process.env.TENANT_TABLE = TABLE;
  sfn.on(GetExecutionHistoryCommand).resolves({ events: history() });
  dynamodb.on(PutItemCommand).resolves({});
});

describe("record-report", () => {
  it("reads the history without execution data, stores the report and returns the summary for the final event", async () => {
    // Act
    const summary = await handler(input(), lambdaContext());

    // Assess
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION, maxResults: 1000, includeExecutionData: false },
    ]);
    expect(summary).toEqual({
      outcome: "succeeded",
      reason: "tenant acme is active",
      durationSeconds: 690,
      figures: [{ name: "time to active", value: 690, unit: "s" }],
    });
    const [run, report] = puts();
    expect(run).toEqual({
      TableName: TABLE,
      item: {
        pk: "REPORTRUN#run-7",
        sk: EXECUTION,
        workflow: "tenant-onboarding",
        reportPk: "REPORT#tenant-onboarding",
        reportSk: "2026-11-22T10:00:00.000Z#run-7",
      },
    });
    const { body, bodySha, bodyBytes, ...item } = report?.item ?? {};
    expect(item).toEqual({
      pk: "REPORT#tenant-onboarding",
      sk: "2026-11-22T10:00:00.000Z#run-7",
      version: 1,
      workflow: "tenant-onboarding",
      executionArn: EXECUTION,
      executionName: "run-7",
      trigger: { type: "event", source: "cplane.tenants: Tenant Requested", id: "evt-1" },
      outcome: "succeeded",
      reason: "tenant acme is active",
      startedAt: "2026-11-22T10:00:00.000Z",
      finishedAt: "2026-11-22T10:11:30.000Z",
      durationSeconds: 690,
      redrives: 0,
      counts: { steps: 4, decisions: 1, figures: 2 },
      summary,
    });
    expect(bodySha).toMatch(/^[0-9a-f]{16}$/);
    expect(bodyBytes).toBe((body as Uint8Array).length);
    const stored = JSON.parse(gunzipSync(body as Uint8Array).toString("utf8"));
    expect(
      stored.steps.map((s: { name: string; durationSeconds: number }) => [s.name, s.durationSeconds]),
    ).toEqual([
      ["Initialize", 0],
      ["ProvisionDatabase", 1],
      ["WaitForDatabase", 600],
      ["Announce", 89],
    ]);
    expect(stored.decisions).toEqual(input().decisions);
    expect(stored.figures).toEqual(input().figures);
  });

  it("reads every page of a long history", async () => {
    // Prepare: the history in two pages
    const events = history();
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: events.slice(0, 5), nextToken: "page-2" })
      .resolvesOnce({ events: events.slice(5) });

    // Act
    const summary = await handler(input(), lambdaContext());

    // Assess
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1]?.args[0].input).toEqual({
      executionArn: EXECUTION,
      maxResults: 1000,
      includeExecutionData: false,
      nextToken: "page-2",
    });
    expect(summary.durationSeconds).toBe(690);
  });

  it("writes the same items when it runs again (a retry or a redrive of the report step)", async () => {
    await handler(input(), lambdaContext());
    const first = puts();
    // The retry's history has the failed attempt and a second one after the report step's entry.
    const retried = [
      ...history(),
      { id: 18, previousEventId: 17, type: "TaskFailed", timestamp: t(691) },
      { id: 19, previousEventId: 18, type: "TaskScheduled", timestamp: t(695) },
    ] as HistoryEvent[];
    sfn.on(GetExecutionHistoryCommand).resolves({ events: retried });
    dynamodb.resetHistory();

    await handler(input(), lambdaContext());

    expect(puts()).toEqual(first);
  });

  it("never stores a secret passed in a decision or the trigger", async () => {
    // Act
    await handler(
      input({
        trigger: { type: "manual", source: "cplane run", by: "ops" },
        decisions: [
          {
            name: "approval",
            outcome: "approved",
            inputs: { password: "hunter2", taskToken: "AAAA-token", secretArn: "arn:aws:secretsmanager:x" },
          },
        ],
      }),
      lambdaContext(),
    );

    // Assess
    const body = puts()[1]?.item.body as Uint8Array;
    const stored = JSON.parse(gunzipSync(body).toString("utf8"));
    expect(stored.decisions[0].inputs).toEqual({
      password: "[redacted]",
      taskToken: "[redacted]",
      secretArn: "arn:aws:secretsmanager:x",
    });
    expect(gunzipSync(body).toString("utf8")).not.toContain("hunter2");
  });

  it.each([
    [
      "an ARN that is not an execution's",
      { executionArn: "arn:aws:states:us-east-1:123456789012:stateMachine:x" },
    ],
    ["an unknown outcome", { outcome: "mostly-fine" as "failed" }],
    ["an empty reason", { reason: "" }],
    ["a trigger without its source", { trigger: { type: "schedule" } as RecordReportInput["trigger"] }],
    [
      "more than ten key figures",
      { figures: Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, value: i, unit: "s", key: true })) },
    ],
  ])("refuses %s before reading or writing anything", async (_, overrides) => {
    await expect(handler(input(overrides), lambdaContext())).rejects.toThrow(InvalidInputError);
    expect(sfn.calls()).toHaveLength(0);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
