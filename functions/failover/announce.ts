/** Publishes the run's outcome: `Region Failover Completed` (failover, switchover) or `DR Drill Completed`. */
import { z } from "zod";
import { DrDrillCompleted, FailoverCompleted, MissedTarget, TierRecovery } from "../../events/operations.ts";
import { ReportSummary } from "../../events/report.ts";
import { defineStep } from "../shared/handler.ts";
import { publishEvent } from "../shared/publish.ts";

export const AnnounceInput = z.object({
  summary: z.object({
    mode: z.enum(["failover", "switchover", "drill"]),
    fromRegion: z.string().min(1),
    toRegion: z.string().min(1),
    rtoSeconds: z.number().nonnegative(),
    rpoSeconds: z.number().nonnegative(),
    perTier: z.record(z.string(), TierRecovery),
    missedTargets: z.array(MissedTarget),
  }),
  report: ReportSummary.nullable().optional(),
  executionArn: z.string().min(1),
});

export const handler = defineStep(AnnounceInput, async (input): Promise<{ eventId: string }> => {
  const s = input.summary;
  const common = {
    executionArn: input.executionArn,
    rtoSeconds: s.rtoSeconds,
    rpoSeconds: s.rpoSeconds,
    perTier: s.perTier,
    missedTargets: s.missedTargets.slice(0, 100),
    ...(input.report ? { report: input.report } : {}),
  };
  const eventId =
    s.mode === "drill"
      ? await publishEvent(DrDrillCompleted, {
          ...common,
          primaryRegion: s.fromRegion,
          drillRegion: s.toRegion,
          withinObjectives: s.missedTargets.length === 0,
        })
      : await publishEvent(FailoverCompleted, {
          ...common,
          fromRegion: s.fromRegion,
          toRegion: s.toRegion,
          mode: s.mode,
        });
  return { eventId };
});
