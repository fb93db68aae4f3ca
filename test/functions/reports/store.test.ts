/**
 * Reports in a real DynamoDB implementation (the local cloud's dynalite, which enforces the 400 KB
 * item limit): a 200-tenant backup run, bodies in parts, paging, lookups by execution.
 */
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AmbiguousReportError,
  CorruptReportError,
  ReportNotFoundError,
} from "../../../functions/reports/lib/errors.ts";
import type { Report, Step } from "../../../functions/reports/lib/report.ts";
import {
  getReport,
  listRecentReports,
  listReports,
  putReport,
  type ReportTable,
} from "../../../functions/reports/lib/store.ts";
import { createAwsClient } from "../../../functions/shared/aws-clients.ts";
import type { LocalCloud } from "../../../local/cloud/cloud.ts";
import { startCloud, stopCloud } from "../../local/cloud/support.ts";

const TABLE = "cplane-test-tenants";
let cloud: LocalCloud;
let table: ReportTable;

beforeEach(async () => {
  cloud = startCloud().cloud;
  await cloud.dynamodb.ensureTable("us-east-1", {
    TableName: TABLE,
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
    ],
  });
  table = { client: createAwsClient(DynamoDBClient, { region: "us-east-1" }), tableName: TABLE };
});
afterEach(() => stopCloud(cloud));

const T0 = Date.parse("2026-11-23T03:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
const arnOf = (workflow: string, name: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:cplane-test-${workflow}:${name}`;

function report(workflow: string, name: string, startedAt: number, overrides: Partial<Report> = {}): Report {
  return {
    version: 1,
    workflow,
    executionArn: arnOf(workflow, name),
    executionName: name,
    trigger: { type: "schedule", source: "schedule nightly-backup-verification" },
    outcome: "succeeded",
    reason: "every backup verified",
    startedAt: iso(startedAt),
    finishedAt: iso(startedAt + 3_600_000),
    durationSeconds: 3600,
    redrives: 0,
    steps: [],
    decisions: [],
    figures: [],
    ...overrides,
  };
}

/** What a nightly backup verification of 200 tenants goes through: 16 states per tenant, in a Map. */
function backupRun(tenants: number): Report {
  const names = ["CheckPolicy", "IsSnapshotFresh", "Restore", "WaitForRestore", "CheckRestore", "IsRestored"];
  const steps: Step[] = [];
  for (let i = 0; i < tenants; i++) {
    let at = T0 + i * 7_919;
    for (let n = 0; n < 16; n++) {
      const seconds = (i * 31 + n * 17) % 240;
      const name = names[n % names.length] ?? "Step";
      steps.push({
        name,
        type: name.startsWith("Is") ? "Choice" : name.startsWith("Wait") ? "Wait" : "Task",
        enteredAt: iso(at),
        exitedAt: iso(at + seconds * 1000),
        durationSeconds: seconds,
        status: "succeeded",
        ...(name.startsWith("Is") || name.startsWith("Wait") ? {} : { attempts: 1 + (i % 3 === 0 ? 1 : 0) }),
        iteration: `PerCluster[${i}]`,
      });
      at += seconds * 1000;
    }
  }
  return report("backup-verification", "nightly-2026-11-23", T0, {
    steps,
    decisions: Array.from({ length: tenants }, (_, i) => ({
      name: "snapshot-age",
      outcome: "pass",
      subject: `tenant-${i}`,
      inputs: { snapshotAgeMinutes: (i * 13) % 1440 },
      thresholds: { rpoMinutes: 1440 },
    })),
    figures: Array.from({ length: tenants }, (_, i) => ({
      name: "restore time",
      value: 400 + ((i * 37) % 600),
      unit: "s",
      subject: `tenant-${i}`,
    })),
  });
}

describe("report storage", () => {
  it("stores a 200-tenant backup run in one item under DynamoDB's 400 KB and reads it back whole", async () => {
    // Prepare
    const run = backupRun(200);

    // Act
    const stored = await putReport(run, table);
    const read = await getReport(run.executionArn, table);

    // Assess
    expect(stored.bodyBytes).toBeGreaterThan(400 * 1024);
    expect(stored.parts).toBe(0);
    expect(stored.compressedBytes).toBeLessThan(300_000);
    expect(read).toEqual(run);
  });

  it("puts a body too large for one item into parts, and reads it back whole", async () => {
    // Prepare: limits small enough for a 20-tenant run to need parts
    const run = backupRun(20);

    // Act
    const stored = await putReport(run, table, { inlineBytes: 1_000, partBytes: 2_000 });
    const read = await getReport(run.executionName, table);

    // Assess
    expect(stored.parts).toBeGreaterThan(1);
    expect(read).toEqual(run);
  });

  it("reads the body a redrive wrote, though the parts of the earlier body remain", async () => {
    const limits = { inlineBytes: 1_000, partBytes: 2_000 };
    await putReport(backupRun(20), table, limits);
    const redriven = { ...backupRun(25), redrives: 1 };

    await putReport(redriven, table, limits);

    expect(await getReport(redriven.executionArn, table)).toEqual(redriven);
  });

  it("refuses a report whose parts are not all there", async () => {
    // Prepare: a report item that names more parts than were written
    const run = backupRun(20);
    const stored = await putReport(run, table, { inlineBytes: 1_000, partBytes: 2_000 });
    const { marshall } = await import("@aws-sdk/util-dynamodb");
    const { GetItemCommand } = await import("@aws-sdk/client-dynamodb");
    const { Item } = await table.client.send(
      new GetItemCommand({ TableName: TABLE, Key: marshall(stored.key) }),
    );
    await table.client.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...Item, bodyParts: { N: String(stored.parts + 1) } } }),
    );

    // Act / Assess
    await expect(getReport(run.executionArn, table)).rejects.toThrow(CorruptReportError);
  });

  it("lists a workflow's reports newest first, a page at a time, without their bodies", async () => {
    // Prepare: three onboardings and a backup run
    for (const [i, name] of ["a", "b", "c"].entries()) {
      await putReport(report("tenant-onboarding", `run-${name}`, T0 + i * 60_000), table);
    }
    await putReport(backupRun(3), table);

    // Act
    const first = await listReports({ workflow: "tenant-onboarding", limit: 2 }, table);
    const second = await listReports(
      { workflow: "tenant-onboarding", limit: 2, nextToken: first.nextToken ?? "" },
      table,
    );
    const recent = await listRecentReports(["tenant-onboarding", "backup-verification"], 10, table);

    // Assess
    expect(first.reports.map((r) => r.executionName)).toEqual(["run-c", "run-b"]);
    expect(second.reports.map((r) => r.executionName)).toEqual(["run-a"]);
    expect(first.reports[0]).not.toHaveProperty("steps");
    expect(first.reports[0]).not.toHaveProperty("body");
    expect(recent.map((r) => r.executionName)).toEqual(["run-c", "run-b", "run-a", "nightly-2026-11-23"]);
    expect(recent.at(-1)?.counts).toEqual({ steps: 48, decisions: 3, figures: 3 });
  });

  it("finds a report by execution name, asks for the ARN when two workflows share the name, and names what is missing", async () => {
    await putReport(report("tenant-onboarding", "same", T0), table);
    await putReport(report("tenant-offboarding", "same", T0 + 1), table);

    await expect(getReport("same", table)).rejects.toThrow(AmbiguousReportError);
    expect((await getReport(arnOf("tenant-offboarding", "same"), table)).workflow).toBe("tenant-offboarding");
    await expect(getReport("nothing-here", table)).rejects.toThrow(ReportNotFoundError);
  });
});
