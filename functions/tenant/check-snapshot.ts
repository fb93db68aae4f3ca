/** The offboarding state machine's probe while it waits for the final snapshot. */
import { z } from "zod";
import { defineStep } from "../shared/handler.ts";
import { snapshotStatus } from "./lib/snapshots.ts";

export const CheckSnapshotInput = z.object({
  snapshotIdentifier: z.string().min(1),
  executionArn: z.string().optional(),
  /** The region the snapshot is in; the stage's own when absent. */
  region: z.string().min(1).optional(),
});

export interface CheckSnapshotResult {
  readonly status: string;
  readonly ready: boolean;
  readonly failed: boolean;
  readonly snapshotArn: string;
}

export const handler = defineStep(CheckSnapshotInput, async (input): Promise<CheckSnapshotResult> => {
  const snapshot = await snapshotStatus(input.snapshotIdentifier, input.region);
  const status = snapshot?.status ?? "missing";
  return {
    status,
    ready: status === "available",
    failed: status === "missing" || status === "failed",
    snapshotArn: snapshot?.arn ?? "",
  };
});
