/**
 * The run report: one format for every operational workflow. What started the run, the steps it went
 * through with their times (from the execution's history, in the cloud's time), each decision with its
 * inputs and thresholds (and who approved, when, why), the measured figures, the outcome and its reason.
 * `lib/history.ts` builds the steps, `lib/store.ts` stores reports; the summary that final events carry
 * is `ReportSummary` in events/report.ts.
 */
import { z } from "zod";
import {
  ReportFigure,
  ReportOutcome,
  type ReportSummary,
  SUMMARY_FIGURES_MAX,
} from "../../../events/report.ts";

export const REPORT_VERSION = 1;

const Time = z.iso.datetime({ offset: true });
const Name = z.string().min(1).max(200);
/** A metric value, a threshold, a setting: what a decision was made on. */
const Value = z.union([z.number(), z.string().max(1000), z.boolean(), z.null()]);

/** What started the run: an event (with its source and detail-type), a schedule, or a person. */
export const Trigger = z.object({
  type: z.enum(["event", "schedule", "manual"]),
  /** `cplane.tenants: Tenant Requested`, `schedule nightly-backup-verification`, `cplane run`... */
  source: Name,
  /** The event id, the webhook delivery id, the scheduled time: what finds the cause again. */
  id: z.string().min(1).max(200).optional(),
  at: Time.optional(),
  /** Who, when a person started it. */
  by: Name.optional(),
});
export type Trigger = z.infer<typeof Trigger>;

/** A human decision at an approval gate. */
export const Approval = z.object({
  decision: z.enum(["approved", "rejected", "timed-out", "escalated"]),
  by: Name.optional(),
  at: Time,
  reason: z.string().max(1000).optional(),
});

/** One decision the workflow took, and what it took it on. */
export const Decision = z.object({
  /** `database-ready`, `canary-step-25`, `snapshot-age`... */
  name: Name,
  /** `pass`, `fail`, `proceed`, `rollback`, `inconclusive`, `approved`... */
  outcome: z.string().min(1).max(100),
  reason: z.string().max(1000).optional(),
  at: Time.optional(),
  /** The state that decided. */
  state: Name.optional(),
  /** What it is about when a run decides per tenant, cluster or service. */
  subject: Name.optional(),
  /** Measured values: `{ errorRatePercent: 0.4, p99Ms: 310 }`. */
  inputs: z.record(z.string(), Value).optional(),
  /** What they were held to: `{ errorRatePercent: 1, p99Ms: 500 }`. */
  thresholds: z.record(z.string(), Value).optional(),
  approval: Approval.optional(),
});
export type Decision = z.infer<typeof Decision>;

/** A figure as a workflow hands it over; `key` ones go into the final event's summary. */
export const InputFigure = ReportFigure.extend({ key: z.boolean().optional() });
export type InputFigure = z.infer<typeof InputFigure>;

export const StepStatus = z.enum(["succeeded", "failed", "aborted", "timed-out", "running"]);

/** One state the execution entered, as its history tells it. */
export const Step = z.object({
  name: z.string().min(1),
  /** The state's type: Task, Choice, Wait, Pass, Map, Parallel, Succeed, Fail. */
  type: z.string().min(1),
  enteredAt: Time,
  /** When it exited, or when its last event happened if it never did (a caught failure). */
  exitedAt: Time.optional(),
  durationSeconds: z.number().nonnegative().optional(),
  status: StepStatus,
  /** Task invocations, retries included. */
  attempts: z.number().int().nonnegative().optional(),
  /** Errors that were retried before the step's end. */
  retried: z.array(z.string()).optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  /** Inside a Map: `<map state>[<index>]`, outermost first, joined by `/`. */
  iteration: z.string().optional(),
});
export type Step = z.infer<typeof Step>;

export const Report = z.object({
  version: z.literal(REPORT_VERSION),
  workflow: z.string().min(1),
  executionArn: z.string().min(1),
  executionName: z.string().min(1),
  trigger: Trigger,
  outcome: ReportOutcome,
  reason: z.string(),
  startedAt: Time,
  finishedAt: Time,
  durationSeconds: z.number().nonnegative(),
  /** How often the execution was redriven before the report. */
  redrives: z.number().int().nonnegative(),
  steps: z.array(Step),
  decisions: z.array(Decision),
  figures: z.array(InputFigure),
});
export type Report = z.infer<typeof Report>;

/** Strings longer than this are cut, ending with `TRUNCATED_MARKER`. */
export const TEXT_LIMIT = 1000;
export const TRUNCATED_MARKER = "… [truncated]";

export function clip(text: string, limit = TEXT_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit - TRUNCATED_MARKER.length)}${TRUNCATED_MARKER}`;
}

export const REDACTED = "[redacted]";
/** Names under which a secret may hide; an ARN, id or name of one is not a secret. */
const SECRET_KEY = /(password|passwd|secret|token|credential|private.?key|api.?key|authorization)/i;
const REFERENCE_KEY = /(arn|id|ids|name|names|ref)$/i;

/**
 * A copy of `value` with every field whose name says it holds a secret replaced by `[redacted]`:
 * reports are read by many and kept long, so a workflow that passes one by mistake does not leak it.
 */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item)) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && !REFERENCE_KEY.test(key) ? REDACTED : redactSecrets(item);
  }
  return out as T;
}

/** What the final event carries: outcome, reason, duration and the figures the workflow marked key. */
export function summarize(report: Report): ReportSummary {
  return {
    outcome: report.outcome,
    reason: clip(report.reason),
    durationSeconds: report.durationSeconds,
    figures: report.figures
      .filter((figure) => figure.key === true)
      .slice(0, SUMMARY_FIGURES_MAX)
      .map(({ key: _key, ...figure }) => figure),
  };
}

/** `arn:aws:states:<region>:<account>:execution:<state machine>:<name>` → `<name>`. */
export function executionNameOf(executionArn: string): string {
  const parts = executionArn.split(":");
  return (parts[0] === "arn" && parts[5] === "execution" && parts.length >= 8 ? parts[7] : undefined) ?? "";
}
