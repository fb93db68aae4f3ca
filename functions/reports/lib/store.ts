/**
 * Run reports in the registry table (`TENANT_TABLE`, pk/sk):
 *
 *   pk `REPORT#<workflow>`          sk `<startedAt>#<executionName>`  the report: what lists show, and its body
 *   pk `REPORTRUN#<executionName>`  sk `<executionArn>`               finds a report by execution name or ARN
 *   pk `REPORTPART#<executionArn>`  sk `<sha>#<nnnn>`                 the body in parts, when it is too large
 *
 * The body (steps, decisions, figures) is gzipped JSON: a 200-tenant run's thousands of steps fit in
 * the report item itself. When even that passes `inlineBytes`, it goes into part items named by the
 * body's hash, written before the report item that names them: a reader never sees a report whose
 * parts are not all there, and a redrive that writes a different body leaves the old one whole.
 * Every write is a plain put of a key derived from the execution: writing a report twice writes it once.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { lazyAwsClient } from "../../shared/aws-clients.ts";
import { requireEnv } from "../../shared/env.ts";
import {
  AmbiguousReportError,
  CorruptReportError,
  InvalidPagingTokenError,
  ReportNotFoundError,
} from "./errors.ts";
import { Report, summarize } from "./report.ts";

/** Where reports are: the function's own table by default, or a stage's (the CLI with `--target aws`). */
export interface ReportTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const client = lazyAwsClient(DynamoDBClient);
function ownTable(): ReportTable {
  return { client: client(), tableName: requireEnv("TENANT_TABLE") };
}

/** DynamoDB's item limit is 400 KB; what else a report item holds is bounded far below the margin. */
export const LIMITS = { inlineBytes: 300_000, partBytes: 350_000 };

/** What a listing shows of a report: everything but its body. */
export type ReportHeader = Omit<Report, "steps" | "decisions" | "figures"> & {
  readonly counts: { readonly steps: number; readonly decisions: number; readonly figures: number };
  readonly summary: ReturnType<typeof summarize>;
};

export function reportKey(report: Pick<Report, "workflow" | "startedAt" | "executionName">) {
  return { pk: `REPORT#${report.workflow}`, sk: `${report.startedAt}#${report.executionName}` };
}

const runKey = (executionName: string) => `REPORTRUN#${executionName}`;
const partKey = (executionArn: string) => `REPORTPART#${executionArn}`;

function header(report: Report): ReportHeader {
  const { steps, decisions, figures, ...rest } = report;
  return {
    ...rest,
    counts: { steps: steps.length, decisions: decisions.length, figures: figures.length },
    summary: summarize(report),
  };
}

export interface StoredReport {
  readonly key: { pk: string; sk: string };
  /** How many part items hold the body (0: it is in the report item). */
  readonly parts: number;
  readonly bodyBytes: number;
  readonly compressedBytes: number;
}

/** Stores a report (parts first, then the run alias, then the report item). */
export async function putReport(
  report: Report,
  table: ReportTable = ownTable(),
  limits = LIMITS,
): Promise<StoredReport> {
  const json = JSON.stringify({ steps: report.steps, decisions: report.decisions, figures: report.figures });
  const body = gzipSync(json);
  const sha = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const key = reportKey(report);
  const put = (item: Record<string, unknown>) =>
    table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>,
      }),
    );

  const parts = body.length > limits.inlineBytes ? Math.ceil(body.length / limits.partBytes) : 0;
  for (let index = 0; index < parts; index++) {
    await put({
      pk: partKey(report.executionArn),
      sk: `${sha}#${String(index).padStart(4, "0")}`,
      data: body.subarray(index * limits.partBytes, (index + 1) * limits.partBytes),
    });
  }
  await put({
    pk: runKey(report.executionName),
    sk: report.executionArn,
    workflow: report.workflow,
    reportPk: key.pk,
    reportSk: key.sk,
  });
  await put({
    ...key,
    ...header(report),
    bodySha: sha,
    bodyBytes: body.length,
    ...(parts > 0 ? { bodyParts: parts } : { body }),
  });
  return { key, parts, bodyBytes: json.length, compressedBytes: body.length };
}

const encodeToken = (key: Record<string, AttributeValue> | undefined) =>
  key ? Buffer.from(JSON.stringify(key)).toString("base64url") : undefined;

