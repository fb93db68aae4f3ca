/**
 * The state machine's probe while a scratch restore runs: is the cluster and its instance available,
 * has the restore failed, and how long it has taken since it was asked for. Never waits itself.
 */
import { z } from "zod";
import { awsNow } from "../shared/aws-clients.ts";
import { defineStep } from "../shared/handler.ts";
import { FAILED_STATUSES, findCluster, instancesOf } from "./lib/rds.ts";

export const CheckScratchInput = z.object({
  region: z.string().min(1),
  clusterIdentifier: z.string().min(1),
  requestedAt: z.iso.datetime({ offset: true }),
  executionArn: z.string().min(1),
});

export interface CheckScratchResult {
  readonly status: string;
  readonly ready: boolean;
  readonly failed: boolean;
  /** Seconds from the restore request to now (to availability, once ready). */
  readonly restoreSeconds: number;
}

export const handler = defineStep(CheckScratchInput, async (input): Promise<CheckScratchResult> => {
  const cluster = await findCluster(input.region, input.clusterIdentifier);
  const restoreSeconds = Math.round((awsNow() - Date.parse(input.requestedAt)) / 1000);
  if (!cluster) return { status: "missing", ready: false, failed: true, restoreSeconds };
  const instances = await instancesOf(input.region, input.clusterIdentifier);
  const status = cluster.Status ?? "unknown";
  return {
    status,
    ready:
      status === "available" &&
      instances.length > 0 &&
      instances.every((i) => i.DBInstanceStatus === "available"),
    failed:
      FAILED_STATUSES.has(status) || instances.some((i) => FAILED_STATUSES.has(i.DBInstanceStatus ?? "")),
    restoreSeconds,
  };
});
