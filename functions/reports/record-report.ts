/**
 * The last step of every operational workflow: builds the run report from what the state machine
 * hands over (trigger, outcome and reason, decisions, figures) and what the execution's history says
 * (the steps and their times), stores it, and returns the summary the final event carries.
 *
 * Safe to run twice: the report's key and steps come from the history up to the report step's first
 * entry, so a retry or a redrive writes the same report over itself. Never stores a secret: the
 * history is read without execution data, and fields named like secrets are redacted.
 */
import { z } from "zod";
import { ReportOutcome, type ReportSummary } from "../../events/report.ts";
import { defineStep } from "../shared/handler.ts";
import { buildTimeline, readExecutionHistory } from "./lib/history.ts";
import {
  clip,
  Decision,
  executionNameOf,
  InputFigure,
  REPORT_VERSION,
  type Report,
  redactSecrets,
  summarize,
  Trigger,
} from "./lib/report.ts";
import { putReport } from "./lib/store.ts";

export const RecordReportInput = z.object({
  executionArn: z
    .string()
    .regex(/^arn:[^:]+:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/, "must be an execution ARN"),
  /** The workflow's catalog name (`tenant-onboarding`). */
  workflow: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, "must be a workflow name (kebab-case)"),
  trigger: Trigger,
  outcome: ReportOutcome,
  reason: z.string().min(1),
  decisions: z.array(Decision).max(5000).default([]),
  figures: z
    .array(InputFigure)
    .max(5000)
    .default([])
    .refine((figures) => figures.filter((f) => f.key).length <= 10, "at most 10 figures can be key"),
});
export type RecordReportInput = z.input<typeof RecordReportInput>;

export type RecordReportResult = ReportSummary;

export const handler = defineStep(RecordReportInput, async (input): Promise<RecordReportResult> => {
  const timeline = buildTimeline(await readExecutionHistory(input.executionArn));
  const report: Report = {
    version: REPORT_VERSION,
    workflow: input.workflow,
    executionArn: input.executionArn,
    executionName: executionNameOf(input.executionArn),
    trigger: redactSecrets(input.trigger),
    outcome: input.outcome,
    reason: clip(input.reason),
    startedAt: timeline.startedAt.toISOString(),
    finishedAt: timeline.finishedAt.toISOString(),
    durationSeconds: (timeline.finishedAt.getTime() - timeline.startedAt.getTime()) / 1000,
    redrives: timeline.redrives,
    steps: timeline.steps,
    decisions: redactSecrets(input.decisions),
    figures: input.figures,
  };
  await putReport(report);
  return summarize(report);
});