function decodeToken(token: string): Record<string, AttributeValue> {
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Record<string, AttributeValue>;
  } catch (error) {
    throw new InvalidPagingTokenError(`"${token}" is not a reports paging token`, { cause: error });
  }
}

function toHeader(item: Record<string, AttributeValue>): ReportHeader {
  const {
    pk: _pk,
    sk: _sk,
    body: _body,
    bodySha: _sha,
    bodyBytes: _bytes,
    bodyParts: _parts,
    ...rest
  } = unmarshall(item);
  return rest as ReportHeader;
}

export interface ReportPage {
  readonly reports: ReportHeader[];
  readonly nextToken?: string;
}

/** A workflow's reports, newest first, a page at a time (`nextToken` continues). */
export async function listReports(
  options: { workflow: string; limit?: number; nextToken?: string },
  table: ReportTable = ownTable(),
): Promise<ReportPage> {
  const page = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: `REPORT#${options.workflow}` } },
      ScanIndexForward: false,
      Limit: options.limit ?? 20,
      ...(options.nextToken ? { ExclusiveStartKey: decodeToken(options.nextToken) } : {}),
    }),
  );
  const nextToken = encodeToken(page.LastEvaluatedKey);
  return { reports: (page.Items ?? []).map(toHeader), ...(nextToken ? { nextToken } : {}) };
}

/** The newest reports of several workflows together, newest first. */
export async function listRecentReports(
  workflows: readonly string[],
  limit = 20,
  table: ReportTable = ownTable(),
): Promise<ReportHeader[]> {
  const pages = await Promise.all(workflows.map((workflow) => listReports({ workflow, limit }, table)));
  return pages
    .flatMap((page) => page.reports)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, limit);
}

/** Every item of a query, all pages, read consistently. */
async function queryAll(
  table: ReportTable,
  input: { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, AttributeValue> },
) {
  const items: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await table.client.send(
      new QueryCommand({ TableName: table.tableName, ConsistentRead: true, ...input, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The whole report of an execution, by its ARN or its name. */
export async function getReport(execution: string, table: ReportTable = ownTable()): Promise<Report> {
  const byArn = execution.startsWith("arn:");
  const name = byArn ? (execution.split(":")[7] ?? execution) : execution;
  const runs = (
    await queryAll(table, {
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: runKey(name) } },
    })
  ).filter((item) => !byArn || item.sk?.S === execution);
  if (runs.length === 0) throw new ReportNotFoundError(`no report for execution ${execution}`);
  if (runs.length > 1) {
    const arns = runs.map((item) => item.sk?.S).join(", ");
    throw new AmbiguousReportError(
      `executions of several workflows are named ${name}; give the ARN: ${arns}`,
    );
  }
  const run = unmarshall(runs[0] ?? {}) as { reportPk: string; reportSk: string; sk: string };
  const { Item } = await table.client.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: marshall({ pk: run.reportPk, sk: run.reportSk }),
      ConsistentRead: true,
    }),
  );
  if (!Item)
    throw new ReportNotFoundError(`the report of ${run.sk} is not at ${run.reportPk} ${run.reportSk}`);
  const item = unmarshall(Item);
  const body = item.bodyParts
    ? await readParts(table, run.sk, String(item.bodySha), Number(item.bodyParts))
    : Buffer.from(item.body as Uint8Array);
  if (createHash("sha256").update(body).digest("hex").slice(0, 16) !== item.bodySha) {
    throw new CorruptReportError(`the body of the report of ${run.sk} does not match its hash`);
  }
  const parsed = Report.safeParse({ ...toHeader(Item), ...JSON.parse(gunzipSync(body).toString("utf8")) });
  if (!parsed.success) {
    throw new CorruptReportError(`the report of ${run.sk} is not a valid report: ${parsed.error.message}`);
  }
  return parsed.data;
}

async function readParts(table: ReportTable, executionArn: string, sha: string, count: number) {
  const items = await queryAll(table, {
    KeyConditionExpression: "pk = :pk AND begins_with(sk, :sha)",
    ExpressionAttributeValues: { ":pk": { S: partKey(executionArn) }, ":sha": { S: `${sha}#` } },
  });
  if (items.length !== count) {
    throw new CorruptReportError(`the report of ${executionArn} has ${items.length} of its ${count} parts`);
  }
  return Buffer.concat(items.map((item) => item.data?.B ?? new Uint8Array()));
}
