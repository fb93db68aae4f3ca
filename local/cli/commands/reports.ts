/**
 * `cplane reports list [workflow]` and `cplane reports show <execution> [--json]`: the run reports the
 * workflows' last step stores in the registry table. Locally through the runtime's admin API; on a
 * stage from its table `cplane-<stage>-tenants`, read with the caller's credentials.
 */
import { AmbiguousReportError, ReportNotFoundError } from "../../../functions/reports/lib/errors.ts";
import type { Report } from "../../../functions/reports/lib/report.ts";
import type { ReportHeader, ReportPage, ReportTable } from "../../../functions/reports/lib/store.ts";
import { workflowCatalog } from "../../../workflows/catalog.ts";
import { clock as elapsed } from "../follow.ts";
import { printJson, printTable, tableLines } from "../io.ts";
import { admin, type Target, UsageError } from "../target.ts";

const USAGE =
  "usage: cplane reports list [workflow] [--limit N] [--next TOKEN] | reports show <execution> [--json]";

const WORKFLOW_NAME = /^[a-z][a-z0-9-]{0,63}$/;

export interface ReportsOptions {
  readonly json?: boolean;
  readonly limit?: string;
  readonly next?: string;
}

/**
 * A stage's table. The library is imported here, not at the top: handler modules set up Powertools on
 * import, and `cplane start` must load them only once the runtime has given them their environment.
 */
async function stageTable(
  target: Target,
): Promise<{ table: ReportTable; store: typeof import("../../../functions/reports/lib/store.ts") }> {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const store = await import("../../../functions/reports/lib/store.ts");
  return {
    table: { client: new DynamoDBClient({ region: target.region }), tableName: target.tenantTable },
    store,
  };
}

function limitOf(text: string | undefined): number {
  const limit = Number(text ?? "20");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError("--limit must be a whole number from 1 to 1000");
  return limit;
}

async function list(
  target: Target,
  workflow: string | undefined,
  options: ReportsOptions,
): Promise<ReportPage> {
  const limit = limitOf(options.limit);
  // Reports outlive workflows: any workflow name is read, whether the catalog still has it or not.
  if (workflow !== undefined && !WORKFLOW_NAME.test(workflow)) {
    throw new UsageError(
      `"${workflow}" is not a workflow name; known: ${[...workflowCatalog.keys()].join(", ")}`,
    );
  }
  if (options.next !== undefined && workflow === undefined)
    throw new UsageError("--next pages one workflow's reports: name it");
  if (target.kind === "local") {
    const query = new URLSearchParams({ limit: String(limit) });
    if (workflow) query.set("workflow", workflow);
    if (options.next) query.set("next", options.next);
    return admin<ReportPage>(target, "GET", `/reports?${query}`);
  }
  const { table, store } = await stageTable(target);
  if (workflow === undefined)
    return { reports: await store.listRecentReports([...workflowCatalog.keys()], limit, table) };
  return store.listReports({ workflow, limit, ...(options.next ? { nextToken: options.next } : {}) }, table);
}

