/**
 * The failure path's record: publishes `Region Failover Failed` (failover, switchover) or
 * `DR Drill Failed` with the step, the error and the reason (and, for a drill, what its way back left
 * in the drill region). A run that failed before it knew its
 * regions (its plan refused) names the stage's pair.
 */
import { z } from "zod";
import { DrDrillFailed, FailoverFailed } from "../../events/operations.ts";
import { ReportSummary } from "../../events/report.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";
import { regionPair } from "./lib/aws.ts";

export const RecordFailureInput = z.object({
  mode: z.enum(["failover", "switchover", "drill"]),
  fromRegion: z.string().nullable(),
  toRegion: z.string().nullable(),
  failure: z.object({
    step: z.string().min(1),
    error: z.string().min(1),
    cause: z.string().nullable().optional(),
  }),
  /** A drill's way back: the parts that stayed in the drill region. */
  notFailedBack: z.array(z.object({ subject: z.string().min(1), error: z.string() })).default([]),
  report: ReportSummary.nullable().optional(),
  executionArn: z.string().min(1),
});

export const handler = defineStep(RecordFailureInput, async (input): Promise<{ reason: string }> => {
  const pair = regionPair();
  const from = input.fromRegion ?? pair.home;
  const to = input.toRegion ?? pair.dr;
  const reason = (input.failure.cause ?? input.failure.error).slice(0, 1000);
  const common = {
    executionArn: input.executionArn,
    step: input.failure.step,
    error: input.failure.error,
    reason,
    ...(input.report ? { report: input.report } : {}),
  };
  if (input.mode === "drill")
    await publishEvent(DrDrillFailed, {
      ...common,
      primaryRegion: from,
      drillRegion: to,
      ...(input.notFailedBack.length > 0 ? { notFailedBack: input.notFailedBack.slice(0, 100) } : {}),
    });
  else await publishEvent(FailoverFailed, { ...common, fromRegion: from, toRegion: to, mode: input.mode });
  return { reason };
});
