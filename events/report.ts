/**
 * The run report's parts that travel in events: how a run ended, and the summary every workflow's
 * final success or failure event carries as its optional `report` field. The whole report (steps,
 * decisions, figures) is stored in the registry table and shown by `cplane reports show`;
 * functions/reports/lib/report.ts builds both from these schemas.
 */
import { z } from "zod";

/** How a run ended, in the words a person uses at 3 a.m. */
export const ReportOutcome = z.enum([
  "succeeded",
  "failed",
  "rolled-back",
  "blocked",
  "skipped",
  "aborted",
  "timed-out",
]);
export type ReportOutcome = z.infer<typeof ReportOutcome>;

/** A measured figure: a duration, a restore time, an RTO/RPO, a count; any unit, stated. */
export const ReportFigure = z.object({
  name: z.string().min(1).max(100),
  value: z.number().finite(),
  /** `s`, `ms`, `min`, `%`, `count`, `bytes`...: free-form, never implied. */
  unit: z.string().min(1).max(20),
  /** What the figure is about when a run measures many (a tenant, a cluster, a service). */
  subject: z.string().min(1).max(200).optional(),
});
export type ReportFigure = z.infer<typeof ReportFigure>;

/** At most this many figures go into an event's summary: the ones the workflow marks as key. */
export const SUMMARY_FIGURES_MAX = 10;

export const ReportSummary = z.object({
  outcome: ReportOutcome,
  reason: z.string().max(1000),
  /** From the execution's start to its end (or to the report step), in the cloud's time. */
  durationSeconds: z.number().nonnegative(),
  figures: z.array(ReportFigure).max(SUMMARY_FIGURES_MAX),
});
export type ReportSummary = z.infer<typeof ReportSummary>;

/** The optional field outcome events carry: `report: ReportSummary`. */
export const reportField = { report: ReportSummary.optional() };