async function show(target: Target, execution: string): Promise<Report> {
  if (target.kind === "local")
    return admin<Report>(target, "GET", `/reports/${encodeURIComponent(execution)}`);
  const { table, store } = await stageTable(target);
  try {
    return await store.getReport(execution, table);
  } catch (error) {
    if (error instanceof ReportNotFoundError || error instanceof AmbiguousReportError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

/** `690` → `11m30s`. */
export function formatSeconds(seconds: number): string {
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s).padStart(2, "0")}s`;
}

const clipped = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function printList(page: ReportPage, workflow: string | undefined): void {
  if (page.reports.length === 0) {
    process.stdout.write(`no reports${workflow ? ` of ${workflow}` : ""} yet\n`);
    return;
  }
  printTable([
    ["STARTED", "WORKFLOW", "EXECUTION", "OUTCOME", "DURATION", "TRIGGER", "REASON"],
    ...page.reports.map((r: ReportHeader) => [
      r.startedAt.replace(/\.\d{3}Z$/, "Z"),
      r.workflow,
      r.executionName,
      r.outcome,
      formatSeconds(r.durationSeconds),
      r.trigger.type,
      clipped(r.reason, 80),
    ]),
  ]);
  if (page.nextToken) {
    process.stdout.write(`more: cplane reports list ${workflow} --next ${page.nextToken}\n`);
  }
}

const values = (record: Record<string, unknown> | undefined) =>
  Object.entries(record ?? {})
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(", ");

/** The report for people: what started it, how it ended, then the timeline, decisions and figures. */
export function formatReport(report: Report): string {
  const lines: string[] = [];
  const trigger = report.trigger;
  lines.push(
    `${report.workflow} ${report.executionName}: ${report.outcome.toUpperCase()}`,
    `  reason     ${report.reason}`,
    `  trigger    ${trigger.type}: ${trigger.source}${trigger.id ? ` (${trigger.id})` : ""}${trigger.by ? ` by ${trigger.by}` : ""}`,
    `  started    ${report.startedAt}  finished ${report.finishedAt}  (${formatSeconds(report.durationSeconds)})`,
    `  execution  ${report.executionArn}${report.redrives > 0 ? `  (redriven ${report.redrives}×)` : ""}`,
    "",
    `Steps (${report.steps.length}; time since the start, in the cloud's time)`,
  );
  const start = Date.parse(report.startedAt);
  const rows = report.steps.map((step) => {
    const notes = [
      step.attempts !== undefined && step.attempts > 1 ? `${step.attempts} attempts` : "",
      step.retried ? `retried ${step.retried.join(", ")}` : "",
      step.error ? `${step.error}${step.cause ? `: ${clipped(step.cause, 120)}` : ""}` : "",
    ].filter(Boolean);
    return [
      `  ${elapsed(Date.parse(step.enteredAt) - start)}`,
      step.iteration ? `${step.iteration} ${step.name}` : step.name,
      step.type,
      step.durationSeconds === undefined ? "-" : formatSeconds(step.durationSeconds),
      step.status,
      notes.join("; "),
    ];
  });
  lines.push(...tableLines(rows).map((line) => line.trimEnd()));
  if (report.decisions.length > 0) {
    lines.push("", `Decisions (${report.decisions.length})`);
    for (const d of report.decisions) {
      const about = d.subject ? ` [${d.subject}]` : "";
      lines.push(
        `  ${d.name}${about}: ${d.outcome}${d.at ? ` at ${d.at}` : ""}${d.reason ? ` — ${d.reason}` : ""}`,
      );
      if (d.inputs) lines.push(`    inputs      ${values(d.inputs)}`);
      if (d.thresholds) lines.push(`    thresholds  ${values(d.thresholds)}`);
      if (d.approval) {
        const a = d.approval;
        lines.push(
          `    ${a.decision}${a.by ? ` by ${a.by}` : ""} at ${a.at}${a.reason ? `: "${a.reason}"` : ""}`,
        );
      }
    }
  }
  if (report.figures.length > 0) {
    lines.push("", `Figures (${report.figures.length})`);
    const figures = report.figures.map((f) => [
      `  ${f.name}${f.subject ? ` [${f.subject}]` : ""}`,
      `${f.value} ${f.unit}`,
      f.key ? "key" : "",
    ]);
    lines.push(...tableLines(figures).map((line) => line.trimEnd()));
  }
  return `${lines.join("\n")}\n`;
}

export async function reports(
  target: Target,
  action: string,
  args: readonly string[],
  options: ReportsOptions,
): Promise<number> {
  if (action === "list") {
    const workflow = args[0];
    const page = await list(target, workflow, options);
    if (options.json) printJson(page);
    else printList(page, workflow);
    return 0;
  }
  if (action === "show") {
    const execution = args[0];
    if (!execution) throw new UsageError(USAGE);
    const report = await show(target, execution);
    if (options.json) printJson(report);
    else process.stdout.write(formatReport(report));
    return 0;
  }
  throw new UsageError(USAGE);
}
