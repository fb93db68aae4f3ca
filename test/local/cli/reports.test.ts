import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Report } from "../../../functions/reports/lib/report.ts";
import { formatReport, formatSeconds, reports } from "../../../local/cli/commands/reports.ts";
import { resolveTarget, UsageError } from "../../../local/cli/target.ts";
import { captureStdout } from "../../support/cli.ts";

const dynamodb = mockClient(DynamoDBClient);
const ARN = "arn:aws:states:eu-west-1:123456789012:execution:cplane-prod-tenant-onboarding:run-1";
let stdout: { text(): string };

const report: Report = {
  version: 1,
  workflow: "tenant-onboarding",
  executionArn: ARN,
  executionName: "run-1",
  trigger: { type: "event", source: "cplane.tenants: Tenant Requested", id: "evt-9" },
  outcome: "failed",
  reason: "CreateNamespace failed: quota exhausted",
  startedAt: "2026-11-22T10:00:00.000Z",
  finishedAt: "2026-11-22T10:12:05.000Z",
  durationSeconds: 725,
  redrives: 1,
  steps: [
    {
      name: "ProvisionDatabase",
      type: "Task",
      enteredAt: "2026-11-22T10:00:00.000Z",
      exitedAt: "2026-11-22T10:00:04.000Z",
      durationSeconds: 4,
      status: "succeeded",
      attempts: 3,
      retried: ["ThrottlingException"],
    },
    {
      name: "CreateNamespace",
      type: "Task",
      enteredAt: "2026-11-22T10:12:00.000Z",
      exitedAt: "2026-11-22T10:12:05.000Z",
      durationSeconds: 5,
      status: "failed",
      attempts: 1,
      error: "QuotaExceededError",
      cause: "quota exhausted",
    },
  ],
  decisions: [
    {
      name: "proceed-after-lock",
      outcome: "approved",
      approval: { decision: "approved", by: "alice", at: "2026-11-22T10:01:00.000Z", reason: "window open" },
    },
  ],
  figures: [{ name: "restore time", value: 412, unit: "s", subject: "tenant-acme" }],
};

/** The report item as the record-report step writes it. */
function reportItem() {
  const { steps, decisions, figures, ...header } = report;
  const body = gzipSync(JSON.stringify({ steps, decisions, figures }));
  return marshall({
    pk: "REPORT#tenant-onboarding",
    sk: "2026-11-22T10:00:00.000Z#run-1",
    ...header,
    counts: { steps: 2, decisions: 1, figures: 1 },
    summary: { outcome: "failed", reason: report.reason, durationSeconds: 725, figures: [] },
    body,
    bodySha: createHash("sha256").update(body).digest("hex").slice(0, 16),
    bodyBytes: body.length,
  });
}

beforeEach(() => {
  dynamodb.reset();
  stdout = captureStdout();
});
afterEach(() => vi.restoreAllMocks());

const stage = () => resolveTarget({ target: "aws", region: "eu-west-1", stage: "prod" }, {});

describe("cplane reports --target aws", () => {
  it("lists a workflow's reports newest first from the stage's table, with the token for the next page", async () => {
    // Prepare
    const { body: _b, bodySha: _s, bodyBytes: _n, ...header } = reportItem();
    dynamodb
      .on(QueryCommand)
      .resolves({ Items: [header], LastEvaluatedKey: marshall({ pk: "REPORT#tenant-onboarding", sk: "x" }) });

    // Act
    const code = await reports(stage(), "list", ["tenant-onboarding"], { limit: "5" });

    // Assess
    expect(code).toBe(0);
    const query = dynamodb.commandCalls(QueryCommand)[0];
    expect(query?.args[0].input).toEqual({
      TableName: "cplane-prod-tenants",
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: "REPORT#tenant-onboarding" } },
      ScanIndexForward: false,
      Limit: 5,
    });
    expect(await query?.thisValue.config.region()).toBe("eu-west-1");
    expect(stdout.text()).toMatch(
      /2026-11-22T10:00:00Z\s+tenant-onboarding\s+run-1\s+failed\s+12m05s\s+event\s+CreateNamespace failed/,
    );
    expect(stdout.text()).toMatch(/more: cplane reports list tenant-onboarding --next \S+/);
  });

  it("shows a report found by its execution ARN, as JSON", async () => {
    // Prepare
    dynamodb.on(QueryCommand).resolves({
      Items: [
        marshall({
          pk: "REPORTRUN#run-1",
          sk: ARN,
          reportPk: "REPORT#tenant-onboarding",
          reportSk: "2026-11-22T10:00:00.000Z#run-1",
        }),
      ],
    });
    dynamodb.on(GetItemCommand).resolves({ Item: reportItem() });

    // Act
    const code = await reports(stage(), "show", [ARN], { json: true });

    // Assess
    expect(code).toBe(0);
    expect(dynamodb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: "cplane-prod-tenants",
      ConsistentRead: true,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: "REPORTRUN#run-1" } },
      ExclusiveStartKey: undefined,
    });
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: "cplane-prod-tenants",
      Key: { pk: { S: "REPORT#tenant-onboarding" }, sk: { S: "2026-11-22T10:00:00.000Z#run-1" } },
      ConsistentRead: true,
    });
    expect(JSON.parse(stdout.text())).toEqual(report);
  });

  it("says which report is missing, as a usage error", async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });

    await expect(reports(stage(), "show", ["run-404"], {})).rejects.toThrow(UsageError);
    await expect(reports(stage(), "show", ["run-404"], {})).rejects.toThrow(
      "no report for execution run-404",
    );
  });

  it.each([
    ["show without an execution", "show", [], {}],
    ["an unknown action", "delete", [], {}],
    ["a limit that is not a number", "list", ["tenant-onboarding"], { limit: "many" }],
    ["--next without a workflow", "list", [], { next: "abc" }],
    ["a workflow name that cannot be one", "list", ["Tenant Onboarding"], {}],
  ])("refuses %s before reading anything", async (_, action, args, options) => {
    await expect(reports(stage(), action, args, options)).rejects.toThrow(UsageError);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});

describe("the readable report", () => {
  it("shows outcome, trigger, a timeline since the start, retries, errors, approvals and figures", () => {
    const text = formatReport(report);

    expect(text.split("\n").slice(0, 5)).toEqual([
      "tenant-onboarding run-1: FAILED",
      "  reason     CreateNamespace failed: quota exhausted",
      "  trigger    event: cplane.tenants: Tenant Requested (evt-9)",
      "  started    2026-11-22T10:00:00.000Z  finished 2026-11-22T10:12:05.000Z  (12m05s)",
      `  execution  ${ARN}  (redriven 1×)`,
    ]);
    expect(text).toContain(
      "  +00:00:00  ProvisionDatabase  Task  4s  succeeded  3 attempts; retried ThrottlingException",
    );
    expect(text).toContain(
      "  +00:12:00  CreateNamespace    Task  5s  failed     QuotaExceededError: quota exhausted",
    );
    expect(text).toContain('    approved by alice at 2026-11-22T10:01:00.000Z: "window open"');
    expect(text).toContain("  restore time [tenant-acme]  412 s");
  });

  it.each([
    [0.4, "0s"],
    [59, "59s"],
    [690, "11m30s"],
    [3600, "1h00m"],
    [5430, "1h30m"],
  ])("writes %s seconds as %s", (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});
